"""Copy the marts the dashboards read from the warehouse into a new DuckDB file, swapped in atomically.

DuckDB allows one writer per file, and the pipeline is that writer for ``warehouse.duckdb``. The
dashboards therefore never open the warehouse: they read ``serving/marts.duckdb``, a snapshot
written to a scratch file and moved over the old one with ``os.replace``. A dashboard that still
has the old file open keeps reading it (the old inode lives until it is closed); the next query
opens the new one.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines import lake
from pipelines.settings import FlywheelPaths

# (table in the snapshot, table or view in the warehouse): the marts the dashboards read, the
# flywheel health tables and the reference seeds. Everything is copied as a table.
SERVED_TABLES: tuple[tuple[str, str], ...] = (
    ("fct_mrr", "fct_mrr"),
    ("fct_mrr_bridge", "fct_mrr_bridge"),
    ("fct_revenue_retention", "fct_revenue_retention"),
    ("fct_inference_spend_daily", "fct_inference_spend_daily"),
    ("fct_model_economics", "fct_model_economics"),
    ("fct_gross_margin_monthly", "fct_gross_margin_monthly"),
    ("fct_gross_margin_by_plan_monthly", "fct_gross_margin_by_plan_monthly"),
    ("fct_routing_baseline", "fct_routing_baseline"),
    ("fct_model_quality", "fct_model_quality"),
    ("fct_model_quality_daily", "fct_model_quality_daily"),
    ("fct_ingest_daily", "fct_ingest_daily"),
    ("fct_quarantine_daily", "fct_quarantine_daily"),
    ("fct_events_daily", "fct_events_daily"),
    ("fct_pii_findings_daily", "fct_pii_findings_daily"),
    ("plans", "plans"),
    ("model_roles", "model_roles"),
    ("routing_scenario", "routing_scenario"),
)

# The dbt models (Dagster asset names) the snapshot is built from: its upstream assets.
UPSTREAM_MODELS: tuple[str, ...] = tuple(source for _, source in SERVED_TABLES)

DATASET_VERSIONS_TABLE = "dataset_versions"
SNAPSHOT_TABLES_TABLE = "snapshot_tables"
SNAPSHOT_INFO_TABLE = "snapshot_info"
WAREHOUSE_ALIAS = "warehouse"


@dataclass
class SnapshotStats:
    """What one snapshot holds: rows per table, the tables the warehouse lacked, size and time."""

    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    dataset_versions: int = 0
    bytes: int = 0
    seconds: float = 0.0


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def warehouse_relations(con: duckdb.DuckDBPyConnection, alias: str = WAREHOUSE_ALIAS) -> set[str]:
    """Names of the tables and views of the attached warehouse's main schema."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'main'",
        [alias],
    ).fetchall()
    return {name for (name,) in rows}


def _manifest_examples(manifest: dict[str, Any]) -> int | None:
    """The example count a manifest states, under the names dataset tools use for it."""
    for key in ("examples", "num_examples", "rows", "records"):
        value = manifest.get(key)
        if isinstance(value, int):
            return value
    splits = manifest.get("splits")
    if isinstance(splits, dict):
        counts = [v.get("examples", v.get("num_examples")) if isinstance(v, dict) else v for v in splits.values()]
        if counts and all(isinstance(c, int) for c in counts):
            return sum(counts)
    if isinstance(splits, list):
        counts = [s.get("num_examples", s.get("examples")) for s in splits if isinstance(s, dict)]
        if counts and all(isinstance(c, int) for c in counts):
            return sum(counts)
    return None


def dataset_version_rows(datasets_dir: Path) -> list[dict[str, Any]]:
    """One row per ``<datasets>/<name>/<version>/manifest.json``: what it is and how big it is."""
    rows = []
    for manifest_path in sorted(datasets_dir.glob("*/*/manifest.json")):
        version_dir = manifest_path.parent
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            manifest = {}
        if not isinstance(manifest, dict):
            manifest = {}
        files = [p for p in version_dir.rglob("*") if p.is_file()]
        created = manifest.get("created_at") or manifest.get("built_at")
        rows.append({
            "dataset": version_dir.parent.name,
            "version": version_dir.name,
            "format": str(manifest.get("format") or manifest.get("kind") or ""),
            "created_at": str(created) if created else datetime.fromtimestamp(
                manifest_path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "examples": _manifest_examples(manifest),
            "files": len(files),
            "bytes": sum(p.stat().st_size for p in files),
            "path": str(version_dir),
            "manifest": json.dumps(manifest, sort_keys=True, default=str),
        })
    return rows


def _write_dataset_versions(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    con.execute(
        f"""
        create table {DATASET_VERSIONS_TABLE} (
            dataset varchar, version varchar, format varchar, created_at varchar, examples bigint,
            files bigint, bytes bigint, path varchar, manifest varchar
        )
        """
    )
    if rows:
        columns = list(rows[0])
        con.executemany(
            f"insert into {DATASET_VERSIONS_TABLE} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
            [[row[c] for c in columns] for row in rows],
        )


def copy_tables(
    con: duckdb.DuckDBPyConnection, tables: tuple[tuple[str, str], ...], available: set[str]
) -> tuple[dict[str, int], list[str]]:
    """Copy each (target, source) present in the attached warehouse; returns rows and the missing ones."""
    rows: dict[str, int] = {}
    missing: list[str] = []
    for target, source in tables:
        if source not in available:
            missing.append(source)
            continue
        con.execute(
            f"create table {_quote(target)} as select * from {WAREHOUSE_ALIAS}.main.{_quote(source)}"
        )
        rows[target] = con.execute(f"select count(*) from {_quote(target)}").fetchone()[0]
    return rows, missing


def _write_metadata(con: duckdb.DuckDBPyConnection, stats: SnapshotStats, warehouse: Path) -> None:
    con.execute(f"create table {SNAPSHOT_TABLES_TABLE} (table_name varchar, rows bigint, status varchar)")
    con.executemany(
        f"insert into {SNAPSHOT_TABLES_TABLE} values (?, ?, ?)",
        [[name, count, "copied"] for name, count in stats.rows.items()]
        + [[name, None, "missing in warehouse"] for name in stats.missing],
    )
    con.execute(
        f"create table {SNAPSHOT_INFO_TABLE} as select ?::timestamp as built_at, ? as warehouse, ? as dataset_versions",
        [datetime.now(UTC).replace(tzinfo=None), str(warehouse), stats.dataset_versions],
    )


def build_snapshot(
    warehouse: Path,
    target: Path,
    scratch_dir: Path,
    datasets_dir: Path | None = None,
    tables: tuple[tuple[str, str], ...] = SERVED_TABLES,
) -> SnapshotStats:
    """Write a fresh snapshot of ``tables`` from ``warehouse`` and move it over ``target`` atomically.

    Without a warehouse (nothing has run yet) the snapshot is written anyway, with every table
    listed as missing, so the dashboards can say what to run instead of failing to open a file.
    """
    started = time.perf_counter()
    stats = SnapshotStats(path=target)
    with lake.atomic_path(target, scratch_dir) as scratch:
        con = duckdb.connect(str(scratch))
        try:
            if warehouse.exists():
                con.execute(f"attach {_sql_string(str(warehouse))} as {WAREHOUSE_ALIAS} (read_only)")
                stats.rows, stats.missing = copy_tables(con, tables, warehouse_relations(con))
                con.execute(f"detach {WAREHOUSE_ALIAS}")
            else:
                stats.missing = [source for _, source in tables]
            versions = dataset_version_rows(datasets_dir) if datasets_dir and datasets_dir.is_dir() else []
            _write_dataset_versions(con, versions)
            stats.dataset_versions = len(versions)
            _write_metadata(con, stats, warehouse)
            con.execute("checkpoint")
        finally:
            con.close()
            Path(f"{scratch}.wal").unlink(missing_ok=True)
        # readers open it read-only; nothing writes it after the swap
        os.chmod(scratch, 0o644)
    stats.bytes = target.stat().st_size
    stats.seconds = time.perf_counter() - started
    return stats


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_for_home(paths: FlywheelPaths) -> SnapshotStats:
    """The snapshot of one ``$FLYWHEEL_HOME``: warehouse in, ``serving/marts.duckdb`` out."""
    return build_snapshot(paths.warehouse, paths.serving_db, paths.tmp, paths.datasets)
