"""The event contract: documented examples validate; each kind of bad event is rejected with a reason."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from pipelines import contract
from tests.conftest import contract_examples, source_of

EXAMPLES = contract_examples()


def test_every_event_type_has_a_documented_example() -> None:
    documented = {e["event_type"] for e in EXAMPLES}
    for source in contract.SOURCES:
        assert set(contract.event_types(source)) <= documented, source


@pytest.mark.parametrize("source", contract.SOURCES)
def test_schemas_are_valid_draft_2020_12(source: str) -> None:
    schema = contract.load_schema(source)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e["event_type"])
def test_example_validates_with_both_validators(example: dict) -> None:
    source = source_of(example)
    assert contract.is_valid(source, example)
    assert jsonschema.Draft202012Validator(contract.load_schema(source)).is_valid(example)
    row = contract.to_row(source, example)
    assert row["event_id"] == example["event_id"]
    # every column as Column.read gives it (to_row reads most with doc.get)
    expected = {c.name: c.read(example) for c in contract.COLUMNS[source]}
    expected["occurred_at"] = contract.parse_utc(expected["occurred_at"])
    assert {k: v for k, v in row.items() if k != "price_per_seat"} == {
        k: v for k, v in expected.items() if k != "price_per_seat"
    }
    assert sum(v is not None for v in row.values()) > 5


def _example(event_type: str) -> dict:
    return copy.deepcopy(next(e for e in EXAMPLES if e["event_type"] == event_type))


def _without(doc: dict, key: str) -> dict:
    return {k: v for k, v in doc.items() if k != key}


BAD_EVENTS = {
    "missing envelope field": (_without(_example("prompt.submitted"), "user_id"), "missing required field 'user_id'"),
    "missing session on an action": (
        _without(_example("generation.accepted"), "turn_id"), "missing required field 'turn_id'"),
    "mistyped count": ({**_example("generation.completed"), "latency_ms": "fast"}, "field 'latency_ms' must be integer"),
    "negative count": (
        {**_example("generation.completed"), "gen_ai.usage.output_tokens": -1}, "'gen_ai.usage.output_tokens' is out of range"),
    "local time": ({**_example("prompt.submitted"), "occurred_at": "2026-11-02T09:15:02+02:00"}, "in UTC"),
    "unknown event type": ({**_example("prompt.submitted"), "event_type": "prompt.deleted"}, "unknown event_type"),
    "future major version": ({**_example("prompt.submitted"), "schema_version": "2.0"}, "unsupported schema_version"),
    "unknown field": ({**_example("app.previewed"), "note": "hello"}, "unexpected field(s) ['note']"),
    "failed build without class": (
        _without(_example("build.completed"), "build.error_class"), "missing required field 'build.error_class'"),
    "no token counts": (
        _without(_example("generation.completed"), "gen_ai.usage.input_tokens"),
        "one of gen_ai.usage.input_tokens or gen_ai.usage.prompt_tokens"),
    "bad enum": ({**_example("consent.changed"), "consent.status": "maybe"}, "'consent.status' must be one of"),
    "not an object": (["an", "array"], "not an object"),
    "billing: no seats": (_without(_example("subscription.started"), "seats"), "missing required field 'seats'"),
    "billing: currency": ({**_example("subscription.started"), "currency": "JPY"}, "'currency' must be one of"),
}


@pytest.mark.parametrize("name", BAD_EVENTS)
def test_bad_event_is_rejected_with_a_reason(name: str) -> None:
    doc, expected_reason = BAD_EVENTS[name]
    source = "billing" if name.startswith("billing") else "events"
    assert not contract.is_valid(source, doc)
    assert not jsonschema.Draft202012Validator(contract.load_schema(source)).is_valid(doc)
    assert expected_reason in contract.explain(source, doc)


def test_reasons_never_quote_values() -> None:
    secret = "sk-proj-THISISAVERYSECRETVALUE"
    doc = {**_example("prompt.submitted"), "turn_index": secret}
    reason = contract.explain("events", doc)
    assert "turn_index" in reason and secret not in reason


def test_deprecated_otel_names_are_read_as_current_ones() -> None:
    doc = _example("generation.completed")
    doc["gen_ai.usage.prompt_tokens"] = doc.pop("gen_ai.usage.input_tokens")
    doc["gen_ai.usage.completion_tokens"] = doc.pop("gen_ai.usage.output_tokens")
    doc["gen_ai.system"] = doc.pop("gen_ai.provider.name")
    assert contract.is_valid("events", doc)
    row = contract.to_row("events", doc)
    assert (row["input_tokens"], row["output_tokens"], row["provider_name"]) == (5120, 1840, "anthropic")


def test_impossible_dates_pass_the_pattern_but_not_parsing() -> None:
    with pytest.raises(ValueError):
        contract.parse_utc("2026-02-30T10:00:00Z")
    assert contract.parse_utc("2026-11-02T09:15:02.123456789Z").microsecond == 123456


def test_arrow_schema_has_every_column_once() -> None:
    for source in contract.SOURCES:
        names = contract.arrow_schema(source).names
        assert len(names) == len(set(names))
    assert set(contract.TEXT_COLUMNS) <= set(contract.arrow_schema("events").names)
