"""The Dagster code location: every asset, check, job, schedule and sensor of Flywheel."""

from __future__ import annotations

import dagster as dg

from pipelines.datasets.assets import training_dataset
from pipelines.ingest.assets import billing_events, raw_events
from pipelines.ingest.triggers import DAILY_JOB, daily_schedule, landing_sensor
from pipelines.partitions import daily_partitions
from pipelines.privacy.assets import raw_retention_job, raw_retention_schedule, scrubbed_events
from pipelines.resources import default_resources
from pipelines.serving.assets import serving_snapshot
from pipelines.signals.assets import HISTORY_DBT_ASSETS, signals_dbt_daily
from pipelines.signals.project import dbt_resource
from pipelines.signals.quality import QUALITY_CHECKS

# Assets with one partition per arrival day; run day by day by the daily job.
DAILY_ASSETS = [raw_events, billing_events, scrubbed_events, signals_dbt_daily]

daily_job = dg.define_asset_job(
    DAILY_JOB,
    selection=dg.AssetSelection.assets(*DAILY_ASSETS),
    partitions_def=daily_partitions,
    description="Everything that is computed per arrival day: ingest, scrubbing, daily dbt models.",
)

# Assets computed over all history after the days are in: revenue marts, training sets, serving.
HISTORY_ASSETS: list[dg.AssetsDefinition] = [*HISTORY_DBT_ASSETS, training_dataset, serving_snapshot]
REFRESH_JOB = "refresh_all_history"
refresh_job = dg.define_asset_job(
    REFRESH_JOB,
    # the signals' quality gates run again here so that their blocking ones gate the training set
    selection=dg.AssetSelection.assets(*HISTORY_ASSETS) | dg.AssetSelection.checks(*QUALITY_CHECKS),
    description="Everything computed over the whole history once the days are loaded.",
)

defs = dg.Definitions(
    assets=[*DAILY_ASSETS, *HISTORY_ASSETS],
    asset_checks=QUALITY_CHECKS,
    jobs=[daily_job, refresh_job, raw_retention_job],
    schedules=[daily_schedule, raw_retention_schedule],
    sensors=[landing_sensor],
    resources={**default_resources(), "dbt": dbt_resource()},
)
