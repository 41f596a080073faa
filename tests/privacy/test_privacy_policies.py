"""Policies, the field map, POLICY_VERSION, and how each policy's analyzer is built."""

from __future__ import annotations

import re

import pytest
from presidio_analyzer.nlp_engine import NoOpNlpEngine

from pipelines.contract import TEXT_COLUMNS
from pipelines.privacy.engine import NerOnlySpacyNlpEngine, NoContextEnhancer, get_analyzer
from pipelines.privacy.policies import (
    CODE,
    DEFAULT_FIELD_POLICIES,
    NATURAL_LANGUAGE,
    POLICY_VERSION,
    field_policies,
    get_policy,
    policy_fingerprint,
)
from pipelines.privacy.scrubber import Scrubber

pytestmark = pytest.mark.xdist_group("privacy")


def test_every_text_column_has_a_policy() -> None:
    assert set(DEFAULT_FIELD_POLICIES) == set(TEXT_COLUMNS)
    chosen = field_policies()
    assert chosen["prompt_text"] is NATURAL_LANGUAGE and chosen["code_patch"] is CODE
    assert chosen["build_error_message"] is CODE and chosen["feedback_comment"] is NATURAL_LANGUAGE


def test_overrides_are_checked() -> None:
    assert (
        field_policies({"build_error_message": "natural_language"})["build_error_message"]
        is NATURAL_LANGUAGE
    )
    with pytest.raises(ValueError, match="not a text column"):
        field_policies({"user_id": "code"})
    with pytest.raises(ValueError, match="unknown scrubbing policy"):
        get_policy("lenient")


def test_policy_version_is_stable_and_shaped() -> None:
    assert re.fullmatch(r"\d+\.[0-9a-f]{12}", POLICY_VERSION)
    assert POLICY_VERSION.endswith(policy_fingerprint())


def test_natural_language_analyzer_loads_only_ner() -> None:
    analyzer = get_analyzer(NATURAL_LANGUAGE)
    assert isinstance(analyzer.nlp_engine, NerOnlySpacyNlpEngine)
    assert analyzer.nlp_engine.get_nlp("en").pipe_names == ["ner"]
    assert isinstance(analyzer.context_aware_enhancer, NoContextEnhancer)
    supported = set(analyzer.get_supported_entities("en"))
    assert supported == set(NATURAL_LANGUAGE.entities)


def test_code_analyzer_has_no_nlp_model() -> None:
    analyzer = get_analyzer(CODE)
    assert isinstance(analyzer.nlp_engine, NoOpNlpEngine)
    assert not [
        r
        for r in analyzer.registry.recognizers
        if "Spacy" in type(r).__name__ or "Ner" in type(r).__name__
    ]


def test_code_policy_never_runs_ner(scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch) -> None:
    # A surname only NER knows is found in prose, not in code; and spaCy is never called for code.
    text = "Morishita began writing as a teenager."
    assert scrubber.scrub([text], "natural_language")[0].findings == {"PERSON": 1}
    ner = get_analyzer(NATURAL_LANGUAGE).nlp_engine

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("NER called for the code policy")

    monkeypatch.setattr(ner, "process_batch", refuse)
    monkeypatch.setattr(ner, "process_text", refuse)
    assert scrubber.scrub([text + " (code)"], "code")[0].findings == {}


def test_policy_version_covers_every_detection_module() -> None:
    from pathlib import Path

    from pipelines.privacy import policies

    package = Path(policies.__file__).parent
    # the stage (stage.py, assets.py) decides which fields are scrubbed, not what a text becomes:
    # the cache keyed by POLICY_VERSION holds texts, so only the text-deciding modules count
    not_deciding_output = {"__init__.py", "bench.py", "cache.py", "cli.py", "evaluate.py", "stage.py", "assets.py"}
    modules = {p.name for p in package.glob("*.py")} - not_deciding_output
    assert modules == set(policies._DETECTION_SOURCES)
