"""Property-based fuzzing of ingest: arbitrary bytes and arbitrary JSON never crash it, and every
line is accounted for (lines read = loaded + quarantined + duplicates)."""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from pipelines import settings as flywheel_settings
from pipelines.ingest.load import ingest_day
from tests.conftest import contract_examples

DAY = "2026-11-02"
EXAMPLES = [e for e in contract_examples() if not e["event_type"].startswith("subscription.")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=6),
    max_leaves=20,
)


@st.composite
def mutated_events(draw: st.DrawFn) -> dict:
    """A real example with fields dropped, replaced by arbitrary JSON, or added."""
    doc = dict(draw(st.sampled_from(EXAMPLES)))
    for key in draw(st.lists(st.sampled_from(sorted(doc)), max_size=3)):
        if draw(st.booleans()):
            doc.pop(key, None)
        else:
            doc[key] = draw(json_values)
    if draw(st.booleans()):
        doc[draw(st.text(max_size=10))] = draw(json_values)
    return doc


def _ingest(lines: list[bytes], gzipped: bool) -> None:
    base = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        home = flywheel_settings.paths(base)
        flywheel_settings.ensure_layout(home)
        folder = home.landing_day("events", DAY)
        folder.mkdir(parents=True)
        payload = b"\n".join(lines)
        name = "fuzz.jsonl.gz" if gzipped else "fuzz.jsonl"
        (folder / name).write_bytes(gzip.compress(payload, mtime=0) if gzipped else payload)
        stats = ingest_day(home, "events", DAY)
        assert stats.balanced, (stats.lines_read, stats.loaded, stats.quarantined, stats.duplicates)
        assert stats.lines_read == payload.count(b"\n") + (1 if payload and not payload.endswith(b"\n") else 0)
    finally:
        shutil.rmtree(base)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(st.binary(max_size=300), max_size=12), st.booleans())
def test_arbitrary_bytes_never_crash_ingest(lines: list[bytes], gzipped: bool) -> None:
    _ingest(lines, gzipped)


@FUZZ
@given(st.lists(json_values, max_size=12))
def test_arbitrary_json_never_crashes_ingest(values: list) -> None:
    _ingest([json.dumps(v).encode() for v in values], gzipped=False)


@FUZZ
@given(st.lists(mutated_events(), min_size=1, max_size=12))
def test_mutated_events_never_crash_ingest(docs: list[dict]) -> None:
    _ingest([json.dumps(d).encode() for d in docs], gzipped=True)
