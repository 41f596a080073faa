"""Privacy assets: the scrubbed lake (the only text anything downstream reads) and its checks."""

import time
from datetime import UTC, datetime

import dagster as dg

from pipelines.partitions import daily_partitions
from pipelines.privacy.policies import POLICY_VERSION, field_policies
from pipelines.privacy.scrubber import Scrubber
from pipelines.privacy.stage import (
    NER_SAMPLE_SIZE,
    UNCHANGED_SAMPLE_SIZE,
    expire_raw_zone,
    scrub_day,
    verify_day,
)
from pipelines.resources import FlywheelHome

LEAK_CHECK = "no_pii_in_scrubbed_output"


def _findings_table(findings_by_field: dict[tuple[str, str], int]) -> str:
    rows = [f"| {f} | {e} | {n} |" for (f, e), n in sorted(findings_by_field.items())]
    return "\n".join(["| field | entity type | replaced |", "|---|---|---|", *rows]) if rows else "_nothing found_"


@dg.asset(
    group_name="privacy",
    kinds={"parquet", "presidio"},
    partitions_def=daily_partitions,
    deps=["raw_events"],
    check_specs=[
        dg.AssetCheckSpec(
            LEAK_CHECK,
            asset="scrubbed_events",
            blocking=True,
            description=(
                "A second, independent scan of the scrubbed day: every text re-scanned with the "
                "pattern and secret recognizers (except code texts the same patterns left exactly "
                f"as they came in, of which a sample of {UNCHANGED_SAMPLE_SIZE} is read), a sample of "
                f"up to {NER_SAMPLE_SIZE} natural-language texts with NER as well, and every value the "
                "simulator's ground truth injected into these events searched for. Any hit fails "
                "and stops everything downstream."
            ),
        )
    ],
)
def scrubbed_events(context: dg.AssetExecutionContext, flywheel: FlywheelHome) -> dg.MaterializeResult:
    """Interaction events of one arrival day with every free-text field scrubbed (``lake/events``).

    Personal data and secrets are replaced by typed keyed pseudonyms (``<EMAIL_ADDRESS_3f9a1c>``);
    natural-language fields get NER plus patterns, code and machine output patterns only.
    """
    paths = flywheel.paths()
    day = context.partition_key
    started = time.perf_counter()
    with Scrubber.for_home(paths, workers=flywheel.scrub_workers) as scrubber:
        stats = scrub_day(paths, day, scrubber)
        stats.seconds = time.perf_counter() - started
        # The second look reads the texts and lines afresh; only the worker processes are shared.
        with scrubber.rescanner() as rescanner:
            report = verify_day(paths, day, rescanner)
    return dg.MaterializeResult(
        metadata={
            "rows": dg.MetadataValue.int(stats.rows),
            "texts_scrubbed": dg.MetadataValue.int(stats.texts),
            "findings_by_type": dg.MetadataValue.json(stats.findings_by_type()),
            "findings_table": dg.MetadataValue.md(_findings_table(stats.findings)),
            "texts_withheld": dg.MetadataValue.int(len(stats.withheld)),
            "cache_hits": dg.MetadataValue.int(stats.cache_hits),
            "seconds": dg.MetadataValue.float(round(stats.seconds, 2)),
            "texts_per_second": dg.MetadataValue.float(round(stats.texts / max(stats.seconds, 1e-9), 1)),
            "policy_version": dg.MetadataValue.text(POLICY_VERSION),
            "field_policies": dg.MetadataValue.json({c: p.name for c, p in field_policies().items()}),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=LEAK_CHECK,
                passed=report.passed,
                metadata={
                    "texts_pattern_scanned": report.texts_pattern_scanned,
                    "texts_ner_scanned": report.texts_ner_scanned,
                    "texts_unchanged_not_rescanned": report.texts_unchanged_not_rescanned,
                    "pattern_hits": dict(report.pattern_hits),
                    "ner_hits": dict(report.ner_hits),
                    "injected_values_checked": report.injected_checked,
                    "injected_values_leaked": dict(report.injected_leaked),
                    "ground_truth_present": report.ground_truth_present,
                },
            )
        ],
    )


@dg.op(description="Delete raw-zone days older than the retention (raw_retention_days).")
def expire_raw_zone_op(context: dg.OpExecutionContext, flywheel: FlywheelHome) -> None:
    flywheel.check_options()
    today = datetime.now(UTC).date()
    removed = expire_raw_zone(flywheel.paths(), flywheel.raw_retention_days, today)
    context.log.info(f"raw zone: removed {len(removed)} day(s) older than {flywheel.raw_retention_days} days: {removed}")


@dg.job(description="Raw zone retention: unscrubbed text is kept only raw_retention_days.")
def raw_retention_job() -> None:
    expire_raw_zone_op()


raw_retention_schedule = dg.ScheduleDefinition(
    job=raw_retention_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
