"""Fixtures of the privacy tests: one key, one analyzer set per session, the shared data files."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.privacy.patterns import RuleRecognizer
from pipelines.privacy.scrubber import Scrubber

SHARED_DATA = settings.PROJECT_ROOT.parent / "shared" / "data"
PII_DATASET = SHARED_DATA / "pii" / "presidio_generated_small.json"
SECRET_CASES = SHARED_DATA / "secrets" / "detect_secrets_plugin_cases.jsonl"
SECRETS_RAW = SHARED_DATA / "secrets" / "raw"
PROMPTS = SHARED_DATA / "prompts"
KEY = b"privacy-tests-key-0123456789abcdef"


def shared(path: Path) -> Path:
    """A shared data file; its absence fails the test (CI always has ../shared/data beside the checkout)."""
    if not path.exists():
        pytest.fail(f"reference data {path} is missing: the tests need ../shared/data beside the checkout")
    return path


@pytest.fixture(scope="session")
def scrubber() -> Iterator[Scrubber]:
    """In-process, no persistent cache; models loaded once for the whole session."""
    with Scrubber(KEY) as s:
        s.warm_up()
        yield s


@pytest.fixture(scope="session")
def prompts() -> list[str]:
    """The real prompts of shared/data/prompts (read by path, never copied)."""
    shared(PROMPTS)
    texts = [
        json.loads(line)
        for line in (PROMPTS / "oasst_prompt_lottery_en_250_text.jsonl").read_text().splitlines()
        if line.strip()
    ]
    texts += [
        json.loads(line)["query"]
        for line in (PROMPTS / "devai_55_tasks.jsonl").read_text().splitlines()
        if line.strip()
    ]
    with (PROMPTS / "awesome_chatgpt_prompts_for_devs.csv").open(newline="") as handle:
        texts += [row["prompt"] for row in csv.DictReader(handle)]
    return texts


def findings_of(recognizer: RuleRecognizer, text: str) -> list[tuple[int, int, float]]:
    return [(r.start, r.end, r.score) for r in recognizer.analyze(text, [])]


def tried_everywhere(recognizer: RuleRecognizer) -> RuleRecognizer:
    """The recognizer with its rules tried at every position (no anchors, no start finders),
    screened by its own trigger only (the rules' line triggers are lines.py's business)."""
    return recognizer.with_rules([
        dataclasses.replace(r, anchor=None, anchor_reach=0, starts=None, trigger=None) for r in recognizer.rules
    ])
