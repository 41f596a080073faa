"""``forget``: remove a user's or a workspace's data from every store of one ``$FLYWHEEL_HOME``.

The order is the safety argument (README.md, "Crash safety"):

1. the tombstone is recorded first, so ingest already drops the subject while the rest runs;
2. the footprint (their ids and texts) is read from every store that still has it;
3. stores are cleaned derived-first (caches, training sets, Dagster, ground truth, warehouse,
   lake, raw zone) and the landing zone, where the footprint comes from, last: a crash at any
   point leaves enough for a re-run to find the rest. Every rewrite is atomic;
4. then the warehouse is compacted, replacement training sets are built, the serving snapshot is
   rebuilt and ``tmp/`` is emptied; last, the audit rows are written.

All of it under the run lock: a pipeline run never interleaves with a deletion.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipelines import scratch as scratch_space
from pipelines.deletion import (
    audit,
    caches,
    datasets,
    ground_truth,
    landing,
    tables,
    tombstones,
    warehouse,
)
from pipelines.deletion.footprint import collect, example_refs
from pipelines.deletion.pseudonyms import billing_mapping
from pipelines.deletion.subject import Subject
from pipelines.locks import exclusive_run
from pipelines.settings import FlywheelPaths, ensure_layout, pseudonym_key

MAX_REASON_CHARS = 500


class ForgetRefused(ValueError):
    """The request cannot be carried out as given (nothing was changed)."""


@dataclass
class ForgetReport:
    request_id: str
    subject_kind: str
    subject_hash: str
    reason: str
    requested_at: str
    finished_at: str = ""
    seconds: float = 0.0
    entries: list[audit.AuditEntry] = field(default_factory=list)
    withdrawn: list[dict[str, Any]] = field(default_factory=list)
    replacements: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, counts: dict[str, int], action: str = "deleted") -> None:
        for store, rows in counts.items():
            if store.endswith(" (pseudonymized)"):
                self.entries.append(audit.AuditEntry(store.removesuffix(" (pseudonymized)"), "pseudonymized", rows))
            else:
                self.entries.append(audit.AuditEntry(store, action, rows))

    @property
    def rows_removed(self) -> int:
        return sum(e.rows for e in self.entries if e.action == "deleted")

    @property
    def status(self) -> str:
        if any(r["status"] == "failed" for r in self.replacements):
            return "done, replacement failed"
        return "done" if self.rows_removed or self.withdrawn else "nothing left to delete"

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "subject_kind": self.subject_kind,
            "subject_hash": self.subject_hash,
            "reason": self.reason,
            "requested_at": self.requested_at,
            "finished_at": self.finished_at,
            "seconds": round(self.seconds, 2),
            "status": self.status,
            "rows_removed": self.rows_removed,
            "stores": [e.__dict__ for e in self.entries if e.rows],
            "withdrawn_versions": self.withdrawn,
            "replacement_versions": self.replacements,
            "warnings": self.warnings,
        }

    def audit_rows(self) -> list[dict[str, Any]]:
        base = {"request_id": self.request_id, "subject_kind": self.subject_kind, "subject_hash": self.subject_hash,
                "reason": self.reason, "requested_at": self.requested_at, "finished_at": self.finished_at,
                "status": self.status}
        rows = [base | e.__dict__ for e in self.entries if e.rows]
        return rows or [base | {"store": "(all)", "action": "deleted", "rows": 0}]


def check_reason(reason: str, subject: Subject) -> str:
    """The reason is kept in tombstones and the audit: it must not itself name the subject."""
    reason = " ".join(reason.split())
    if not reason:
        raise ForgetRefused("--reason must say why (e.g. 'user request via support ticket'), without naming anyone")
    if len(reason) > MAX_REASON_CHARS:
        raise ForgetRefused(f"--reason is longer than {MAX_REASON_CHARS} characters")
    if subject.subject_id in reason:
        raise ForgetRefused("--reason contains the id being forgotten: it is kept in the audit, so leave the id out")
    return reason


def running_dataset_builds(paths: FlywheelPaths) -> list[str]:
    """Training-set builds in progress outside a pipeline run (``flywheel datasets build``)."""
    from pipelines.datasets.publish import WORK_LABEL

    return [str(pid) for pid in scratch_space.live_owners(paths.tmp, WORK_LABEL)]


def forget(
    paths: FlywheelPaths,
    subject: Subject,
    reason: str,
    *,
    wait_seconds: float = 0.0,
    rebuild_datasets: bool = True,
    on_step: Callable[[str], None] | None = None,
) -> ForgetReport:
    """Forget ``subject`` everywhere in ``paths``; idempotent (a re-run finds nothing left).

    Raises ``RunLockHeld`` when a pipeline run holds the home longer than ``wait_seconds``,
    ``ForgetRefused`` for a request that cannot be carried out as given.
    """
    reason = check_reason(reason, subject)
    step = on_step or (lambda _: None)
    started = time.perf_counter()
    ensure_layout(paths)
    key = pseudonym_key(paths)
    subject_hash = tombstones.subject_hash(key, subject.kind, subject.subject_id)
    requested_at = datetime.now(UTC).isoformat(timespec="seconds")
    report = ForgetReport(uuid.uuid4().hex, subject.kind, subject_hash, reason, requested_at)

    with exclusive_run(paths.state / "run.lock", wait_seconds):
        busy = running_dataset_builds(paths)
        if busy:
            raise ForgetRefused(
                f"a training-set build (pid {', '.join(busy)}) is running on {paths.home}: it may publish "
                "data of this subject; wait for it to finish, then run forget again")
        # a killed run's half-written files may hold the subject's data (a raw day being scrubbed)
        swept = scratch_space.sweep_after_crash(paths.tmp, (paths.raw, paths.lake))
        if swept:
            report.add({"tmp (files a killed run left)": len(swept)}, "removed")
        step("tombstone")
        if not any(t.kind == subject.kind and t.subject_hash == subject_hash for t in tombstones.load(paths.state)):
            tombstones.add(paths.state, tombstones.Tombstone(subject.kind, subject_hash, requested_at, report.request_id))
            report.add({"state/tombstones.jsonl": 1}, "recorded")

        step("footprint")
        footprint = collect(paths, subject)
        billing_ids = billing_mapping(key, subject.subject_id, footprint.subscriptions) if subject.kind == "workspace" else {}
        refs = example_refs(key, footprint)

        step("caches")
        report.add(caches.forget_in_caches(paths, key, footprint))
        step("training sets")
        report.withdrawn = datasets.withdraw_versions(paths, refs, reason=reason, request_id=report.request_id)
        report.add({f"exports/datasets/{w['dataset']}/{w['version']}": w["files_removed"] for w in report.withdrawn},
                   "withdrawn")
        step("dagster storage")
        needles = footprint.needles() | caches.placeholders_of(footprint) | refs
        report.add(caches.redact_dagster(paths, needles))
        step("ground truth")
        report.add(ground_truth.clean_ground_truth(paths, footprint, billing_ids))
        step("warehouse")
        report.add({f"warehouse/{t}": n for t, n in warehouse.clean_warehouse(
            paths.warehouse, footprint.ids(), billing_ids).items()})
        step("lake and raw zone")
        report.add(tables.clean_tables(paths, footprint, billing_ids))
        step("landing zone")
        landed = landing.rewrite_landing(paths, footprint, billing_ids)
        report.add({"landing (lines)": landed.lines_removed})
        if landed.lines_pseudonymized:
            report.add({"landing/billing (lines) (pseudonymized)": landed.lines_pseudonymized})

        step("compaction")
        if warehouse.compact(paths):
            report.add({"warehouse.duckdb": 1}, "compacted")
        if rebuild_datasets:
            step("replacement training sets")
            report.replacements = datasets.build_replacements(paths, datasets.pending_replacements(paths))
            for replacement in report.replacements:
                if replacement["status"] == "failed":
                    report.warnings.append(
                        f"the replacement of {', '.join(replacement['replaces'])} was not published: "
                        f"{replacement['error']}; the withdrawal stands. Fix the cause and run "
                        "`flywheel datasets build`, or re-run forget.")
            # a re-scan cache entry written while the replacement was scanned cannot be theirs,
            # but the sweep is cheap and makes the claim independent of the build's inputs
            report.add(caches.forget_in_caches(paths, key, footprint))
        step("serving snapshot")
        from pipelines.serving.snapshot import build_for_home

        build_for_home(paths)
        report.add({"serving/marts.duckdb": 1}, "rebuilt")
        step("tmp")
        report.add({"tmp (entries)": caches.clear_tmp(paths)}, "cleared")

        report.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        report.seconds = time.perf_counter() - started
        step("audit")
        audit.append(paths.state, paths.tmp, report.audit_rows())
        caches.clear_tmp(paths)
    return report
