"""When ingest runs: a daily schedule for yesterday, and a sensor for files that land any time."""


import hashlib
import json
from datetime import timedelta

import dagster as dg

from pipelines.ingest.reader import landing_files
from pipelines.partitions import daily_partitions
from pipelines.resources import FlywheelHome
from pipelines.settings import FlywheelPaths

DAILY_JOB = "daily_pipeline"


@dg.schedule(
    cron_schedule="30 1 * * *",
    job_name=DAILY_JOB,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """At 01:30 UTC, run the whole daily pipeline for yesterday's arrival day."""
    day = (context.scheduled_execution_time - timedelta(days=1)).strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"scheduled:{day}", partition_key=day)


def landing_signatures(home: FlywheelPaths) -> dict[str, str]:
    """A fingerprint per arrival day of everything in its landing folders (names, sizes, mtimes)."""
    by_day: dict[str, list[str]] = {}
    for source_dir in sorted(p for p in home.landing.glob("*") if p.is_dir()):
        for day_dir in sorted(source_dir.glob("date=*")):
            day = day_dir.name.removeprefix("date=")
            for f in landing_files(day_dir):
                stat = f.stat()
                by_day.setdefault(day, []).append(f"{source_dir.name}/{f.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return {day: hashlib.sha256("\n".join(items).encode()).hexdigest()[:16] for day, items in by_day.items()}


def changed_days(previous: dict[str, str], current: dict[str, str], valid_days: set[str]) -> list[str]:
    """Days whose landing files appeared or changed since the cursor, within the partitions."""
    return sorted(day for day, sig in current.items() if previous.get(day) != sig and day in valid_days)


@dg.sensor(
    job_name=DAILY_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def landing_sensor(context: dg.SensorEvaluationContext, flywheel: FlywheelHome) -> dg.SensorResult:
    """Notice new or replaced landing files and run the daily pipeline for their arrival day."""
    home = flywheel.paths()
    previous = json.loads(context.cursor) if context.cursor else {}
    current = landing_signatures(home)
    valid = set(daily_partitions.get_partition_keys())
    requests = [
        dg.RunRequest(run_key=f"landing:{day}:{current[day]}", partition_key=day)
        for day in changed_days(previous, current, valid)
    ]
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(current, sort_keys=True))
