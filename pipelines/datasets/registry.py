"""Published versions: find them, read their manifests, and explain what changed between two.

A version is found by its full id, a unique prefix of it, or ``latest``; ``diff`` compares two by
example ids (per kind and split) and says WHY each example came or went, from the two manifests
and the two lineage files (``lineage/excluded.parquet``: every candidate left out, with its reason):

- added: ``new_data`` (the source generation is new to the build), ``consent_granted``,
  ``filter_change`` (a filter setting changed and now lets it in), ``signals_changed`` (the same
  filters, but its label or score changed), ``dedup_changed`` (the duplicate it lost to is gone);
- removed: ``consent_revoked``, ``deletion`` (its source generation or text is no longer in the
  inputs), ``filter_change``, ``signals_changed``, ``deduplicated`` (a new example overlaps or
  duplicates it);
- ``split_changed`` for an example in both versions but in another split (only when the split
  salt or fractions changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from pipelines.datasets.build import DEDUP_REASONS, FILTER_REASONS
from pipelines.datasets.config import KINDS, SPLITS
from pipelines.datasets.formats import LINEAGE_PATH, parquet_path
from pipelines.datasets.publish import INDEX_FILE, VERSION_PREFIX, read_index
from pipelines.settings import FlywheelPaths

# Config fields whose change can flip a filter decision, and those that move splits.
FILTER_FIELDS = ("success_threshold", "failure_threshold", "pair_failure_reasons", "min_tokens", "max_tokens",
                 "languages", "keep_undetermined_language", "max_pairs_per_turn", "context_turns",
                 "near_duplicate_threshold", "minhash_num_perm", "shingle_words", "system_prompt")
SPLIT_FIELDS = ("split_unit", "split_salt", "validation_fraction", "test_fraction")


class VersionNotFound(LookupError):
    pass


@dataclass(frozen=True)
class VersionRef:
    name: str
    version: str
    path: Path
    published_at: str | None

    def manifest(self) -> dict[str, Any]:
        return load_manifest(self.path)


def load_manifest(path: Path) -> dict[str, Any]:
    return dict(orjson.loads((path / "manifest.json").read_bytes()))


def is_withdrawn(manifest: dict[str, Any]) -> bool:
    """A version withdrawn by a deletion request (``flywheel forget``): only its tombstone is left."""
    return manifest.get("status") == "withdrawn"


def list_versions(paths: FlywheelPaths, name: str | None = None) -> list[VersionRef]:
    """Every published version, per dataset in publication order (index first, then any other)."""
    refs: list[VersionRef] = []
    root = paths.datasets
    if not root.is_dir():
        return refs
    for dataset in sorted(p for p in root.iterdir() if p.is_dir() and (name is None or p.name == name)):
        seen = set()
        for entry in read_index(dataset):
            if (dataset / entry["version"] / "manifest.json").exists():
                refs.append(VersionRef(dataset.name, entry["version"], dataset / entry["version"],
                                       entry.get("published_at")))
                seen.add(entry["version"])
        # A version moved into place whose index update never happened (the process died).
        strays = [p for p in dataset.iterdir()
                  if p.name.startswith(VERSION_PREFIX) and p.name not in seen and (p / "manifest.json").exists()
                  and p.name != INDEX_FILE]
        for stray in sorted(strays, key=lambda p: p.stat().st_mtime):
            stamp = datetime.fromtimestamp(stray.stat().st_mtime, UTC).isoformat(timespec="seconds")
            refs.append(VersionRef(dataset.name, stray.name, stray, stamp))
    return refs


def resolve(paths: FlywheelPaths, ref: str, name: str | None = None) -> VersionRef:
    """A version by full id, unique prefix, or ``latest`` (of ``name``, or of the only dataset)."""
    versions = list_versions(paths, name)
    if not versions:
        raise VersionNotFound(f"no published training-set versions under {paths.datasets}"
                              + (f" for dataset {name!r}" if name else ""))
    if ref == "latest":
        names = {v.name for v in versions}
        if len(names) > 1:
            raise VersionNotFound(f"several datasets ({', '.join(sorted(names))}): say which with --name")
        live = [v for v in versions if not is_withdrawn(v.manifest())]
        if not live:
            raise VersionNotFound(f"every version under {paths.datasets} was withdrawn (deletion requests)")
        return live[-1]
    matches = [v for v in versions if v.version == ref] or [v for v in versions if v.version.startswith(ref)]
    if not matches:
        raise VersionNotFound(f"no version {ref!r} under {paths.datasets}; `flywheel datasets list` shows them")
    if len(matches) > 1:
        raise VersionNotFound(f"{ref!r} matches several versions: {', '.join(v.version for v in matches)}")
    return matches[0]


def summary(ref: VersionRef) -> dict[str, Any]:
    """What ``show`` prints: the manifest's essentials."""
    manifest = ref.manifest()
    if is_withdrawn(manifest):
        return {"dataset": ref.name, "version": ref.version, "path": str(ref.path), "status": "withdrawn",
                "published_at": ref.published_at, "parent": manifest.get("parent"),
                "withdrawn_at": manifest.get("withdrawn_at"), "withdrawal": manifest.get("withdrawal"),
                "replaced_by": manifest.get("replaced_by"), "content_digest": manifest.get("content_digest")}
    return {
        "dataset": ref.name,
        "status": "published",
        "version": ref.version,
        "path": str(ref.path),
        "published_at": ref.published_at,
        "parent": manifest.get("parent"),
        "content_digest": manifest["content_digest"],
        "data_through": manifest["sources"]["data_through"],
        "examples": manifest["counts"]["kept"],
        "excluded": manifest["counts"]["excluded"],
        "filters": {k: v for k, v in manifest["filters"].items() if not isinstance(v, dict)},
        "near_duplicates": manifest["filters"]["near_duplicates"],
        "splits": manifest["splits"],
        "gates": {g["name"]: g["passed"] for g in manifest["gates"]},
        "scrubbing_policy_version": manifest["privacy"]["scrubbing_policy_version"],
        "code_version": manifest["code_version"],
        "contract_version": manifest["contract_version"],
        "source_partitions": manifest["sources"]["lake_events"]["partitions"],
        "training": manifest.get("training", {}),
    }


# --- diff ---------------------------------------------------------------------------------------


def _rows_sql(path: Path) -> str:
    parts = [f"SELECT '{kind}' AS kind, '{split}' AS split, example_id "
             f"FROM read_parquet('{path / parquet_path(kind, split)}')" for kind in KINDS for split in SPLITS]
    return " UNION ALL ".join(parts)


def _changed(old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    return [f for f in fields if old.get(f) != new.get(f)]


def diff(old: VersionRef, new: VersionRef) -> dict[str, Any]:
    """Rows added and removed per kind and split, each with the reason, and what changed upstream."""
    old_manifest, new_manifest = old.manifest(), new.manifest()
    for ref, manifest in ((old, old_manifest), (new, new_manifest)):
        if is_withdrawn(manifest):
            raise VersionNotFound(f"{ref.version} was withdrawn ({manifest.get('withdrawn_at')}): its files are gone; "
                                  f"compare with its replacement {manifest.get('replaced_by') or '(none yet)'}")
    filter_changes = _changed(old_manifest["config"], new_manifest["config"], FILTER_FIELDS)
    split_changes = _changed(old_manifest["config"], new_manifest["config"], SPLIT_FIELDS)
    filters_changed = "TRUE" if filter_changes else "FALSE"
    filters = ", ".join(f"'{r}'" for r in sorted(FILTER_REASONS))
    dedup = ", ".join(f"'{r}'" for r in sorted(DEDUP_REASONS))
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE old_rows AS {_rows_sql(old.path)}")
        con.execute(f"CREATE TABLE new_rows AS {_rows_sql(new.path)}")
        con.execute(f"CREATE TABLE old_out AS SELECT * FROM read_parquet('{old.path / LINEAGE_PATH}')")
        con.execute(f"CREATE TABLE new_out AS SELECT * FROM read_parquet('{new.path / LINEAGE_PATH}')")
        added = con.execute(f"""
            SELECT n.kind, n.split, CASE
                WHEN o.reason IS NULL OR o.reason = 'missing_text' THEN 'new_data'
                WHEN o.reason = 'consent' THEN 'consent_granted'
                WHEN o.reason IN ({filters}) AND {filters_changed} THEN 'filter_change'
                WHEN o.reason IN ({filters}) THEN 'signals_changed'
                WHEN o.reason IN ({dedup}) THEN 'dedup_changed'
                ELSE 'other' END AS reason, count(*) AS examples
            FROM new_rows AS n ANTI JOIN old_rows USING (kind, example_id)
            LEFT JOIN old_out AS o USING (kind, example_id)
            GROUP BY ALL ORDER BY ALL""").fetchall()
        removed = con.execute(f"""
            SELECT o.kind, o.split, CASE
                WHEN n.reason IS NULL OR n.reason = 'missing_text' THEN 'deletion'
                WHEN n.reason = 'consent' THEN 'consent_revoked'
                WHEN n.reason IN ({filters}) AND {filters_changed} THEN 'filter_change'
                WHEN n.reason IN ({filters}) THEN 'signals_changed'
                WHEN n.reason IN ({dedup}) THEN 'deduplicated'
                ELSE 'other' END AS reason, count(*) AS examples
            FROM old_rows AS o ANTI JOIN new_rows USING (kind, example_id)
            LEFT JOIN new_out AS n USING (kind, example_id)
            GROUP BY ALL ORDER BY ALL""").fetchall()
        moved = con.execute("""
            SELECT o.kind, o.split AS old_split, n.split AS new_split, count(*)
            FROM old_rows AS o JOIN new_rows AS n USING (kind, example_id)
            WHERE o.split <> n.split GROUP BY ALL ORDER BY ALL""").fetchall()
        unchanged = dict(((k, s), c) for k, s, c in con.execute("""
            SELECT kind, n.split, count(*) FROM new_rows AS n SEMI JOIN old_rows USING (kind, example_id)
            GROUP BY ALL""").fetchall())
    per_split: dict[str, dict[str, dict[str, Any]]] = {
        kind: {split: {"old": old_manifest["counts"]["kept"][kind][split],
                       "new": new_manifest["counts"]["kept"][kind][split],
                       "added": 0, "removed": 0, "unchanged": unchanged.get((kind, split), 0),
                       "added_because": {}, "removed_because": {}} for split in SPLITS}
        for kind in KINDS
    }
    for kind, split, reason, n in added:
        cell = per_split[kind][split]
        cell["added"] += n
        cell["added_because"][reason] = n
    for kind, split, reason, n in removed:
        cell = per_split[kind][split]
        cell["removed"] += n
        cell["removed_because"][reason] = n
    totals: dict[str, dict[str, int]] = {"added": {}, "removed": {}}
    for direction, rows in (("added", added), ("removed", removed)):
        for *_, reason, n in rows:
            totals[direction][reason] = totals[direction].get(reason, 0) + n
    old_parts = {p["ingest_date"]: p["events"] for p in old_manifest["sources"]["lake_events"]["partitions"]}
    new_parts = {p["ingest_date"]: p["events"] for p in new_manifest["sources"]["lake_events"]["partitions"]}
    return {
        "dataset": new.name,
        "old": old.version,
        "new": new.version,
        "totals": totals,
        "by_kind_and_split": per_split,
        "split_changed": [{"kind": k, "from": a, "to": b, "examples": n} for k, a, b, n in moved],
        "config_changes": {f: {"old": old_manifest["config"].get(f), "new": new_manifest["config"].get(f)}
                           for f in filter_changes + split_changes},
        "source_partitions": {
            "added": sorted(set(new_parts) - set(old_parts)),
            "removed": sorted(set(old_parts) - set(new_parts)),
            "changed": sorted(d for d in set(old_parts) & set(new_parts) if old_parts[d] != new_parts[d]),
        },
        "users_without_consent": {
            "old": old_manifest["sources"]["warehouse"]["dim_users"]["rows"]
            - old_manifest["sources"]["warehouse"]["dim_users"]["consenting"],
            "new": new_manifest["sources"]["warehouse"]["dim_users"]["rows"]
            - new_manifest["sources"]["warehouse"]["dim_users"]["consenting"],
        },
    }
