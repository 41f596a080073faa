"""Measure the scrubber: precision/recall/F1 per entity type on labelled PII, and secret detection.

PII data: the presidio-research JSON format, a list (or JSON lines) of
``{"full_text": ..., "spans": [{"entity_type", "start_position", "end_position"}, ...]}``.

Label mapping (dataset label -> our entity type), in ``LABEL_MAP``. That dataset predates
Presidio's current names: PERSON/PER, LOCATION/GPE/LOC, EMAIL_ADDRESS/EMAIL, PHONE_NUMBER/PHONE,
CREDIT_CARD, US_SSN, IBAN_CODE/IBAN and IP_ADDRESS are in scope. Every other label (ADDRESS,
ORGANIZATION, TITLE, DATE_TIME, DOMAIN_NAME, US_DRIVER_LICENSE, NRP...) is out of scope: we do not
claim to detect it, so its spans count neither as misses nor, when we happen to cover them (a
street address found as LOCATION, a company name taken for a person), as false alarms.

Matching rule: character overlap. A prediction is a true positive when it shares at least one
character with a gold span of the same type; a gold span is found when such a prediction exists.
Overlap rather than exact boundaries because for scrubbing only "was the value covered" matters,
and because labels are imperfect (row 56 of presidio_generated_small.json is off by one).
A prediction overlapping only out-of-scope spans is ignored; any other unmatched prediction
(including one of the wrong in-scope type) is a false positive. ``redaction_recall`` is the share
of in-scope gold spans covered by a prediction of any type: what matters for leaks.

Secrets data: JSON lines ``{"detector", "text", "is_secret"}`` (the detect-secrets cases). A line
counts as flagged when the scrub finds anything in it; recall is over ``is_secret=true`` lines,
the false-alarm rate over ``is_secret=false`` lines, per detector and overall.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.privacy.policies import NATURAL_LANGUAGE, POLICY_VERSION, Policy, get_policy
from pipelines.privacy.pseudonyms import Finding

LABEL_MAP: dict[str, str] = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "LOCATION": "LOCATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "EMAIL": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "PHONE": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "US_SSN": "US_SSN",
    "IBAN_CODE": "IBAN_CODE",
    "IBAN": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
}
SPAN_RULE = "character overlap (>= 1 shared character, same entity type)"


@dataclass(frozen=True)
class Span:
    entity_type: str
    start: int
    end: int

    def overlaps(self, other: Span | Finding) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class LabelledText:
    text: str
    spans: tuple[Span, ...]


def load_pii_dataset(path: Path) -> list[LabelledText]:
    """Rows of a presidio-research dataset (a JSON list, or one JSON object per line)."""
    raw = path.read_text(encoding="utf-8")
    rows = (
        json.loads(raw)
        if raw.lstrip().startswith("[")
        else [json.loads(x) for x in raw.splitlines() if x.strip()]
    )
    out = []
    for n, row in enumerate(rows):
        if "full_text" not in row:
            raise ValueError(f"{path}: row {n} has no 'full_text': not a presidio-research dataset")
        spans = tuple(
            Span(s["entity_type"], int(s["start_position"]), int(s["end_position"]))
            for s in row.get("spans") or []
        )
        out.append(LabelledText(row["full_text"], spans))
    return out


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if not precision or not recall:
        return 0.0 if precision is not None and recall is not None else None
    return round(2 * precision * recall / (precision + recall), 4)


def score_spans(
    rows: Sequence[tuple[Sequence[Span], Sequence[Span | Finding]]],
) -> dict[str, Any]:
    """Per-entity and overall counts and P/R/F1 for (gold spans, predicted spans) per text."""
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: dict(gold=0, predicted=0, tp=0, fp=0, fn=0, ignored=0)
    )
    covered = total_gold = 0
    for gold, predicted in rows:
        in_scope = [
            Span(LABEL_MAP[g.entity_type], g.start, g.end)
            for g in gold
            if g.entity_type in LABEL_MAP
        ]
        out_of_scope = [g for g in gold if g.entity_type not in LABEL_MAP]
        for g in in_scope:
            c = counts[g.entity_type]
            c["gold"] += 1
            total_gold += 1
            if any(p.entity_type == g.entity_type and g.overlaps(p) for p in predicted):
                c["tp"] += 1
            else:
                c["fn"] += 1
            covered += any(g.overlaps(p) for p in predicted)
        for p in predicted:
            c = counts[p.entity_type]
            if any(g.entity_type == p.entity_type and g.overlaps(p) for g in in_scope):
                c["predicted"] += 1
            elif any(g.overlaps(p) for g in out_of_scope):
                c["ignored"] += 1
            else:
                c["predicted"] += 1
                c["fp"] += 1
    entities = {}
    for entity, c in sorted(counts.items()):
        precision = _ratio(c["predicted"] - c["fp"], c["predicted"])
        recall = _ratio(c["tp"], c["gold"])
        entities[entity] = {
            **c,
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
        }
    totals = {
        k: sum(c[k] for c in counts.values())
        for k in ("gold", "predicted", "tp", "fp", "fn", "ignored")
    }
    precision = _ratio(totals["predicted"] - totals["fp"], totals["predicted"])
    recall = _ratio(totals["tp"], totals["gold"])
    return {
        "entities": entities,
        "overall": {
            **totals,
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
        },
        "redaction_recall": _ratio(covered, total_gold),
    }


def evaluate_pii(
    dataset: Path, scrubber: Any = None, policy: Policy | str = NATURAL_LANGUAGE
) -> dict[str, Any]:
    """Score the scrubber's findings (after overlap merging, i.e. what it replaces) on a dataset."""
    from pipelines.privacy.pseudonyms import merge_overlaps

    rows = load_pii_dataset(dataset)
    chosen = get_policy(policy)
    scrubber = scrubber or evaluation_scrubber()
    findings = scrubber.detect([r.text for r in rows], chosen)
    report = score_spans(
        [(r.spans, merge_overlaps(f)) for r, f in zip(rows, findings, strict=True)]
    )
    return {
        "kind": "pii",
        "dataset": str(dataset),
        "rows": len(rows),
        "policy": chosen.name,
        "policy_version": POLICY_VERSION,
        "span_rule": SPAN_RULE,
        "label_map": LABEL_MAP,
        "out_of_scope_labels": sorted(
            {s.entity_type for r in rows for s in r.spans} - set(LABEL_MAP)
        ),
        **report,
    }


def load_secret_cases(path: Path) -> list[dict[str, Any]]:
    cases = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    for n, case in enumerate(cases, 1):
        if not {"detector", "text", "is_secret"} <= case.keys():
            raise ValueError(f"{path}: line {n} lacks detector/text/is_secret")
    return cases


def evaluate_secrets(
    cases_path: Path, scrubber: Any = None, policy: Policy | str = "code"
) -> dict[str, Any]:
    """Recall on real secrets and false-alarm rate on look-alikes, per detector and overall."""
    cases = load_secret_cases(cases_path)
    chosen = get_policy(policy)
    scrubber = scrubber or evaluation_scrubber()
    findings = scrubber.detect([c["text"] for c in cases], chosen)
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: dict(secrets=0, found=0, look_alikes=0, false_alarms=0)
    )
    missed, alarms = [], []
    for case, found in zip(cases, findings, strict=True):
        c = per[case["detector"]]
        flagged = bool(found)
        if case["is_secret"]:
            c["secrets"] += 1
            c["found"] += flagged
            if not flagged:
                missed.append({"detector": case["detector"], "line": case.get("lineno")})
        else:
            c["look_alikes"] += 1
            c["false_alarms"] += flagged
            if flagged:
                alarms.append({"detector": case["detector"], "line": case.get("lineno"),
                               "as": sorted({f.entity_type for f in found})})  # fmt: skip
    detectors = {
        name: {
            **c,
            "recall": _ratio(c["found"], c["secrets"]),
            "false_alarm_rate": _ratio(c["false_alarms"], c["look_alikes"]),
        }
        for name, c in sorted(per.items())
    }
    totals = {
        k: sum(c[k] for c in per.values())
        for k in ("secrets", "found", "look_alikes", "false_alarms")
    }
    return {
        "kind": "secrets",
        "dataset": str(cases_path),
        "cases": len(cases),
        "policy": chosen.name,
        "policy_version": POLICY_VERSION,
        "detectors": detectors,
        "overall": {
            **totals,
            "recall": _ratio(totals["found"], totals["secrets"]),
            "false_alarm_rate": _ratio(totals["false_alarms"], totals["look_alikes"]),
        },
        "missed": missed,
        "false_alarms": alarms,
    }


def evaluation_scrubber() -> Any:
    # Evaluation never needs the configured key: findings do not depend on it.
    import secrets as stdlib_secrets

    from pipelines.privacy.scrubber import Scrubber

    return Scrubber(stdlib_secrets.token_bytes(32))


# --- tables ------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w)
        for i, (h, w) in enumerate(zip(headers, widths, strict=True))
    )
    out = [line, "-" * len(line)]
    for row in cells:
        out.append(
            "  ".join(
                v.ljust(w) if i == 0 else v.rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(out)


def format_table(report: dict[str, Any]) -> str:
    """A plain-text table of a report from ``evaluate_pii`` or ``evaluate_secrets``."""
    if report.get("kind") == "secrets":
        headers = (
            "detector",
            "secrets",
            "found",
            "recall",
            "look-alikes",
            "alarms",
            "false-alarm rate",
        )
        rows = [
            (
                name,
                c["secrets"],
                c["found"],
                c["recall"],
                c["look_alikes"],
                c["false_alarms"],
                c["false_alarm_rate"],
            )
            for name, c in report["detectors"].items()
        ]
        o = report["overall"]
        rows.append(
            (
                "OVERALL",
                o["secrets"],
                o["found"],
                o["recall"],
                o["look_alikes"],
                o["false_alarms"],
                o["false_alarm_rate"],
            )
        )
        title = f"Secrets: {report['cases']} cases, policy {report['policy']} ({report['policy_version']})"
        return f"{title}\n{_table(headers, rows)}"
    headers = (
        "entity",
        "gold",
        "predicted",
        "tp",
        "fp",
        "fn",
        "ignored",
        "precision",
        "recall",
        "f1",
    )
    rows = [
        (
            name,
            c["gold"],
            c["predicted"],
            c["tp"],
            c["fp"],
            c["fn"],
            c["ignored"],
            c["precision"],
            c["recall"],
            c["f1"],
        )
        for name, c in report["entities"].items()
    ]
    o = report["overall"]
    rows.append(
        (
            "OVERALL",
            o["gold"],
            o["predicted"],
            o["tp"],
            o["fp"],
            o["fn"],
            o["ignored"],
            o["precision"],
            o["recall"],
            o["f1"],
        )
    )
    title = (
        f"PII: {report['rows']} texts, policy {report['policy']} ({report['policy_version']}); "
        f"match: {report['span_rule']}; redaction recall (any type): {_cell(report['redaction_recall'])}"
    )
    return f"{title}\n{_table(headers, rows)}\nout of scope (not scored): {', '.join(report['out_of_scope_labels']) or '-'}"
