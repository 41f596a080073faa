"""What lands: every real line valid against the contract, every fault where faults.json says."""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from datetime import date, timedelta

import orjson
import pytest

from pipelines import contract
from pipelines.simulator import faults
from pipelines.simulator.code_text import count_patch_lines


def test_every_real_line_and_row_passes_the_contract(dataset):
    invalid = [(e.file, e.line, contract.explain("events", e.doc)) for e in dataset.events.values()
               if not contract.is_valid("events", e.doc)]
    assert invalid == []
    assert len(dataset.events) == dataset.truth["counts"]["interaction_events"] == dataset.report.interaction_events


def test_every_billing_line_passes_the_contract(dataset):
    assert dataset.billing
    assert [contract.explain("billing", d) for d in dataset.billing if not contract.is_valid("billing", d)] == []
    assert len({d["event_id"] for d in dataset.billing}) == len(dataset.billing)
    history = dataset.paths.landing_day("billing", dataset.config.start.isoformat()) / "history.jsonl"
    assert history.stat().st_size > 0


def test_layout_per_day(dataset):
    parts = dataset.config.parts_per_day
    for day in dataset.config.day_dates:
        folder = dataset.paths.landing_day("events", day.isoformat())
        names = {p.name for p in folder.iterdir()}
        assert {f"part-{i:02d}.jsonl.gz" for i in range(parts + 1)} <= names  # the last one: late arrivals
        assert "feedback-export.parquet" in names
        assert (dataset.paths.landing_day("billing", day.isoformat()) / "billing.jsonl").exists()


def test_feedback_events_are_exported_as_parquet_only(dataset):
    for event in dataset.events.values():
        is_feedback = event.doc["event_type"] == "gen_ai.evaluation.result"
        assert event.file.endswith(".parquet") == is_feedback


def test_turns_per_day_are_exactly_as_configured(dataset):
    per_day = Counter(d["occurred_at"][:10] for d in dataset.by_type("prompt.submitted"))
    assert per_day == {day.isoformat(): dataset.config.interactions_per_day for day in dataset.config.day_dates}


def test_malformed_lines_are_really_malformed(dataset):
    arrival = {m["file"]: date.fromisoformat(m["file"].split("date=")[1][:10]) for m in dataset.faults["malformed"]}
    kinds = Counter()
    for (name, line_number), record in dataset.malformed.items():
        raw = dataset.raw_lines[(name, line_number)]
        kinds[record["kind"]] += 1
        assert len(raw) == record["bytes"]
        if record["kind"] == "oversize_line":
            assert len(raw) > 1 << 20
            continue
        if record["kind"] == "future_timestamp":
            doc = orjson.loads(raw)
            end_of_day = contract.parse_utc(doc["occurred_at"]) - timedelta(minutes=5)
            assert end_of_day.date() > arrival[name], "a future timestamp must be later than the arrival day"
            assert contract.is_valid("events", doc), "only the timestamp is wrong"
            continue
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            assert record["kind"] in ("truncated_json", "invalid_utf8", "nul_byte", "blank_line")
            continue
        assert not contract.is_valid("events", doc), f"{record} parses and is valid"
    assert set(kinds) == set(faults.ALL_MALFORMED_KINDS), "every malformed kind is exercised"


def test_malformed_lines_are_extra_never_real_ids(dataset):
    real_lines = {(e.file, e.line) for e in dataset.events.values()}
    for record in dataset.faults["malformed"]:
        assert (record["file"], record["line"]) not in real_lines
        assert record["event_id"] is None or record["event_id"] not in dataset.events


def test_rates_of_duplicates_late_and_malformed_lines(dataset):
    config, real = dataset.config, len(dataset.events)
    duplicates = len(dataset.faults["duplicates"])
    assert duplicates == pytest.approx(config.duplicate_rate * real, rel=0.25)
    eligible = sum(1 for e in dataset.events.values()
                   if "2026-11-02" <= e.doc["occurred_at"][:10] < config.end.isoformat())
    delayed = [r for r in dataset.faults["late"] if r["kind"] == "delayed"]
    assert len(delayed) == pytest.approx(config.late_rate * eligible, rel=0.25)
    non_oversize = [m for m in dataset.faults["malformed"] if m["kind"] != "oversize_line"]
    assert len(non_oversize) == pytest.approx(config.malformed_rate * (real + duplicates), rel=0.35)
    counted = {d.day: d for d in dataset.report.days}
    assert sum(d.duplicate for d in counted.values()) == duplicates
    assert sum(d.late for d in counted.values()) == len(delayed)
    assert sum(sum(d.malformed.values()) for d in counted.values()) == len(dataset.faults["malformed"])


def test_duplicates_are_identical_copies_of_real_events(dataset):
    for record in dataset.faults["duplicates"]:
        event = dataset.events[record["event_id"]]
        assert (record["file"], record["line"]) in dataset.copies[record["event_id"]]
        assert (record["file"], record["line"]) != (event.file, event.line), "the first copy is the real one"
        if not record["file"].endswith(".parquet"):
            assert dataset.raw_lines[(record["file"], record["line"])] == dataset.raw_lines[(event.file, event.line)]
    recorded = Counter(r["event_id"] for r in dataset.faults["duplicates"])
    landed_more_than_once = {i: len(c) - 1 for i, c in dataset.copies.items() if len(c) > 1}
    assert landed_more_than_once == dict(recorded)


def test_late_events_land_one_or_two_days_after_they_occurred(dataset):
    late = {r["event_id"]: r for r in dataset.faults["late"]}
    for event_id, event in dataset.events.items():
        occurred = date.fromisoformat(event.doc["occurred_at"][:10])
        arrived = date.fromisoformat(event.file.split("date=")[1][:10])
        assert occurred <= arrived
        if occurred == arrived:
            assert event_id not in late
            continue
        record = late[event_id]
        assert (record["file"], record["line"]) == (event.file, event.line)
        assert record["occurred_date"] == occurred.isoformat() and record["arrival_date"] == arrived.isoformat()
        if record["kind"] == "delayed":
            assert 1 <= (arrived - occurred).days <= 2
        else:
            assert record["kind"] == "consent_backfill" and event.doc["event_type"] == "consent.changed"
            assert arrived == dataset.config.start


def test_broken_files(dataset):
    kinds = Counter(f["kind"] for f in dataset.faults["files"])
    assert kinds["empty_file"] == kinds["truncated_gzip"] >= 1
    for record in dataset.faults["files"]:
        path = dataset.paths.landing / record["file"]
        if record["kind"] == "empty_file":
            assert path.stat().st_size == 0
            continue
        kept, original = path.read_bytes(), (dataset.paths.landing / record["copy_of"]).read_bytes()
        assert original.startswith(kept) and len(kept) < len(original)
        with pytest.raises(EOFError):
            gzip.decompress(kept)
        recovered = zlib.decompressobj(31).decompress(kept)
        assert recovered.count(b"\n") == record["complete_lines"] > 0


def test_generations_are_plausible(dataset):
    generations = dataset.by_type("generation.completed")
    deprecated = 0
    for g in generations:
        change = g["code_change"]
        assert count_patch_lines(change["patch"]) == (change["lines_added"], change["lines_removed"])
        input_tokens = g.get("gen_ai.usage.input_tokens", g.get("gen_ai.usage.prompt_tokens"))
        cached = g["gen_ai.usage.cache_read.input_tokens"] + g["gen_ai.usage.cache_creation.input_tokens"]
        assert cached <= input_tokens
        assert g.get("gen_ai.usage.reasoning.output_tokens", 0) <= g.get(
            "gen_ai.usage.output_tokens", g.get("gen_ai.usage.completion_tokens"))
        if "gen_ai.system" in g:
            deprecated += 1
            assert "gen_ai.provider.name" not in g and "gen_ai.usage.prompt_tokens" in g
    assert 0.005 < deprecated / len(generations) < 0.05
    first_turn = [g["gen_ai.usage.input_tokens"] for g in generations
                  if g["turn_id"].endswith("_00") and "gen_ai.usage.input_tokens" in g]
    later = [g["gen_ai.usage.input_tokens"] for g in generations
             if g["turn_id"].endswith("_05") and "gen_ai.usage.input_tokens" in g]
    assert sum(later) / len(later) > sum(first_turn) / len(first_turn), "input grows with the turn index"


def test_actions_follow_their_generation_in_the_same_turn(dataset):
    generations: dict[str, list[dict]] = {}
    for g in dataset.by_type("generation.completed"):
        generations.setdefault(g["turn_id"], []).append(g)
    with_id = actions = 0
    for event in dataset.events.values():
        doc = event.doc
        if doc["event_type"] in ("prompt.submitted", "generation.completed", "consent.changed"):
            continue
        actions += 1
        turn = generations[doc["turn_id"]]
        first = min(g["occurred_at"] for g in turn)
        assert doc["occurred_at"] > first
        assert doc["gen_ai.conversation.id"] == turn[0]["gen_ai.conversation.id"]
        assert doc["app_id"] == turn[0]["app_id"]
        if "gen_ai.response.id" in doc:
            with_id += 1
            target = [g for g in turn if g["gen_ai.response.id"] == doc["gen_ai.response.id"]]
            assert len(target) == 1 and target[0]["occurred_at"] < doc["occurred_at"]
    assert 0.45 < with_id / actions < 0.75


def test_sessions_have_one_to_eight_turns_counted_from_zero(dataset):
    turns: dict[str, list[int]] = {}
    for p in dataset.by_type("prompt.submitted"):
        turns.setdefault(p["gen_ai.conversation.id"], []).append(p["turn_index"])
    lengths = Counter(len(t) for t in turns.values())
    assert set(lengths) <= set(range(1, 9)) and lengths[1] > lengths[8] > 0
    assert all(sorted(t) == list(range(len(t))) for t in turns.values())


def test_prompts_vary_but_some_repeat(dataset):
    texts = Counter(p["prompt.text"] for p in dataset.by_type("prompt.submitted"))
    total = sum(texts.values())
    assert len(texts) > 0.6 * total, "mostly distinct prompts"
    assert max(texts.values()) >= 5, "but people paste the same thing"
    intents = Counter(p["prompt.intent"] for p in dataset.by_type("prompt.submitted"))
    assert set(intents) == {"new_app", "add_feature", "fix_bug", "change_style", "follow_up", "other"}
