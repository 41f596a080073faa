"""The serving asset: after every history-wide mart is rebuilt, swap in a fresh dashboard snapshot."""

import dagster as dg

from pipelines.resources import WAREHOUSE_POOL, FlywheelHome
from pipelines.serving.snapshot import UPSTREAM_MODELS, SnapshotStats, build_for_home

ALL_MARTS_CHECK = "every_mart_copied"


def snapshot_metadata(stats: SnapshotStats) -> dict[str, dg.MetadataValue]:
    """What a person reads in the UI: where the snapshot is, its size, and rows per table."""
    table = "\n".join(
        ["| table | rows |", "|---|---|"]
        + [f"| {name} | {rows:,} |" for name, rows in stats.rows.items()]
        + [f"| {name} | _missing in the warehouse_ |" for name in stats.missing]
    )
    return {
        "path": dg.MetadataValue.path(str(stats.path)),
        "bytes": dg.MetadataValue.int(stats.bytes),
        "tables": dg.MetadataValue.int(len(stats.rows)),
        "dataset_versions": dg.MetadataValue.int(stats.dataset_versions),
        "seconds": dg.MetadataValue.float(round(stats.seconds, 3)),
        "rows_by_table": dg.MetadataValue.md(table),
    }


@dg.asset(
    group_name="serving",
    kinds={"duckdb", "python"},
    pool=WAREHOUSE_POOL,  # reads warehouse.duckdb (pipelines/resources.py)
    deps=[dg.AssetKey(name) for name in UPSTREAM_MODELS],
    check_specs=[
        dg.AssetCheckSpec(
            ALL_MARTS_CHECK,
            asset="serving_snapshot",
            description="Every table the dashboards read was found in the warehouse and copied.",
        )
    ],
)
def serving_snapshot(context: dg.AssetExecutionContext, flywheel: FlywheelHome) -> dg.MaterializeResult:
    """The dashboards' read-only copy of the marts (``$FLYWHEEL_HOME/serving/marts.duckdb``).

    Written to a scratch file and moved into place in one ``os.replace``, so the dashboards never
    open the warehouse (DuckDB's single writer stays the pipeline's) and never see half a snapshot.
    Also lists the training-set versions found under ``exports/datasets``.
    """
    stats = build_for_home(flywheel.paths())
    if stats.missing:
        context.log.warning(f"not in the warehouse, so not in the snapshot: {', '.join(stats.missing)}")
    return dg.MaterializeResult(
        metadata=snapshot_metadata(stats),
        check_results=[
            dg.AssetCheckResult(
                check_name=ALL_MARTS_CHECK,
                passed=not stats.missing,
                metadata={"missing": ", ".join(stats.missing) or "none"},
            )
        ],
    )
