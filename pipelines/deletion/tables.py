"""Remove the subject's rows from the Parquet tables of the raw zone and the lake, one day file at a time.

Each day file that holds a row of theirs is rewritten atomically (``lake.write_partition``), so a
crash leaves every file either before or after, and a re-run finds only what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines import lake
from pipelines.deletion.subject import Footprint, id_token_pattern, mentions
from pipelines.settings import FlywheelPaths

Mask = Callable[[pa.Table], pa.Array]  # true for the rows to remove


def day_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet")) if root.is_dir() else []


def rewrite_where(paths: FlywheelPaths, root: Path, theirs: Mask) -> int:
    """Remove the rows ``theirs`` marks from every day file under ``root``; returns rows removed."""
    removed = 0
    for path in day_files(root):
        table = pq.read_table(path)
        mask = theirs(table)
        count = int(pc.sum(mask).as_py() or 0)
        if count:
            lake.write_partition([table.filter(pc.invert(mask))], table.schema, path, paths.tmp)
            removed += count
    return removed


def map_where(paths: FlywheelPaths, root: Path, columns: tuple[str, ...], mapping: dict[str, str]) -> int:
    """Replace values of ``columns`` found in ``mapping`` (billing pseudonyms); returns rows changed."""
    changed = 0
    if not mapping:
        return 0
    keys = pa.array(list(mapping), type=pa.string())
    for path in day_files(root):
        table = pq.read_table(path)
        hits = None
        for column in columns:
            if column not in table.column_names:
                continue
            hit = pc.fill_null(pc.is_in(table[column], keys), False)
            hits = hit if hits is None else pc.or_(hits, hit)
            values = [mapping.get(v, v) if v is not None else None for v in table[column].to_pylist()]
            table = table.set_column(table.schema.get_field_index(column), column, pa.array(values, pa.string()))
        count = int(pc.sum(hits).as_py() or 0) if hits is not None else 0
        if count:
            lake.write_partition([table], table.schema, path, paths.tmp)
            changed += count
    return changed


def rows_of(footprint: Footprint) -> Mask:
    """Event rows of the subject: by their user/workspace column or by one of their event ids."""
    subject = footprint.subject
    event_ids = pa.array(sorted(footprint.event_ids), type=pa.string())

    def theirs(table: pa.Table) -> pa.Array:
        mask = pa.array([False] * table.num_rows, pa.bool_())
        if subject.column in table.column_names:
            mask = pc.or_(mask, pc.fill_null(pc.equal(table[subject.column], subject.subject_id), False))
        if "event_id" in table.column_names:
            mask = pc.or_(mask, pc.fill_null(pc.is_in(table["event_id"], event_ids), False))
        return mask

    return theirs


def excerpts_of(footprint: Footprint) -> Mask:
    """Quarantined lines whose excerpt names one of the subject's ids."""
    pattern = id_token_pattern(footprint.ids())

    def theirs(table: pa.Table) -> pa.Array:
        if "excerpt" not in table.column_names:
            return pa.array([False] * table.num_rows, pa.bool_())
        return pa.array([mentions(pattern, e or b"") for e in table["excerpt"].to_pylist()], pa.bool_())

    return theirs


def lines_in(keys: set[tuple[str, int]]) -> Mask:
    def theirs(table: pa.Table) -> pa.Array:
        files, lines = table["source_file"].to_pylist(), table["line_number"].to_pylist()
        return pa.array([(f, n) in keys for f, n in zip(files, lines, strict=True)], pa.bool_())

    return theirs


def quarantined_lines(root: Path, theirs: Mask) -> set[tuple[str, int]]:
    """(file, line) of the restricted quarantine rows that are the subject's."""
    keys: set[tuple[str, int]] = set()
    for path in day_files(root):
        table = pq.read_table(path)
        mask = theirs(table)
        kept = table.filter(mask)
        keys |= set(zip(kept["source_file"].to_pylist(), kept["line_number"].to_pylist(), strict=True))
    return keys


def clean_tables(paths: FlywheelPaths, footprint: Footprint, billing_ids: dict[str, str]) -> dict[str, int]:
    """Every Parquet store, derived first: lake ops and events, billing, then the raw zone."""
    counts: dict[str, int] = {}
    rows = rows_of(footprint)
    raw_quarantine = paths.raw_table("quarantine")
    # the lake's quarantine rows carry no excerpt: they are found through the raw zone's, first
    quarantined = quarantined_lines(raw_quarantine, excerpts_of(footprint))
    counts["lake/ops/quarantine"] = rewrite_where(paths, paths.lake_table("ops") / "quarantine", lines_in(quarantined))
    counts["lake/ops/scrub_quarantine"] = rewrite_where(paths, paths.lake_table("ops") / "scrub_quarantine", rows)
    counts["lake/events"] = rewrite_where(paths, paths.lake_table("events"), rows)
    counts["lake/billing (pseudonymized)"] = map_where(
        paths, paths.lake_table("billing"), ("workspace_id", "subscription_id"), billing_ids)
    counts["raw/events"] = rewrite_where(paths, paths.raw_table("events"), rows)
    counts["raw/quarantine"] = rewrite_where(paths, raw_quarantine, excerpts_of(footprint))
    return counts
