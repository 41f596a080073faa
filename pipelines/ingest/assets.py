"""Ingest assets: each arrival day of the landing zone, validated against the contract, typed."""


import dagster as dg

from pipelines.deletion import tombstones
from pipelines.deletion.tombstones import TombstoneFilter
from pipelines.ingest.load import IngestStats, ingest_day
from pipelines.partitions import daily_partitions
from pipelines.resources import FlywheelHome
from pipelines.settings import pseudonym_key

RECONCILE_CHECK = "lines_reconcile"


def after_previous_day(asset: str) -> list[dg.AssetDep]:
    """Day D of an ingest asset depends on its own day D-1: ingest drops the copies of ids loaded
    in the previous days (load.DEDUP_WINDOW_DAYS), so it must see them loaded first. Declared,
    a Dagster backfill ingests days as a chain (and scrubs and runs dbt on each as soon as it is
    ingested) instead of loading days concurrently or out of order."""
    return [dg.AssetDep(asset, partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))]


def ingest_metadata(stats: IngestStats) -> dict[str, dg.MetadataValue]:
    """What a person reads in the UI: the reconciliation, reasons and files, as numbers and a table."""
    files_table = "\n".join(
        ["| file | lines | loaded | quarantined | duplicates | forgotten |", "|---|---|---|---|---|---|"]
        + [
            f"| {f.source_file} | {f.lines_read} | {f.loaded} | {f.quarantined} | {f.duplicates} | {f.forgotten} |"
            for f in stats.files
        ]
    )
    return {
        "lines_read": dg.MetadataValue.int(stats.lines_read),
        "loaded": dg.MetadataValue.int(stats.loaded),
        "quarantined": dg.MetadataValue.int(stats.quarantined),
        "duplicates": dg.MetadataValue.int(stats.duplicates),
        "forgotten": dg.MetadataValue.int(stats.forgotten),
        "late_events": dg.MetadataValue.int(stats.late_events),
        "files": dg.MetadataValue.int(len(stats.files)),
        "quarantine_reasons": dg.MetadataValue.json(dict(sorted(stats.quarantine_reasons.items()))),
        "events_by_type": dg.MetadataValue.json(stats.events_by_type),
        "files_table": dg.MetadataValue.md(files_table if stats.files else "_no landing files for this day_"),
    }


def reconcile_result(stats: IngestStats, asset_key: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=RECONCILE_CHECK,
        asset_key=asset_key,
        passed=stats.balanced,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "lines_read": stats.lines_read,
            "accounted_for": stats.loaded + stats.quarantined + stats.duplicates + stats.forgotten,
        },
        description="lines read = loaded + quarantined + duplicates + forgotten",
    )


def _reconcile_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        RECONCILE_CHECK,
        asset=asset,
        blocking=True,
        description=(
            "Every landing line is accounted for: lines read = loaded + quarantined + duplicates "
            "(+ lines of subjects deleted by `flywheel forget`)."
        ),
    )


def _ingest(context: dg.AssetExecutionContext, flywheel: FlywheelHome, source: str, asset: str) -> dg.MaterializeResult:
    flywheel.check_options()
    paths = flywheel.paths()
    stats = ingest_day(
        paths,
        source,
        context.partition_key,
        dedup_window_days=flywheel.dedup_window_days,
        tombstones=TombstoneFilter(pseudonym_key(paths), tombstones.load(paths.state)),
    )
    if not stats.files:
        context.log.warning(f"no landing files for {source} on {context.partition_key}")
    return dg.MaterializeResult(
        metadata=ingest_metadata(stats), check_results=[reconcile_result(stats, asset)]
    )


@dg.asset(
    group_name="ingest",
    kinds={"parquet", "python"},
    partitions_def=daily_partitions,
    check_specs=[_reconcile_spec("raw_events")],
    deps=after_previous_day("raw_events"),
)
def raw_events(context: dg.AssetExecutionContext, flywheel: FlywheelHome) -> dg.MaterializeResult:
    """Interaction events of one arrival day, validated against the contract and typed.

    Lives in the restricted raw zone (``raw/events``): free text is not scrubbed yet. Rejected lines
    go to quarantine with a reason; duplicates of an event id are kept once.
    """
    return _ingest(context, flywheel, "events", "raw_events")


@dg.asset(
    group_name="ingest",
    kinds={"parquet", "python"},
    partitions_def=daily_partitions,
    check_specs=[_reconcile_spec("billing_events")],
    deps=after_previous_day("billing_events"),
)
def billing_events(context: dg.AssetExecutionContext, flywheel: FlywheelHome) -> dg.MaterializeResult:
    """Subscription lifecycle events of one arrival day, validated and typed (``lake/billing``).

    Billing events carry no free text by contract, so they go straight to the lake.
    """
    return _ingest(context, flywheel, "billing", "billing_events")
