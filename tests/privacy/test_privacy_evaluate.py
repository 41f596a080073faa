"""The evaluation: its scoring rules, and the targets on presidio-research's labelled set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.privacy.evaluate import (
    Span,
    evaluate_pii,
    format_table,
    load_pii_dataset,
    score_spans,
)
from pipelines.privacy.pseudonyms import Finding
from pipelines.privacy.scrubber import Scrubber

from .conftest import PII_DATASET, shared

pytestmark = pytest.mark.xdist_group("privacy")

RECALL_TARGETS = {
    "EMAIL_ADDRESS": 0.95,
    "PHONE_NUMBER": 0.95,
    "CREDIT_CARD": 0.95,
    "US_SSN": 0.95,
    "IP_ADDRESS": 0.95,
    "PERSON": 0.85,
}


@pytest.fixture(scope="module")
def report(scrubber: Scrubber) -> dict:
    return evaluate_pii(shared(PII_DATASET), scrubber)


@pytest.mark.parametrize("entity", sorted(RECALL_TARGETS))
def test_recall_targets(report: dict, entity: str) -> None:
    scores = report["entities"][entity]
    assert scores["gold"] > 0, f"the dataset has no {entity} spans"
    assert scores["recall"] >= RECALL_TARGETS[entity], format_table(report)


def test_overall_precision_target(report: dict) -> None:
    print(format_table(report))
    assert report["overall"]["precision"] >= 0.8


def test_row_56_off_by_one_label_still_counts(report: dict) -> None:
    rows = load_pii_dataset(shared(PII_DATASET))
    gold = rows[56].spans
    assert rows[56].text[gold[0].start : gold[0].end] == "yers,"  # the known bad label
    assert score_spans([(gold, [Finding("PERSON", 20, 25)])])["entities"]["PERSON"]["recall"] == 1.0


def test_iban_recall_on_our_own_labelled_rows(scrubber: Scrubber, tmp_path: Path) -> None:
    # The shared set has no IBAN spans; these rows use valid IBANs in the same format.
    ibans = [
        "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
    ]
    rows = []
    for iban in ibans:
        text = f"Please wire the refund to {iban} by Friday."
        start = text.index(iban)
        rows.append(
            {
                "full_text": text,
                "spans": [
                    {
                        "entity_type": "IBAN_CODE",
                        "start_position": start,
                        "end_position": start + len(iban),
                    }
                ],
            }
        )
    path = tmp_path / "ibans.json"
    path.write_text(json.dumps(rows))
    assert evaluate_pii(path, scrubber)["entities"]["IBAN_CODE"]["recall"] >= 0.95


def test_scoring_rules() -> None:
    gold = (Span("PERSON", 0, 10), Span("ORGANIZATION", 20, 30), Span("EMAIL_ADDRESS", 40, 50))
    predicted = [
        Finding("PERSON", 2, 6),  # overlap, same type: true positive
        Finding("PERSON", 22, 28),  # only over an out-of-scope label: ignored
        Finding(
            "PHONE_NUMBER", 41, 45
        ),  # wrong in-scope type: false positive (the e-mail is missed)
        Finding("LOCATION", 60, 65),  # over nothing: false positive
    ]
    scores = score_spans([(gold, predicted)])
    person = scores["entities"]["PERSON"]
    assert (person["tp"], person["fp"], person["ignored"]) == (1, 0, 1)
    assert scores["entities"]["EMAIL_ADDRESS"]["fn"] == 1
    assert (
        scores["entities"]["PHONE_NUMBER"]["fp"] == 1 and scores["entities"]["LOCATION"]["fp"] == 1
    )
    assert scores["overall"]["precision"] == pytest.approx(1 / 3, abs=1e-3)
    assert scores["redaction_recall"] == 1.0  # both in-scope spans are covered by something


def test_legacy_labels_map() -> None:
    scores = score_spans(
        [
            (
                (Span("GPE", 0, 5), Span("PER", 6, 9)),
                [Finding("LOCATION", 0, 5), Finding("PERSON", 6, 9)],
            )
        ]
    )
    assert (
        scores["entities"]["LOCATION"]["recall"] == 1.0
        and scores["entities"]["PERSON"]["recall"] == 1.0
    )


def test_table_lists_every_entity(report: dict) -> None:
    table = format_table(report)
    for entity in RECALL_TARGETS:
        assert entity in table
    assert "OVERALL" in table and "out of scope" in table


def test_dataset_format_errors_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"text": "no full_text"}]')
    with pytest.raises(ValueError, match="row 0 has no 'full_text'"):
        load_pii_dataset(path)


def test_ner_screening_loses_no_labelled_span(scrubber: Scrubber) -> None:
    """Sending only candidate sentences to NER finds every gold span that whole texts find."""
    from pipelines.privacy.evaluate import LABEL_MAP
    from pipelines.privacy.policies import NATURAL_LANGUAGE
    from pipelines.privacy.scrubber import Detector, detector_for

    rows = load_pii_dataset(shared(PII_DATASET))
    texts = [r.text for r in rows]
    screened = detector_for(NATURAL_LANGUAGE).detect_raw(texts)
    whole = Detector(NATURAL_LANGUAGE, screen_ner=False).detect_raw(texts)
    for row, with_screen, without in zip(rows, screened, whole, strict=True):
        for gold in row.spans:
            if gold.entity_type not in LABEL_MAP:
                continue
            entity = LABEL_MAP[gold.entity_type]
            if any(f.entity_type == entity and gold.overlaps(f) for f in without):
                assert any(f.entity_type == entity and gold.overlaps(f) for f in with_screen), (
                    row.text
                )
