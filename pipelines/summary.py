"""The summary ``flywheel demo`` prints: what was built, where it lives, how to look at it."""

from __future__ import annotations

import duckdb
from rich.console import Console
from rich.table import Table

from pipelines import lake
from pipelines.runner import RunReport
from pipelines.settings import FlywheelPaths


def _size(path_glob: list) -> str:
    total = sum(p.stat().st_size for p in path_glob if p.is_file())
    return f"{total / 1e6:,.1f} MB"


def ingest_totals(paths: FlywheelPaths) -> list[tuple[str, int, int, int, int]]:
    """(source, lines read, loaded, quarantined, duplicates) over every day loaded so far."""
    root = paths.lake_table("ops") / "ingest_files"
    if not any(root.glob("*/*/*.parquet")):
        return []
    return duckdb.sql(
        f"""
        SELECT source, sum(lines_read), sum(loaded), sum(quarantined), sum(duplicates)
        FROM read_parquet('{root}/*/*/*.parquet', hive_partitioning = true)
        GROUP BY source ORDER BY source
        """
    ).fetchall()


def warehouse_tables(paths: FlywheelPaths) -> list[tuple[str, str, int]]:
    """(schema, table, rows) of every table in the serving snapshot, else the warehouse."""
    database = paths.serving_db if paths.serving_db.exists() else paths.warehouse
    if not database.exists():
        return []
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() ORDER BY 1, 2"
        ).fetchall()
    return [(s, t, int(n)) for s, t, n in tables]


def print_summary(paths: FlywheelPaths, report: RunReport, console: Console) -> None:
    console.rule("[bold]Flywheel: what this run built")
    ok = sum(o.success for o in report.outcomes)
    console.print(f"runs: {ok}/{len(report.outcomes)} succeeded; state in [bold]{paths.home}[/]")

    table = Table("source", "lines read", "loaded", "quarantined", "duplicates", title="Ingest")
    for source, lines, loaded, quarantined, duplicates in ingest_totals(paths):
        table.add_row(source, f"{lines:,}", f"{loaded:,}", f"{quarantined:,}", f"{duplicates:,}")
    console.print(table)

    places = Table("what", "where", "size", title="Where it lives")
    places.add_row("landing zone", str(paths.landing), _size(list(paths.landing.rglob("*"))))
    places.add_row("raw zone (restricted, unscrubbed)", str(paths.raw), _size(list(paths.raw.rglob("*"))))
    places.add_row("lake (scrubbed Parquet)", str(paths.lake), _size(list(paths.lake.rglob("*"))))
    places.add_row("warehouse (DuckDB)", str(paths.warehouse), _size([paths.warehouse]))
    places.add_row("dashboards' snapshot", str(paths.serving_db), _size([paths.serving_db]))
    places.add_row("training-set exports", str(paths.datasets), _size(list(paths.datasets.rglob("*"))))
    console.print(places)

    tables = warehouse_tables(paths)
    if tables:
        marts = Table("table", "rows", title="Marts the dashboards read")
        for schema, name, rows in tables:
            marts.add_row(f"{schema}.{name}", f"{rows:,}")
        console.print(marts)

    days = lake.partition_days(paths.raw_table("events"))
    if days:
        console.print(f"arrival days loaded: {days[0]} .. {days[-1]} ({len(days)})")
    console.print(
        "\nLook at it:\n"
        "  [bold]make ui[/]          Dagster UI at http://127.0.0.1:3000 (assets, checks, runs)\n"
        "  [bold]make dashboards[/]  business and flywheel dashboards at http://127.0.0.1:8501\n"
        "  [bold]flywheel --help[/]  every command (datasets, pii eval, forget, bench)"
    )
