"""The Dagster code location: every asset, check, job, schedule and sensor of Flywheel."""

from __future__ import annotations

import dagster as dg

from pipelines.ingest.assets import billing_events, raw_events
from pipelines.ingest.triggers import DAILY_JOB, daily_schedule, landing_sensor
from pipelines.partitions import daily_partitions
from pipelines.resources import default_resources

# Assets with one partition per arrival day; run day by day by the daily job.
DAILY_ASSETS = [raw_events, billing_events]

daily_job = dg.define_asset_job(
    DAILY_JOB,
    selection=dg.AssetSelection.assets(*DAILY_ASSETS),
    partitions_def=daily_partitions,
    description="Everything that is computed per arrival day: ingest, scrubbing, daily dbt models.",
)

# Assets computed over all history after the days are in: revenue marts, training sets, serving.
HISTORY_ASSETS: list[dg.AssetsDefinition] = []
REFRESH_JOB = "refresh_all_history"
refresh_job = dg.define_asset_job(
    REFRESH_JOB,
    selection=dg.AssetSelection.assets(*HISTORY_ASSETS),
    description="Everything computed over the whole history once the days are loaded.",
)

defs = dg.Definitions(
    assets=[*DAILY_ASSETS, *HISTORY_ASSETS],
    jobs=[daily_job, refresh_job],
    schedules=[daily_schedule],
    sensors=[landing_sensor],
    resources=default_resources(),
)
