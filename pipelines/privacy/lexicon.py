"""An offline English word list (WordNet lemmas shipped inside the spaCy model) for cheap word tests.

The name and secret recognizers need to ask "is this an ordinary English word?" (``wrote`` after
``john`` is not a surname; ``shorter-version`` is not a password). The spaCy model we already load
ships WordNet's lemma index and exception tables for its lemmatizer; reading them costs about half
a second once per process and needs no network and no extra dependency.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.privacy.model import model_dir

_WORD_PARTS = re.compile(r"[^\W\d_]+")


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``: word lists stay readable as paragraphs."""
    return frozenset(text.split())


# Suffix rules of the spaCy English lemmatizer, plus the common inflections it leaves to the tagger.
_FALLBACK_SUFFIXES = (
    ("ies", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
    ("er", ""),
    ("est", ""),
    ("ly", ""),
)


def _lookups_path() -> Path:
    path = model_dir() / "lemmatizer" / "lookups" / "lookups.bin"
    if not path.exists():
        raise FileNotFoundError(
            f"no lemmatizer lookups at {path}: reinstall the spaCy model package"
        )
    return path


_POS = ("noun", "verb", "adj", "adv")


@dataclass(frozen=True)
class _Lexicon:
    lemmas: dict[str, frozenset[str]]  # part of speech -> lemmas
    inflected: dict[str, frozenset[str]]  # part of speech -> irregular forms ("wrote")
    suffix_rules: tuple[tuple[str, str], ...]


@functools.cache
def _lexicon() -> _Lexicon:
    from spacy.lookups import Lookups

    lookups = Lookups().from_bytes(_lookups_path().read_bytes())
    index = lookups.get_table("lemma_index")
    exceptions = lookups.get_table("lemma_exc")
    rules = lookups.get_table("lemma_rules")
    suffix_rules = {tuple(rule) for pos in ("noun", "verb", "adj") for rule in rules.get(pos, [])}
    suffix_rules.update(_FALLBACK_SUFFIXES)
    return _Lexicon(
        lemmas={pos: frozenset(w for w in index.get(pos, []) if w.isalpha()) for pos in _POS},
        inflected={pos: frozenset(exceptions.get(pos, {}).keys()) for pos in _POS},
        suffix_rules=tuple(sorted(suffix_rules)),
    )


def _in_lexicon(lower: str, parts_of_speech: tuple[str, ...]) -> bool:
    lexicon = _lexicon()
    if any(lower in lexicon.lemmas[p] or lower in lexicon.inflected[p] for p in parts_of_speech):
        return True
    return any(
        old and lower.endswith(old) and len(lower) > len(old) + 1
        and any(lower[: -len(old)] + new in lexicon.lemmas[p] for p in parts_of_speech)
        for old, new in lexicon.suffix_rules
    )  # fmt: skip


@functools.cache
def is_english_word(word: str) -> bool:
    """True when ``word`` (any case) is an English dictionary word or an inflection of one."""
    return _in_lexicon(word.lower(), _POS)


@functools.cache
def is_verb_adjective_or_adverb(word: str) -> bool:
    """True for words WordNet knows as a verb, adjective or adverb ("Identify", "Finally").

    Proper nouns are nouns in WordNet, so this separates "Analyze the logs" from "Paris is
    lovely" where plain dictionary membership cannot ("paris" is in WordNet too).
    """
    return _in_lexicon(word.lower(), ("verb", "adj", "adv"))


# Short words that WordNet leaves out (function words) but that glue compounds like "notapassword".
_SHORT_WORDS = word_set(
    "a i me my no not is it to of on in at be by do go he we us up so or an as ok am"
    " the and for you your our its his her any all new old one two get set put add"
    " dont doesnt didnt cant wont isnt arent"
)
_MAX_SEGMENTED = 32


def _segments_into_words(run: str) -> bool:
    """True when ``run`` (lower case letters) splits into dictionary words: "changeme"."""
    if len(run) > _MAX_SEGMENTED:
        return False
    reachable = [True] + [False] * len(run)
    for end in range(1, len(run) + 1):
        for start in range(end - 1, -1, -1):
            if not reachable[start]:
                continue
            piece = run[start:end]
            if piece in _SHORT_WORDS or (len(piece) >= 3 and is_english_word(piece)):
                reachable[end] = True
                break
    return reachable[-1]


def is_made_of_words(value: str) -> bool:
    """True when every letter run of ``value`` is English words, glued or split by case changes.

    ``shorter-version``, ``not_long_enough``, ``insertKeyHere`` and ``changeme`` are made of words;
    a random token such as ``vh987tyw9ehy`` is not. Digits are ignored, so ``password123`` counts
    as words. Used to tell a placeholder or a type name from a credential.
    """
    parts: list[str] = []
    for run in _WORD_PARTS.findall(value):
        parts.extend(p for p in re.split(r"(?<=[a-z])(?=[A-Z])", run) if p)
    if not parts:
        return False
    return all(_segments_into_words(p.lower()) for p in parts)
