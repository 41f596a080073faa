"""Where Flywheel keeps its state and the knobs that shape a run, resolved in one place.

All state lives under one directory, ``$FLYWHEEL_HOME`` (default ``.flywheel/`` in the project),
except the lake when ``$FLYWHEEL_LAKE_URI`` puts it in an object store (pipelines/objectstore.py).
Every other module asks this one for a path instead of building its own.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import objectstore
from pipelines.objectstore import ObjectPath, ObjectStore

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
DASHBOARDS_DIR = PROJECT_ROOT / "dashboards"

HOME_ENV = "FLYWHEEL_HOME"
PSEUDONYM_KEY_ENV = "FLYWHEEL_PSEUDONYM_KEY"
LAKE_URI_ENV = objectstore.LAKE_URI_ENV


def default_home() -> Path:
    return PROJECT_ROOT / ".flywheel"


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The state directory: the argument, else ``$FLYWHEEL_HOME``, else ``.flywheel/``."""
    chosen = home or os.environ.get(HOME_ENV) or default_home()
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class FlywheelPaths:
    """Every location under one ``$FLYWHEEL_HOME``; nothing here touches the disk."""

    home: Path
    # s3://bucket/prefix when the lake lives in an object store; "" keeps it under home.
    lake_uri: str = ""
    object_store: ObjectStore = field(default_factory=ObjectStore)

    # Landing zone: what the platform drops, one folder per source and arrival day.
    @property
    def landing(self) -> Path:
        return self.home / "landing"

    def landing_day(self, source: str, day: str) -> Path:
        return self.landing / source / f"date={day}"

    # The simulator's ground truth, kept beside the data; the pipeline never reads it,
    # only the scrubbing check and the tests compare against it.
    @property
    def ground_truth(self) -> Path:
        return self.home / "simulator"

    # Restricted raw zone: validated events with their unscrubbed text, and quarantined lines.
    # Readable only by the account that runs ingest and scrubbing (directory mode 0700).
    @property
    def raw(self) -> Path:
        return self.home / "raw"

    # The lake: scrubbed events and everything else downstream of scrubbing, as Parquet.
    @property
    def lake(self) -> Path | ObjectPath:
        if self.lake_uri:
            return objectstore.parse(self.lake_uri, self.object_store)
        return self.home / "lake"

    @property
    def lake_is_remote(self) -> bool:
        return bool(self.lake_uri)

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    # Read-only copy of the marts that the dashboards open; swapped atomically after each run.
    @property
    def serving(self) -> Path:
        return self.home / "serving"

    @property
    def serving_db(self) -> Path:
        return self.serving / "marts.duckdb"

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def datasets(self) -> Path:
        return self.exports / "datasets"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def cache(self) -> Path:
        return self.home / "cache"

    @property
    def state(self) -> Path:
        """Operational state: locks, the deletion tombstone list, the pseudonym key."""
        return self.home / "state"

    @property
    def tmp(self) -> Path:
        """Scratch space on the same filesystem, so finished files move into place atomically."""
        return self.home / "tmp"

    def raw_table(self, table: str) -> Path:
        return self.raw / table

    def lake_table(self, table: str) -> Path | ObjectPath:
        return self.lake / table


def resolve_lake_uri(lake_uri: str | None = None) -> str:
    """The object-store lake: the argument, else ``$FLYWHEEL_LAKE_URI``; "" for the local lake."""
    chosen = (lake_uri or os.environ.get(LAKE_URI_ENV) or "").strip().rstrip("/")
    if chosen:
        objectstore.parse(chosen, ObjectStore())  # refuse a malformed URI here, not mid-run
    return chosen


def paths(home: str | os.PathLike[str] | None = None, lake_uri: str | None = None) -> FlywheelPaths:
    chosen_lake = resolve_lake_uri(lake_uri)
    store = ObjectStore.from_env() if chosen_lake else ObjectStore()
    return FlywheelPaths(resolve_home(home), chosen_lake, store)


@contextmanager
def environment_holding(values: Mapping[str, str | None]) -> Iterator[None]:
    """``os.environ`` holds ``values`` inside the block (None: the variable unset), and each
    variable is as it was before once the block ends."""
    before = {name: os.environ.get(name) for name in values}
    _set_environment(values)
    try:
        yield
    finally:
        _set_environment(before)


def _set_environment(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def export_environment(p: FlywheelPaths) -> None:
    """Tell child processes (dbt) which home and lake this process uses; credentials are not
    copied anywhere: they are already in the environment, or the SDK's default chain finds them."""
    os.environ[HOME_ENV] = str(p.home)
    if p.lake_uri:
        os.environ[LAKE_URI_ENV] = p.lake_uri
    else:
        os.environ.pop(LAKE_URI_ENV, None)


def ensure_layout(p: FlywheelPaths) -> None:
    """Create the state directories; the raw zone is private to the owner."""
    for directory in (p.landing, p.lake, p.serving, p.exports, p.dagster_home, p.cache, p.state, p.tmp):
        directory.mkdir(parents=True, exist_ok=True)
    p.raw.mkdir(parents=True, exist_ok=True)
    p.raw.chmod(0o700)


def pseudonym_key(p: FlywheelPaths) -> bytes:
    """The key for pseudonyms: ``$FLYWHEEL_PSEUDONYM_KEY`` or a per-home key file (mode 0600).

    It is never written to the warehouse, the lake or an export, so nobody holding those can
    recompute a placeholder from a guessed value.
    """
    from_env = os.environ.get(PSEUDONYM_KEY_ENV)
    if from_env:
        return from_env.encode()
    key_file = p.state / "pseudonym.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = key_file.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        os.replace(tmp, key_file)
    return key_file.read_text().strip().encode()
