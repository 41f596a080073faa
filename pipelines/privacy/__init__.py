"""The privacy stage: scrub personal data and secrets from interaction text before it reaches the lake.

Public API (imported lazily, so that reading ``POLICY_VERSION`` does not load spaCy):

    Scrubber(key, *, cache_dir=None, workers=1, ...)      scrubber.py
        .scrub(texts, policy) -> list[ScrubResult]
        .scrub_fields(columns, overrides=None) -> dict[str, list[ScrubResult]]
    ScrubResult(text, findings, quarantine_reason)          result.py
    NATURAL_LANGUAGE, CODE, POLICIES, DEFAULT_FIELD_POLICIES, POLICY_VERSION, field_policies
                                                            policies.py
    evaluate_pii, evaluate_secrets, format_table            evaluate.py
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Scrubber": "scrubber",
    "ScrubStats": "scrubber",
    "ScrubResult": "result",
    "NATURAL_LANGUAGE": "policies",
    "CODE": "policies",
    "POLICIES": "policies",
    "DEFAULT_FIELD_POLICIES": "policies",
    "POLICY_VERSION": "policies",
    "Policy": "policies",
    "field_policies": "policies",
    "get_policy": "policies",
    "evaluate_pii": "evaluate",
    "evaluate_secrets": "evaluate",
    "format_table": "evaluate",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
