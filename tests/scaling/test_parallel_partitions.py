"""Days run concurrently (ingest in day order, scrubbing as concurrent runs in their own
processes, dbt serialized) give the same lake files and warehouse rows as days run one by one;
so do days caught up with one dbt build over their range (``runner.run_days(days_per_dbt_build=)``)."""

from __future__ import annotations

import time

import pytest

from pipelines import parallel, runner
from pipelines.definitions import defs
from pipelines.resources import WAREHOUSE_POOL
from tests.scaling.conftest import (
    failures,
    home_with_landing,
    lake_files,
    run_history_dbt,
    run_sequentially,
    simulate_landing,
    warehouse_tables,
)

pytestmark = [pytest.mark.xdist_group("scaling"), pytest.mark.slow]

DAYS = 2  # two days already run concurrently (2 scrub runs at once); each day costs ~40 s of dbt
INTERACTIONS = 100


def test_every_step_that_opens_the_warehouse_is_in_the_warehouse_pool() -> None:
    pools = {a.op.name: a.op.pool for a in defs.assets if getattr(a, "op", None) is not None}
    for name in ("signals_dbt_daily", "signals_dbt_history", "training_dataset", "serving_snapshot"):
        assert pools[name] == WAREHOUSE_POOL, name
    for name in ("raw_events", "billing_events", "scrubbed_events"):
        assert pools[name] is None, name


def test_concurrent_days_equal_sequential_days(tmp_path, pseudonym_key) -> None:
    source = simulate_landing(tmp_path / "sim", days=DAYS, interactions_per_day=INTERACTIONS)
    days = runner.landed_days(source)
    assert len(days) >= DAYS

    sequential = home_with_landing(source, tmp_path / "sequential")
    started = time.perf_counter()
    outcomes = run_sequentially(sequential, days)
    sequential_seconds = time.perf_counter() - started
    assert not failures(outcomes), failures(outcomes)

    concurrent = home_with_landing(source, tmp_path / "concurrent")
    started = time.perf_counter()
    report = parallel.run_days_concurrently(concurrent, days, max_concurrent_runs=2, refresh=False)
    outcomes = [*report.outcomes, run_history_dbt(concurrent)]
    concurrent_seconds = time.perf_counter() - started
    assert not failures(outcomes), failures(outcomes)
    scrub_runs = [o for o in report.outcomes if "scrubbed_events" in o.materialized]
    assert sorted(o.partition for o in scrub_runs) == days
    print(f"\n{len(days)} days: sequential {sequential_seconds:.1f} s, concurrent {concurrent_seconds:.1f} s; "
          "steps: " + ", ".join(f"{o.partition}:{o.materialized[0]} {o.seconds:.1f}s" for o in report.outcomes))

    sequential_lake, concurrent_lake = lake_files(sequential), lake_files(concurrent)
    assert set(concurrent_lake) == set(sequential_lake) and sequential_lake
    for name in sequential_lake:
        assert concurrent_lake[name] == sequential_lake[name], name
    sequential_tables, concurrent_tables = warehouse_tables(sequential.warehouse), warehouse_tables(concurrent.warehouse)
    assert set(concurrent_tables) == set(sequential_tables)
    assert sum(map(len, sequential_tables.values())) > 0
    for table in sequential_tables:
        assert concurrent_tables[table] == sequential_tables[table], table

    # catching up: ingest and scrubbing day by day, then dbt's daily models once over both days
    caught_up = home_with_landing(source, tmp_path / "caught_up")
    started = time.perf_counter()
    report = runner.run_days(caught_up, days, days_per_dbt_build=len(days), refresh=False)
    outcomes = [*report.outcomes, run_history_dbt(caught_up)]
    print(f"caught up in one dbt build: {time.perf_counter() - started:.1f} s")
    assert not failures(outcomes), failures(outcomes)
    builds = [o for o in report.outcomes if "fct_generations" in o.materialized]
    assert [o.partition for o in builds] == [f"{days[0]}..{days[-1]}"]
    assert lake_files(caught_up) == sequential_lake
    caught_up_tables = warehouse_tables(caught_up.warehouse)
    assert set(caught_up_tables) == set(sequential_tables)
    for table in sequential_tables:
        assert caught_up_tables[table] == sequential_tables[table], table
