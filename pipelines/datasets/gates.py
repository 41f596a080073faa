"""The gates a version must pass before it is published, each checked on the staged files.

They run inside the build, after the files are written and before the atomic move (publication
is all or nothing), and the Dagster asset reports each as a blocking asset check. Each gate reads
the files themselves (with DuckDB, streaming) rather than trusting the build's intermediate tables,
except where noted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb

from pipelines.datasets.config import KINDS, SPLITS, DatasetConfig
from pipelines.datasets.formats import (
    CHECKS,
    COOKBOOK_SOURCE,
    MIN_OPENAI_EXAMPLES,
    OPENAI_FORMAT,
    check_trl_parquet,
    openai_path,
    parquet_path,
    read_lines,
)

GATES: dict[str, str] = {
    "formats_valid": "Every file passes its consumer's rules: the OpenAI cookbook's format checks on "
    "the chat and DPO JSONL, the exact TRL dataset type (schema and row shapes) on the Parquet.",
    "pii_rescan_clean": "A fresh scan of every message text with the privacy stage's scrubber finds "
    "no personal data and no secret (placeholders left by scrubbing excepted).",
    "consent_respected": "No example comes from a generation whose user has not granted consent "
    "(never consented or revoked), as the warehouse says now.",
    "splits_disjoint": "No conversation has examples in two splits (across all kinds).",
    "no_eval_overlap": "No train or validation example shares its input, the whole example, or a "
    "near-duplicate final exchange with a test example.",
    "min_examples": "Each kind's train split has at least the configured minimum of examples.",
    "upstream_checks_passed": "The latest run of every blocking quality check on what the set is "
    "built from (fct_generations, dim_users, scrubbed_events) passed.",
}


@dataclass
class GateResult:
    name: str
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def description(self) -> str:
        return GATES[self.name]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "metadata": self.metadata}


def _files(version_dir: Path, kind: str, splits: Iterable[str] = SPLITS) -> list[str]:
    return [str(version_dir / parquet_path(kind, s)) for s in splits]


# --- formats ---------------------------------------------------------------------------------


def formats_gate(version_dir: Path, con: duckdb.DuckDBPyConnection | None = None) -> GateResult:
    reports: dict[str, Any] = {}
    passed = True
    for kind in KINDS:
        for split in SPLITS:
            report = check_trl_parquet(version_dir / parquet_path(kind, split), kind, con)
            reports[parquet_path(kind, split)] = report.to_json()
            passed &= report.ok
    for kind, openai_format in OPENAI_FORMAT.items():
        for split in SPLITS:
            path = version_dir / openai_path(kind, split)
            # The cookbook's ten-example minimum is for the training file; OpenAI takes smaller
            # validation files, and the test split is ours (not uploaded).
            minimum = MIN_OPENAI_EXAMPLES if split == "train" else 0
            report = CHECKS[openai_format](read_lines(path), min_examples=minimum)
            reports[openai_path(kind, split)] = report.to_json()
            passed &= report.ok
    return GateResult("formats_valid", passed, {"files": reports, "rules": COOKBOOK_SOURCE})


# --- PII and secret re-scan ---------------------------------------------------------------------


class TextScanner(Protocol):
    """What the re-scan needs from the privacy stage: findings per text, never the values."""

    description: str
    policy_version: str

    def findings(self, texts: Sequence[str], kind: str) -> list[dict[str, int]]:
        """Entity counts per text; ``kind`` is ``prose`` (natural language) or ``code``."""
        ...


class PrivacyScanner:
    """The privacy stage's Scrubber used as a detector: what it would still replace is a finding.

    ``mode="full"`` scans each piece with the policy that scrubbed it in the lake (prompts and
    prose with natural-language rules and NER, code changes with the code rules); ``"patterns"``
    scans everything with the code policy (every personal-data pattern and secret rule, no NER):
    about a hundred times faster, for very large builds (the benchmark). A persistent cache under
    ``cache_dir`` makes a re-scan of texts an earlier version already scanned free;
    ``fallback_cache_dirs`` (the lake's scrub cache) answer for texts the privacy stage already
    read with the same policy: most scrubbed texts are their raw text (nothing was found), whose
    result the lake's scrubber kept. A raw text that reached a version by mistake is looked up by
    its own key there and comes back with its findings, so the gate still fails on it.
    """

    def __init__(self, key: bytes, *, mode: str = "full", cache_dir: Path | None = None, workers: int = 1,
                 fallback_cache_dirs: Sequence[Path] = ()) -> None:  # fmt: skip
        from pipelines.privacy.policies import POLICY_VERSION
        from pipelines.privacy.scrubber import Scrubber

        if mode not in ("full", "patterns"):
            raise ValueError(f"re-scan mode must be 'full' or 'patterns', got {mode!r}")
        self.mode = mode
        self.policy_version = POLICY_VERSION
        self.description = (
            f"pipelines.privacy Scrubber (policy {POLICY_VERSION}), "
            + ("natural_language policy with NER on prose, code policy on code" if mode == "full"
               else "code policy (all patterns and secrets, no NER) on every text")
        )
        self._scrubber = Scrubber(key, cache_dir=cache_dir, workers=workers, fallback_cache_dirs=fallback_cache_dirs)

    def findings(self, texts: Sequence[str], kind: str) -> list[dict[str, int]]:
        policy = "natural_language" if kind == "prose" and self.mode == "full" else "code"
        results = self._scrubber.scrub(list(texts), policy)
        return [
            dict(r.findings) if not r.quarantined else {"QUARANTINED": 1} for r in results
        ]

    def close(self) -> None:
        self._scrubber.close()


def scrubbing_policy_version() -> str | None:
    """The privacy stage's POLICY_VERSION, when that stage is installed."""
    try:
        from pipelines.privacy.policies import POLICY_VERSION
    except ImportError:
        return None
    return POLICY_VERSION


_DIFF_FENCE = re.compile(r"(?:^|\n\n)(`{3,4})diff\n")


def message_pieces(role: str, content: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pieces of a message, each to be scanned with its own policy.

    An assistant answer is its prose then its code change in a diff block (text.render_answer):
    the prose is scanned as prose, the patch as code, as the lake scrubbed them. The patch keeps
    the line break that ends its last line, as a diff in the lake does, so that the lake's cache
    knows it (a fallback of the re-scan's).
    """
    if role != "assistant":
        return [("prose", content)]
    match = _DIFF_FENCE.search(content)
    if match is None:
        return [("prose", content)]
    fence = match.group(1)
    prose = content[: match.start()]
    code = content[match.end():]
    if code.endswith("\n" + fence):
        code = code[: -len(fence)]
    return [(k, t) for k, t in (("prose", prose), ("code", code)) if t.strip()]


def _distinct_messages(batches: Iterable[Any], chunk_rows: int) -> Iterable[list[tuple[str, str]]]:
    """Each distinct (role, content) once, in chunks of ``chunk_rows``, from batches of
    (role, content, key): the key (an MD5 of both) is remembered, not the text. A DISTINCT in
    DuckDB hashed every text of the version (gigabytes spilled at a million interactions); most
    messages repeat (a conversation's context comes again with each later turn)."""
    seen: set[str] = set()
    chunk: list[tuple[str, str]] = []
    for batch in batches:
        keys = batch.column(2).to_pylist()
        fresh = [i for i, key in enumerate(keys) if key not in seen and not seen.add(key)]
        if not fresh:
            continue
        rows = batch.take(fresh)
        chunk.extend(zip(rows.column(0).to_pylist(), rows.column(1).to_pylist(), strict=True))
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rescan_gate(con: duckdb.DuckDBPyConnection, version_dir: Path, scanner: TextScanner | None,
                batch_rows: int = 2_000) -> GateResult:
    if scanner is None:
        return GateResult("pii_rescan_clean", False, {
            "error": "no scanner: the privacy stage (pipelines.privacy) is not available, so "
            "the version cannot be shown to be free of personal data"})
    selects = []
    for kind in KINDS:
        columns = ["prompt", "completion"] if kind != "preference" else ["prompt", "chosen", "rejected"]
        for column in columns:
            selects.append(f"SELECT unnest({column}) AS m FROM read_parquet({_files(version_dir, kind)})")
    messages = con.sql(
        "SELECT m.role AS role, m.content AS content, md5(coalesce(m.role, '') || chr(0) || coalesce(m.content, '')) AS key "
        "FROM (" + " UNION ALL ".join(selects) + ")"
    ).to_arrow_reader(batch_rows)
    totals: Counter[str] = Counter()
    texts_with_findings: Counter[str] = Counter()
    scanned = {"prose": 0, "code": 0}
    for chunk in _distinct_messages(messages, batch_rows):
        pieces: dict[str, list[str]] = {"prose": [], "code": []}
        owners: dict[str, list[str]] = {"prose": [], "code": []}
        for role, content in chunk:
            for kind, piece in message_pieces(role, content or ""):
                pieces[kind].append(piece)
                owners[kind].append(role)
        for kind, texts in pieces.items():
            if not texts:
                continue
            scanned[kind] += len(texts)
            for role, found in zip(owners[kind], scanner.findings(texts, kind), strict=True):
                if found:
                    texts_with_findings[f"{role}:{kind}"] += 1
                    totals.update(found)
    return GateResult("pii_rescan_clean", not totals, {
        "scanner": scanner.description,
        "scrubbing_policy_version": scanner.policy_version,
        "texts_scanned": scanned,
        "findings_by_entity": dict(sorted(totals.items())),
        "texts_with_findings": dict(sorted(texts_with_findings.items())),
    })


# --- consent, splits, overlap, size -------------------------------------------------------------


def _generation_refs(version_dir: Path) -> str:
    parts = [f"SELECT example_id, generation_ref AS ref FROM read_parquet({_files(version_dir, k)})"
             for k in ("sft", "unpaired")]
    parts += [
        f"SELECT example_id, unnest([chosen_generation_ref, rejected_generation_ref]) AS ref "
        f"FROM read_parquet({_files(version_dir, 'preference')})"
    ]
    return " UNION ALL ".join(parts)


def consent_gate(con: duckdb.DuckDBPyConnection, version_dir: Path) -> GateResult:
    """Recomputes, from the warehouse, the refs of every generation of a user without consent."""
    row = con.execute(f"""
        WITH exported AS ({_generation_refs(version_dir)}),
        without_consent AS (
            SELECT fw_id('generation', g.generation_id) AS ref, g.user_id
            FROM src_generations AS g LEFT JOIN src_users AS u USING (user_id)
            WHERE NOT coalesce(u.consent_ok, false))
        SELECT count(DISTINCT e.example_id), count(DISTINCT w.user_id)
        FROM exported AS e JOIN without_consent AS w USING (ref)""").fetchone()
    users = con.execute("SELECT count(*) FILTER (WHERE NOT consent_ok) FROM src_users").fetchone()
    assert row is not None and users is not None
    return GateResult("consent_respected", row[0] == 0, {
        "examples_from_users_without_consent": int(row[0]),
        "users_concerned": int(row[1]),
        "users_without_consent_in_warehouse": int(users[0]),
    })


def splits_gate(con: duckdb.DuckDBPyConnection, version_dir: Path) -> GateResult:
    union = " UNION ALL ".join(
        f"SELECT conversation_ref, '{split}' AS split FROM read_parquet('{version_dir / parquet_path(kind, split)}')"
        for kind in KINDS for split in SPLITS
    )
    row = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE splits > 1) FROM (
            SELECT conversation_ref, count(DISTINCT split) AS splits FROM ({union}) GROUP BY ALL)""").fetchone()
    assert row is not None
    return GateResult("splits_disjoint", row[1] == 0, {
        "conversations": int(row[0]), "conversations_in_several_splits": int(row[1])})


def eval_overlap_gate(con: duckdb.DuckDBPyConnection, version_dir: Path) -> GateResult:
    """The examples in the files, checked against the test split's with the build's keys.

    Reads which example is in which split from the files, then looks their keys up in the build's
    tables (normalised input, whole example, LSH bands of the final exchange): normalising every
    message again would double the build's cost. That the build's keys are those of the written
    messages is checked by the tests (test_rules.py).
    """
    exported = " UNION ALL ".join(
        f"SELECT '{split}' AS split, example_id FROM read_parquet('{version_dir / parquet_path(kind, split)}')"
        for kind in KINDS for split in SPLITS
    )
    row = con.execute(f"""
        WITH exported AS ({exported}),
        keys AS (SELECT e.split, e.example_id, k.input_key, k.exact_key, k.doc_no, k.split AS built_split
                 FROM exported AS e LEFT JOIN keyed_docs AS k USING (example_id)),
        test AS (SELECT * FROM keys WHERE split = 'test'),
        test_bands AS (SELECT DISTINCT band, band_hash FROM bands SEMI JOIN test USING (doc_no)),
        near AS (SELECT DISTINCT doc_no FROM bands SEMI JOIN test_bands USING (band, band_hash))
        SELECT count(*) FILTER (WHERE split <> 'test' AND input_key IN (SELECT input_key FROM test)),
               count(*) FILTER (WHERE split <> 'test' AND exact_key IN (SELECT exact_key FROM test)),
               count(*) FILTER (WHERE split <> 'test' AND doc_no IN (SELECT doc_no FROM near)),
               count(*) FILTER (WHERE input_key IS NULL OR split IS DISTINCT FROM built_split)
        FROM keys""").fetchone()
    assert row is not None
    metadata = {"same_input_as_test": int(row[0]), "same_example_as_test": int(row[1]),
                "near_duplicate_of_test": int(row[2]), "examples_unknown_to_the_build": int(row[3])}
    return GateResult("no_eval_overlap", not any(metadata.values()), metadata)


def min_examples_gate(config: DatasetConfig, train_counts: dict[str, int]) -> GateResult:
    short = {k: {"train": train_counts.get(k, 0), "minimum": m}
             for k, m in config.min_examples.items() if train_counts.get(k, 0) < m}
    return GateResult("min_examples", not short, {
        "train_examples": dict(train_counts), "minimum": dict(config.min_examples), "below_minimum": short})


# --- upstream quality checks (Dagster) ----------------------------------------------------------


def upstream_gate(instance: Any, asset_graph: Any, upstream_keys: Sequence[Any]) -> GateResult:
    """Pass when the latest execution of every blocking check on ``upstream_keys`` passed.

    ``instance`` is a DagsterInstance, ``asset_graph`` the code location's asset graph.
    """
    import dagster as dg
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    present = [k for k in upstream_keys if asset_graph.has(k)]
    check_keys = [
        key for key in asset_graph.asset_check_keys
        if key.asset_key in set(present) and asset_graph.get_check_spec(key).blocking
    ]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys) if check_keys else {}
    statuses: dict[str, str] = {}
    failing = []
    for key in sorted(check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        record = latest.get(key)
        name = f"{key.asset_key.to_user_string()}:{key.name}"
        if record is None:
            statuses[name] = "never run"
            failing.append(name)
            continue
        status = record.status
        passed = status == AssetCheckExecutionRecordStatus.SUCCEEDED
        statuses[name] = status.value.lower()
        if not passed:
            failing.append(name)
    missing = [k.to_user_string() for k in upstream_keys if k not in present]
    return GateResult("upstream_checks_passed", not failing and not missing, {
        "upstream_assets": [k.to_user_string() for k in upstream_keys],
        "assets_not_in_code_location": missing,
        "blocking_checks": statuses,
        "failing_or_missing": failing,
        "note": "no blocking checks are declared on the upstream assets" if not check_keys else "",
        "dagster": dg.__version__,
    })


UpstreamGate = Callable[[], GateResult]


def not_checked_upstream(reason: str) -> UpstreamGate:
    """For builds outside any Dagster instance (tests, the benchmark): recorded as not checked."""
    return lambda: GateResult("upstream_checks_passed", True, {"checked": False, "reason": reason})
