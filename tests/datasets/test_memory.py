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
