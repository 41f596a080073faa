"""The Presidio analyzers: one per policy and process, built once, offline, with only what NER needs.

* ``natural_language``: spaCy NER (the model named in ``model.py``, loaded without tagger, parser,
  lemmatizer and shared tok2vec) through ``NlpEngineProvider``, plus every pattern recognizer.
* ``code``: Presidio's ``NoOpNlpEngine`` (no tokenizer, no model) and pattern recognizers only: NER
  on code finds nonsense and is slow.

Both analyzers use ``NoContextEnhancer``: Presidio's default lemma-based enhancer needs the
lemmatizer we do not load and costs O(findings x tokens) per text (it dominated a profile of the
naive setup here). The context our rules need is written into their patterns instead.
"""

from __future__ import annotations

import functools
from typing import Any

import spacy
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine, NlpEngineProvider, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from pipelines.privacy.model import LANGUAGE, NOT_NEEDED_FOR_NER, SPACY_MODEL
from pipelines.privacy.names import NameRecognizer
from pipelines.privacy.ner_filter import plausible_ner_span
from pipelines.privacy.pii import pii_recognizers
from pipelines.privacy.policies import NER_ENTITIES, Policy
from pipelines.privacy.secrets import secret_recognizers

NER_ENGINE_NAME = "spacy_ner_only"
# spaCy labels we keep and what Presidio calls them; FAC (buildings, streets, airports) counts as a
# place because it is one. Every other label is dropped before it reaches a recognizer.
NER_LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
}
NER_IGNORED_LABELS = (
    "ORG", "NORP", "DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY",
    "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
)  # fmt: skip


class NerOnlySpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine, loading only the components named entity recognition needs."""

    engine_name = NER_ENGINE_NAME

    def load(self) -> None:
        self.nlp = {
            model["lang_code"]: spacy.load(model["model_name"], exclude=list(NOT_NEEDED_FOR_NER))
            for model in self.models
        }

    def _doc_to_nlp_artifact(self, doc: spacy.tokens.Doc, language: str) -> NlpArtifacts:
        # No lemmas and no keywords: nothing downstream reads them (see NoContextEnhancer), and
        # computing keywords costs a vocabulary lookup per token.
        entities, scores = self._get_updated_entities(doc.ents, self._get_scores_for_entities(doc))
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[],
            lemmas=[],
            nlp_engine=None,
            language=language,
            scores=scores,
        )


class PlausibleNerRecognizer(SpacyRecognizer):
    """Presidio's spaCy recognizer, minus spans no name looks like (ner_filter.py).

    Filtering here, before the analyzer removes overlapping duplicates, keeps a pattern finding
    that a dropped NER span would otherwise have absorbed.
    """

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts = None) -> list:
        results = super().analyze(text, entities, nlp_artifacts)
        return [r for r in results if plausible_ner_span(text, r.start, r.end, r.entity_type)]


class NoContextEnhancer(ContextAwareEnhancer):
    """Leaves scores alone: our recognizers carry their context in their own patterns."""

    def __init__(self) -> None:
        super().__init__(
            context_similarity_factor=0,
            min_score_with_context_similarity=0,
            context_prefix_count=0,
            context_suffix_count=0,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list,
        nlp_artifacts: Any,
        recognizers: list,
        context: Any = None,
    ) -> list:
        return raw_results


class CachedRecognizerRegistry(RecognizerRegistry):
    """Presidio's registry, answering "which recognizers for these entities" once per question.

    The analyzer asks on every call, and Presidio filters every recognizer against every entity
    each time (a quarter of a millisecond a call here, as much as a short text's patterns). The
    recognizers of a built analyzer never change, so the answer is kept.
    """

    def get_recognizers(
        self,
        language: str,
        entities: list[str] | None = None,
        all_fields: bool = False,
        ad_hoc_recognizers: list[EntityRecognizer] | None = None,
    ) -> list[EntityRecognizer]:
        if ad_hoc_recognizers:
            return super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
        cache = self.__dict__.setdefault("_answers", {})
        key = (language, tuple(entities) if entities is not None else None, all_fields, len(self.recognizers))
        if key not in cache:
            cache[key] = super().get_recognizers(language, entities, all_fields)
        return list(cache[key])


class ContextFreeAnalyzerEngine(AnalyzerEngine):
    """An AnalyzerEngine that skips the context step when nothing in it can change a score.

    With ``NoContextEnhancer`` and no recognizer overriding ``enhance_using_context``, Presidio's
    context step only regroups the results, at a cost per call of (results x recognizers).
    """

    def _enhance_using_context(self, text: str, raw_results: list, nlp_artifacts: Any,
                               recognizers: list, context: Any = None) -> list:  # fmt: skip
        if isinstance(self.context_aware_enhancer, NoContextEnhancer) and all(
            type(r).enhance_using_context is EntityRecognizer.enhance_using_context for r in recognizers
        ):
            return raw_results
        return super()._enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)


def ner_nlp_configuration() -> dict[str, Any]:
    return {
        "nlp_engine_name": NER_ENGINE_NAME,
        "models": [{"lang_code": LANGUAGE, "model_name": SPACY_MODEL}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": dict(NER_LABELS),
            "labels_to_ignore": list(NER_IGNORED_LABELS),
            "low_score_entity_names": [],
            "default_score": 0.85,
        },
    }


def ner_nlp_engine() -> NlpEngine:
    """The NER-only spaCy engine, built through Presidio's ``NlpEngineProvider``."""
    provider = NlpEngineProvider(
        nlp_engines=(NerOnlySpacyNlpEngine,), nlp_configuration=ner_nlp_configuration()
    )
    return provider.create_engine()


def pattern_nlp_engine() -> NlpEngine:
    """No NLP at all: Presidio's no-op engine returns empty artifacts instantly."""
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "no_op",
            "models": [{"lang_code": LANGUAGE, "model_name": "none"}],
        }
    )
    return provider.create_engine()


def policy_recognizers(policy: Policy, nlp_engine: NlpEngine) -> list[EntityRecognizer]:
    """The recognizers a policy runs, freshly built (each registry owns its instances)."""
    recognizers: list[EntityRecognizer] = [
        *pii_recognizers(strict_phone=policy.strict_patterns),
        NameRecognizer(allow_lowercase=not policy.strict_patterns),
        *secret_recognizers(),
    ]
    if policy.use_ner:
        recognizers.append(
            PlausibleNerRecognizer(
                supported_language=LANGUAGE, supported_entities=list(NER_ENTITIES)
            )
        )
    wanted = set(policy.entities)
    return [r for r in recognizers if wanted.intersection(r.supported_entities)]


def build_analyzer(policy: Policy) -> AnalyzerEngine:
    """A configured AnalyzerEngine for ``policy``: explicit model, offline, limited entities."""
    nlp_engine = ner_nlp_engine() if policy.use_ner else pattern_nlp_engine()
    registry = CachedRecognizerRegistry(
        recognizers=policy_recognizers(policy, nlp_engine), supported_languages=[LANGUAGE]
    )
    return ContextFreeAnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=[LANGUAGE],
        default_score_threshold=policy.min_score,
        context_aware_enhancer=NoContextEnhancer(),
    )


@functools.cache
def get_analyzer(policy: Policy) -> AnalyzerEngine:
    """The process's analyzer for ``policy``, built on first use."""
    return build_analyzer(policy)


def ner_recognizer(analyzer: AnalyzerEngine) -> SpacyRecognizer | None:
    for recognizer in analyzer.registry.recognizers:
        if isinstance(recognizer, SpacyRecognizer):
            return recognizer
    return None
