"""The warehouse's dbt profile keeps working once DuckDB has spilled to disk.

dbt-duckdb opens one database per invocation and a new cursor for every node, running each of
the profile's ``settings`` as a ``SET`` on that cursor. DuckDB refuses to set ``temp_directory``
again (even to the same folder) once a query has spilled there, so with the spill folder among
the ``settings`` every node after the first spill failed: a month caught up in one build
(``flywheel run --days-per-dbt-build 31`` at a million interactions) stopped at its first tests.
The test renders the real profile as dbt does and drives dbt-duckdb's own connection handling.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines import scratch, settings


def _rendered_profile(home: Path, memory_limit: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    from dbt.config.profile import read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    monkeypatch.setenv("FLYWHEEL_HOME", str(home))
    monkeypatch.setenv("FLYWHEEL_DBT_MEMORY_LIMIT", memory_limit)
    set_invocation_context(os.environ)  # what env_var() reads, as in a dbt invocation
    profile = read_profile(str(settings.DBT_PROJECT_DIR))["flywheel"]
    return ProfileRenderer({}).render_data(profile["outputs"][profile["target"]])


def test_nodes_after_a_spill_still_get_a_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.adapters.duckdb.environments import create

    rendered = _rendered_profile(tmp_path, "100MB", monkeypatch)
    spill_dir = tmp_path / "tmp" / scratch.DUCKDB_SPILL_DIR  # where the profile points it
    spill_dir.parent.mkdir(parents=True)
    credentials = DuckDBCredentials.from_dict({k: v for k, v in rendered.items() if k not in ("type", "threads")})
    environment = create(credentials)

    first_node = environment.handle()
    cursor = first_node.cursor()
    cursor.execute("SET threads = 1")
    # sorting ~150 MB of rows under a 100 MB limit: DuckDB must spill
    cursor.execute(
        "CREATE TABLE sorted AS SELECT range AS k, md5(range::VARCHAR) AS v FROM range(3000000) ORDER BY v"
    )
    first_node.close()
    assert spill_dir.is_dir(), "the query did not spill (DuckDB makes its spill folder on first use)"

    next_node = environment.handle()  # dbt's next model or test: a new cursor, the settings again
    assert next_node.cursor().execute("SELECT count(*) FROM sorted").fetchone() == (3000000,)
    limit = next_node.cursor().execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit == "95.3 MiB", limit  # the profile's 100MB, as DuckDB reports it
    next_node.close()
