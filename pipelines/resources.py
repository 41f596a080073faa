"""Dagster resources: the one way an asset learns where Flywheel's state lives."""

from __future__ import annotations

import dagster as dg

from pipelines.settings import FlywheelPaths, ensure_layout, paths

# The Dagster concurrency pool of every step that opens warehouse.duckdb (dbt writes it; the
# training-set build and the serving snapshot read it). DuckDB allows one process to hold a
# database file writable, and then no other process may open it, not even read-only; a deployment
# gives this pool a limit of 1 (docs/scaling.md) so those steps queue instead of failing.
WAREHOUSE_POOL = "warehouse"


class FlywheelHome(dg.ConfigurableResource):
    """The ``$FLYWHEEL_HOME`` directory and the run options every stage shares."""

    home: str
    # s3://bucket/prefix for a lake in an object store; "" reads $FLYWHEEL_LAKE_URI (unset: local).
    # Endpoint, region, URL style and credentials come from FLYWHEEL_S3_* (pipelines/objectstore.py).
    lake_uri: str = ""
    dedup_window_days: int = 7
    raw_retention_days: int = 30
    # Processes for Presidio/spaCy; this machine class has 2 cores.
    scrub_workers: int = 2

    def check_options(self) -> None:
        # Ingest deduplicates against earlier days it reads from the raw zone: those days must
        # still be there, so the raw zone may not be emptied faster than the dedup window.
        if self.raw_retention_days < self.dedup_window_days:
            raise dg.Failure(
                f"raw_retention_days ({self.raw_retention_days}) must be at least "
                f"dedup_window_days ({self.dedup_window_days}): ingest reads that many earlier "
                "days of the raw zone to recognise re-sent events"
            )

    def paths(self) -> FlywheelPaths:
        resolved = paths(self.home, self.lake_uri or None)
        ensure_layout(resolved)
        return resolved


def default_resources() -> dict[str, object]:
    return {"flywheel": FlywheelHome(home=dg.EnvVar("FLYWHEEL_HOME"))}
