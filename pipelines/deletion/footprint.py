"""Find the subject's footprint: their events and the ids only they used, in every store that has them.

Read from the landing zone, the raw zone, the lake and the warehouse together, so a forget that
crashed half way finds the rest again: stores are cleaned derived-first and the landing zone last.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from pipelines import contract, lake
from pipelines.deletion.subject import DERIVED_ID_COLUMNS, Footprint, Subject
from pipelines.ingest.reader import RawLine, landing_files, read_file
from pipelines.settings import FlywheelPaths

# Landing keys (the contract's attribute names) of the typed id columns.
_ID_COLUMNS = [c for c in contract.EVENT_COLUMNS if c.name in DERIVED_ID_COLUMNS]
_TEXT_COLUMNS = [c for c in contract.EVENT_COLUMNS if c.name in contract.TEXT_COLUMNS]


def landing_records(paths: FlywheelPaths, source: str) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """(file, line, record) of every parseable landing line of a source."""
    root = paths.landing / source
    for folder in sorted(root.glob("date=*")) if root.is_dir() else []:
        for path in landing_files(folder):
            for item in read_file(path):
                record = _record(item)
                if record is not None:
                    yield path, item.line_number, record


def _record(item: object) -> dict[str, Any] | None:
    if not isinstance(item, RawLine):
        return None
    if item.record is not None:
        return item.record
    if item.oversize or not item.data:
        return None
    try:
        value = orjson.loads(item.data)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


class _Collector:
    """Ids seen on the subject's rows and on everyone else's, so shared ids can be left out."""

    def __init__(self, footprint: Footprint) -> None:
        self.footprint = footprint
        self.mine: set[str] = set()
        self.others: set[str] = set()

    def add(self, row: dict[str, Any], own: bool) -> None:
        ids = {row.get(c) for c in DERIVED_ID_COLUMNS if c != "event_id"}
        ids = {i for i in ids if isinstance(i, str) and i}
        if not own:
            self.others |= ids
            return
        fp = self.footprint
        event_id = row.get("event_id")
        if isinstance(event_id, str):
            fp.event_ids.add(event_id)
        self.mine |= ids
        session, turn = row.get("session_id"), row.get("turn_id")
        if isinstance(session, str):
            fp.sessions.add(session)
        if row.get("event_type") == "generation.completed" and isinstance(event_id, str):
            fp.generation_ids.add(event_id)
            if isinstance(session, str) and isinstance(turn, str):
                generations = fp.turns.setdefault((session, turn), [])
                if event_id not in generations:
                    generations.append(event_id)

    def finish(self) -> None:
        # an id also used by somebody else is not theirs alone: matching on it would over-delete
        self.footprint.derived_ids |= self.mine - self.others
        self.footprint.sessions -= self.others


def collect(paths: FlywheelPaths, subject: Subject) -> Footprint:
    footprint = Footprint(subject)
    collector = _Collector(footprint)
    for _, _, record in landing_records(paths, "events"):
        own = subject.owns(record)
        row = {column.name: column.read(record) for column in _ID_COLUMNS}
        row["event_id"], row["event_type"] = record.get("event_id"), record.get("event_type")
        collector.add(row, own)
        if own:
            for column in _TEXT_COLUMNS:
                text = column.read(record)
                if isinstance(text, str) and text:
                    footprint.raw_texts.setdefault(column.name, set()).add(text)
    _collect_tables(paths, subject, footprint, collector)
    collector.finish()
    if subject.kind == "workspace":
        footprint.subscriptions = _subscriptions(paths, subject)
    return footprint


def _event_tables(paths: FlywheelPaths) -> list[tuple[str, str]]:
    """(zone, glob) of the typed event tables that exist: raw zone (unscrubbed) and lake (scrubbed)."""
    tables = []
    for zone, root in (("raw", paths.raw_table("events")), ("lake", paths.lake_table("events"))):
        if lake.partition_days(root):
            tables.append((zone, lake.table_glob(root)))
    return tables


def _collect_tables(paths: FlywheelPaths, subject: Subject, footprint: Footprint, collector: _Collector) -> None:
    columns = ["event_id", "event_type", *[c for c in DERIVED_ID_COLUMNS if c != "event_id"]]
    select = ", ".join(columns)
    with lake.scratch_connection(paths.tmp) as con:
        for zone, glob in _event_tables(paths):
            source = f"read_parquet({lake.sql_literal(glob)}, union_by_name = true)"
            own = f"{subject.column} = ?"
            for row in con.execute(f"SELECT {select}, {own} FROM {source}", [subject.subject_id]).fetchall():
                collector.add(dict(zip(columns, row[:-1], strict=True)), bool(row[-1]))
            texts = footprint.raw_texts if zone == "raw" else footprint.scrubbed_texts
            for column in contract.TEXT_COLUMNS:
                values = con.execute(
                    f"SELECT DISTINCT {column} FROM {source} WHERE {own} AND coalesce({column}, '') <> ''",
                    [subject.subject_id]).fetchall()
                texts.setdefault(column, set()).update(v for (v,) in values)
        if paths.warehouse.exists():
            con.execute(f"ATTACH {lake.sql_literal(paths.warehouse)} AS wh (READ_ONLY)")
            present = {t for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh'").fetchall()}
            if "base_lake__events" in present:
                for row in con.execute(
                    f"SELECT {select}, {subject.column} = ? FROM wh.base_lake__events", [subject.subject_id]
                ).fetchall():
                    collector.add(dict(zip(columns, row[:-1], strict=True)), bool(row[-1]))
            if "fct_generations" in present:
                for generation, session, turn in con.execute(
                    f"SELECT generation_id, session_id, turn_id FROM wh.fct_generations WHERE {subject.column} = ? "
                    "ORDER BY generation_id", [subject.subject_id]
                ).fetchall():
                    collector.add({"event_id": generation, "event_type": "generation.completed",
                                   "session_id": session, "turn_id": turn}, True)


def _subscriptions(paths: FlywheelPaths, subject: Subject) -> set[str]:
    """The workspace's subscription ids: billing pseudonymizes them along with the workspace id."""
    found = {
        record["subscription_id"]
        for _, _, record in landing_records(paths, "billing")
        if subject.owns(record) and isinstance(record.get("subscription_id"), str)
    }
    root = paths.lake_table("billing")
    if lake.partition_days(root):
        with lake.scratch_connection(paths.tmp) as con:
            found |= {s for (s,) in con.execute(
                f"SELECT DISTINCT subscription_id FROM read_parquet({lake.sql_literal(lake.table_glob(root))}) "
                "WHERE workspace_id = ? AND subscription_id IS NOT NULL", [subject.subject_id]).fetchall()}
    return found


def example_refs(key: bytes, footprint: Footprint) -> set[str]:
    """The training-set ids (example ids and generation refs) derived from the subject's generations."""
    from pipelines.datasets import ids

    refs = set()
    for generation in footprint.generation_ids:
        refs.add(ids.keyed_id(key, "generation", generation))
        refs.add(ids.keyed_id(key, "sft", generation))
        refs.add(ids.keyed_id(key, "unpaired", generation))
    for generations in footprint.turns.values():
        for chosen, rejected in itertools.permutations(generations, 2):
            refs.add(ids.keyed_id(key, "preference", chosen + ids.SEPARATOR + rejected))
    refs |= {ids.keyed_id(key, "conversation", s) for s in footprint.sessions}
    return refs
