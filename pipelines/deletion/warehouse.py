"""The warehouse: delete the subject's rows from every table, pseudonymize revenue rows, then compact.

Tables are found by their columns, not by name, so a new dbt model is covered without an edit
here: any row whose text column holds one of the subject's ids (user or workspace id, their event
ids, the sessions, apps, turns and responses only they used) is theirs. Billing-derived tables
(a column in ``BILLING_MARKERS``) are the revenue history: for a forgotten workspace their ids are
replaced by the keyed pseudonyms instead (README.md, "Revenue history").

DuckDB keeps deleted rows' bytes in the file until their blocks are reused, so the warehouse is
then copied into a fresh file (``COPY FROM DATABASE``) and moved over the old one atomically.
Aggregate tables (counts per day, per model) hold no ids and keep their numbers until the next
run recomputes them.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines import lake
from pipelines import scratch as scratch_space
from pipelines.deletion.pseudonyms import sql_regex
from pipelines.settings import FlywheelPaths

BILLING_MARKERS = frozenset({"subscription_id", "mrr_usd", "revenue_usd", "active_subscriptions"})


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(schema, table) -> its (column, type), for every base table of the open database."""
    rows = con.execute("""
        SELECT c.table_schema, c.table_name, c.column_name, c.data_type
        FROM information_schema.columns AS c
        JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE' AND c.table_catalog = current_database()
        ORDER BY c.table_schema, c.table_name, c.ordinal_position""").fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), []).append((column, data_type))
    return tables


def is_revenue_table(columns: list[str]) -> bool:
    return bool(BILLING_MARKERS & set(columns))


def delete_sql(schema: str, table: str, columns: list[str]) -> str:
    where = " OR ".join(f"{_quote(c)} IN (SELECT id FROM forget_ids)" for c in columns)
    return f"DELETE FROM {_quote(schema)}.{_quote(table)} WHERE {where}"


def clean_warehouse(path: Path, ids: set[str], billing_ids: dict[str, str]) -> dict[str, int]:
    """Delete and pseudonymize in place; returns rows touched per table (only tables touched)."""
    counts: dict[str, int] = {}
    if not path.exists():
        return counts
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TEMP TABLE forget_ids (id VARCHAR)")
        con.executemany("INSERT INTO forget_ids VALUES (?)", [[i] for i in sorted(ids)])
        con.execute("BEGIN")
        for (schema, table), typed in table_columns(con).items():
            columns = [c for c, data_type in typed if data_type == "VARCHAR"]  # ids are text
            if not columns:
                continue
            name = f"{table}" if schema == "main" else f"{schema}.{table}"
            if is_revenue_table([c for c, _ in typed]) and billing_ids:
                touched = _pseudonymize(con, schema, table, columns, billing_ids)
                if touched:
                    counts[f"{name} (pseudonymized)"] = touched
                continue
            deleted = con.execute(delete_sql(schema, table, columns)).fetchone()[0]
            if deleted:
                counts[name] = int(deleted)
        con.execute("COMMIT")
    finally:
        con.close()
    return counts


def _pseudonymize(con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[str],
                  billing_ids: dict[str, str]) -> int:
    """Replace each billing id (whole token, composite keys included) by its pseudonym."""
    target = f"{_quote(schema)}.{_quote(table)}"
    matches = " OR ".join(f"regexp_matches({_quote(c)}, ?)" for c in columns for _ in billing_ids)
    params = [sql_regex(old) for _ in columns for old in billing_ids]
    touched = con.execute(f"SELECT count(*) FROM {target} WHERE {matches}", params).fetchone()[0]
    for column in columns:
        for old, new in billing_ids.items():
            con.execute(
                f"UPDATE {target} SET {_quote(column)} = regexp_replace({_quote(column)}, ?, ?, 'g') "
                f"WHERE regexp_matches({_quote(column)}, ?)",
                [sql_regex(old), f"\\1{new}\\2", sql_regex(old)],
            )
    return int(touched)


def compact(paths: FlywheelPaths) -> int:
    """Copy the warehouse into a fresh file and swap it in: deleted rows leave no bytes behind.

    The copy is named ``warehouse.duckdb`` inside a scratch folder so its catalog name (which
    DuckDB takes from the file name) is the one dbt's views were created under.
    """
    source = paths.warehouse
    if not source.exists():
        return 0
    scratch_dir = paths.tmp / scratch_space.owned_name("forget-compact")
    scratch_dir.mkdir(parents=True)
    fresh = scratch_dir / source.name
    try:
        with lake.storage_errors(source):
            con = duckdb.connect(str(fresh))
            try:
                con.execute(f"ATTACH {lake.sql_literal(source)} AS forget_source (READ_ONLY)")
                con.execute(f"COPY FROM DATABASE forget_source TO {_quote(fresh.stem)}")
                con.execute("DETACH forget_source")
                con.execute("CHECKPOINT")
            finally:
                con.close()
            os.replace(fresh, source)
            Path(f"{source}.wal").unlink(missing_ok=True)
    finally:
        for leftover in scratch_dir.glob("*"):
            leftover.unlink(missing_ok=True)
        scratch_dir.rmdir()
    return source.stat().st_size
