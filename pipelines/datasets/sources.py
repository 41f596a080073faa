"""A training set's inputs, and only these: the scrubbed lake and the signals marts.

The build never reads ``$FLYWHEEL_HOME/raw``. Text comes from the lake's scrubbed interaction
events (``lake/events/ingest_date=*/part-0.parquet``, written by ``scrubbed_events``); who
succeeded and who consented come from the warehouse marts ``fct_generations`` and ``dim_users``
(dbt, issue #4), attached read-only. This module maps them onto a few canonical views that the
build's SQL uses, so a renamed mart column is fixed here and nowhere else:

- ``src_generations``: one row per generation (``generation_id`` = the event id of its
  ``generation.completed``), with its turn, ordering in the turn, label, score, failure reason;
- ``src_users``: one row per user with ``consent_ok`` (true only for consent status ``granted``);
- ``src_texts``: the prompt and generation events of the lake, first copy of each event id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines import lake
from pipelines.settings import FlywheelPaths

GENERATIONS_MART = "fct_generations"
USERS_MART = "dim_users"
LAKE_TABLE = "events"
# Dagster asset keys the training set depends on (their blocking checks gate it): the two marts
# and the privacy stage's asset that writes the scrubbed lake events.
SCRUBBED_EVENTS_ASSET = "scrubbed_events"
UPSTREAM_ASSET_KEYS = (GENERATIONS_MART, USERS_MART, SCRUBBED_EVENTS_ASSET)

# Canonical name -> expression over the mart, per view. Only these columns are read.
GENERATION_COLUMNS = {
    "generation_id": "generation_id",
    "response_id": "response_id",
    "prompt_id": "prompt_id",
    "workspace_id": "workspace_id",
    "user_id": "user_id",
    "session_id": "session_id",
    "turn_id": "turn_id",
    "turn_index": "turn_index",
    "gen_seq": "generation_number_in_turn",
    "label": "outcome_label",
    "success_score": "success_score",
    "failure_reason": "failure_reason",
    "intent": "prompt_intent",
    "model": "coalesce(request_model, response_model)",
}
USER_COLUMNS = {
    "user_id": "user_id",
    # Only an explicit, current grant lets a user in: 'never' and 'revoked' both keep them out.
    "consent_ok": "coalesce(consent_status = 'granted', false)",
}
TEXT_COLUMNS = (
    "event_id", "event_type", "occurred_at", "session_id", "turn_id", "turn_index",
    "prompt_text", "assistant_text", "code_patch",
)


class SourceMissing(RuntimeError):
    """An input of the training set is not there yet."""


@dataclass(frozen=True)
class SourceSummary:
    """What a build read: the manifest's ``sources`` section."""

    partitions: tuple[tuple[str, int], ...]  # (ingest_date, events) of the lake's events table
    generations: int
    labelled_generations: int
    users: int
    consenting_users: int

    @property
    def data_through(self) -> str | None:
        return self.partitions[-1][0] if self.partitions else None

    def to_json(self) -> dict[str, Any]:
        return {
            "lake_events": {
                "table": f"lake/{LAKE_TABLE}",
                "partitions": [{"ingest_date": d, "events": n} for d, n in self.partitions],
                "events": sum(n for _, n in self.partitions),
            },
            "warehouse": {
                GENERATIONS_MART: {"rows": self.generations, "labelled": self.labelled_generations},
                USERS_MART: {"rows": self.users, "consenting": self.consenting_users},
            },
            "data_through": self.data_through,
        }


def lake_partitions(paths: FlywheelPaths) -> tuple[tuple[str, int], ...]:
    """Every ingest_date of the lake's events with its row count (from Parquet footers only)."""
    root = paths.lake_table(LAKE_TABLE)
    return tuple(
        (day, lake.parquet_file(lake.partition_path(root, day)).metadata.num_rows)
        for day in lake.partition_days(root)
    )


def _select(columns: dict[str, str], table: str) -> str:
    return "SELECT " + ", ".join(f"{expr} AS {name}" for name, expr in columns.items()) + f" FROM {table}"


def attach(con: duckdb.DuckDBPyConnection, paths: FlywheelPaths) -> SourceSummary:
    """Attach the warehouse read-only and create the canonical views on ``con``."""
    partitions = lake_partitions(paths)
    if not partitions:
        raise SourceMissing(
            f"no scrubbed events under {paths.lake_table(LAKE_TABLE)}: run the pipeline first "
            "(`flywheel run`), the training set is built from the scrubbed lake"
        )
    warehouse: Path = paths.warehouse
    if not warehouse.exists():
        raise SourceMissing(f"no warehouse at {warehouse}: the signals marts (dbt) have not been built yet")
    con.execute(f"ATTACH '{_quote(warehouse)}' AS wh (READ_ONLY)")
    present = {row[0] for row in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh'"
    ).fetchall()}
    missing = [t for t in (GENERATIONS_MART, USERS_MART) if t not in present]
    if missing:
        raise SourceMissing(f"the warehouse {warehouse} has no {', '.join(missing)}: run the signals stage (dbt)")
    con.execute("CREATE OR REPLACE TEMP VIEW src_generations AS " + _select(GENERATION_COLUMNS, f"wh.{GENERATIONS_MART}"))
    con.execute("CREATE OR REPLACE TEMP VIEW src_users AS " + _select(USER_COLUMNS, f"wh.{USERS_MART}"))
    lake.register_filesystems(con, paths.lake)
    glob = _quote(lake.table_glob(paths.lake_table(LAKE_TABLE)))
    columns = ", ".join(TEXT_COLUMNS)
    # The first copy of an event id, as dbt's base model keeps it. Re-sent copies are rare (ingest
    # drops them within its window), so only the repeated ids go through the window function and
    # the rest never drag their text through it.
    con.execute(
        "CREATE OR REPLACE TEMP VIEW src_texts AS "
        f"WITH lake AS (SELECT {columns}, ingest_date, source_file, source_line "
        f"    FROM read_parquet('{glob}', hive_partitioning = true) "
        "    WHERE event_type IN ('prompt.submitted', 'generation.completed')), "
        "repeated AS (SELECT event_id FROM lake GROUP BY event_id HAVING count(*) > 1) "
        f"SELECT {columns} FROM lake ANTI JOIN repeated USING (event_id) "
        "UNION ALL "
        f"SELECT {columns} FROM (SELECT * FROM lake SEMI JOIN repeated USING (event_id) "
        "    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingest_date, source_file, source_line) = 1)"
    )
    counts = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE label IN ('success', 'failure')) FROM src_generations"
    ).fetchone()
    users = con.execute("SELECT count(*), count(*) FILTER (WHERE consent_ok) FROM src_users").fetchone()
    assert counts is not None and users is not None
    return SourceSummary(partitions, int(counts[0]), int(counts[1]), int(users[0]), int(users[1]))


def _quote(path: Path | str) -> str:
    return str(path).replace("'", "''")
