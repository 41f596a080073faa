"""DuckDB gives its cache back when the build lowers its memory limit before the gates."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.datasets import build


def resident_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def test_lowering_the_limit_returns_duckdbs_cache_to_the_system(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "build.duckdb"), config={"memory_limit": "2GB",
                                                               "temp_directory": str(tmp_path / "spill")})
    con.execute("CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(4000000)")
    con.execute("SELECT s, count(*) FROM t GROUP BY s ORDER BY 2 DESC LIMIT 1").fetchall()
    cached = resident_mib()
    build.limit_memory(con, "64MB")
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] in ("61.0 MiB", "64.0 MB")
    assert resident_mib() < cached - 150, f"{cached:.0f} MiB before, {resident_mib():.0f} MiB after"
    con.close()


@pytest.mark.parametrize("bad", ["lots", "2 parsecs", ""])
def test_a_malformed_limit_is_refused_before_duckdb_sees_it(bad: str) -> None:
    with duckdb.connect() as con, pytest.raises(ValueError, match="not a size"):
        build.limit_memory(con, bad)


def test_a_failed_hashing_step_reports_its_own_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The MinHash step streams the documents out of DuckDB; when it fails (a worker killed), the
    # error must be the one reported, not DuckDB's "connection has an open result" from the clean-up.
    from pipelines.datasets.config import BuildOptions
    from pipelines.datasets.minhash import LshParams

    def broken_hashing(*args: object) -> None:
        raise RuntimeError("a hashing worker died")

    monkeypatch.setattr(build, "_hash_to_file", broken_hashing)
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    con.execute("CREATE TABLE prompts AS SELECT 1 AS prompt_id, 'make a todo app' AS prompt_text")
    con.execute("CREATE TABLE answers AS SELECT * FROM (VALUES (10, 'here it is'), (11, 'no')) AS a(generation_id, answer)")
    con.execute("CREATE TABLE docs AS SELECT 1 AS doc_no, 1 AS prompt_id, 10 AS chosen_id, 11 AS rejected_id")
    with pytest.raises(RuntimeError, match="a hashing worker died"):
        build._band_hashes(con, LshParams(0.8, 64, 16, 4, 3), BuildOptions(), tmp_path)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'doc_texts'").fetchone() == (0,)
    con.close()
