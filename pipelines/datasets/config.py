"""What shapes a training-set version: every filter, threshold and split rule, in one frozen value.

A ``DatasetConfig`` is part of a version's identity: its canonical JSON goes into the content digest
the version id derives from, and into the manifest. ``BuildOptions`` holds the knobs that change
how fast a build runs but never what it writes (memory, threads), so they stay out of the digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

KINDS = ("sft", "preference", "unpaired")
SPLITS = ("train", "validation", "test")
SPLIT_UNITS = ("session", "workspace")

# Bumped when the way examples are built changes meaning (not for refactors): it is hashed with
# the configuration, so a new rule can never reuse an old version id.
BUILD_RULES_VERSION = 1

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_WORD = re.compile(r"^[a-z_]+$")


@dataclass(frozen=True)
class DatasetConfig:
    """The filters and rules of one training set; see pipelines/datasets/README.md for each."""

    name: str = "app-builder-assistant"
    # A generation is a positive example (SFT, chosen, desirable) when the signals label it
    # ``success`` with a success_score at least this; a negative one (rejected, undesirable) when
    # they label it ``failure`` with a score at most ``failure_threshold``.
    success_threshold: float = 0.7
    failure_threshold: float = 0.3
    # Estimated tokens of the whole example (prompt with its context, and the answer or answers).
    min_tokens: int = 16
    max_tokens: int = 8192
    # Languages kept (ISO 639-1, from the offline heuristic in text.py); prompts too short or too
    # mixed to tell ("und") are kept when keep_undetermined_language is true.
    languages: tuple[str, ...] = ("en",)
    keep_undetermined_language: bool = True
    # Earlier turns of the session given as context before the prompt (their final answers too).
    context_turns: int = 3
    # At most this many (chosen, rejected) pairs per turn, best score gap first. The rejected side
    # of a pair must have failed in one of these ways (fct_generations.failure_reason); a failed
    # build alone is left out by default: it often says more about the build than the answer.
    max_pairs_per_turn: int = 4
    pair_failure_reasons: tuple[str, ...] = ("negative_feedback", "regenerated", "rejected", "reverted")
    # Near-duplicates: MinHash over word n-grams of the final exchange, LSH banding at this
    # Jaccard threshold (bands and rows chosen by datasketch's optimiser for num_perm).
    near_duplicate_threshold: float = 0.9
    minhash_num_perm: int = 128
    shingle_words: int = 5
    # Splits: a salted hash of the session (or workspace) decides, so a conversation never moves.
    # Changing salt or fractions reshuffles every split: keep them fixed across versions.
    split_unit: str = "session"
    split_salt: str = "flywheel-splits-v1"
    validation_fraction: float = 0.05
    test_fraction: float = 0.10
    # The build refuses to publish when a kind's train split has fewer examples than this.
    min_examples: Mapping[str, int] = field(
        default_factory=lambda: {"sft": 100, "preference": 10, "unpaired": 10}
    )
    system_prompt: str | None = None
    # Dataset card metadata.
    license: str = "other"
    license_name: str = "platform-user-content"
    pretty_name: str = "App builder assistant conversations"

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 <= self.failure_threshold < self.success_threshold <= 1.0:
            problems.append(
                f"need 0 <= failure_threshold ({self.failure_threshold}) < success_threshold "
                f"({self.success_threshold}) <= 1"
            )
        if not 0 <= self.min_tokens <= self.max_tokens:
            problems.append(f"need 0 <= min_tokens ({self.min_tokens}) <= max_tokens ({self.max_tokens})")
        if self.split_unit not in SPLIT_UNITS:
            problems.append(f"split_unit must be one of {SPLIT_UNITS}, got {self.split_unit!r}")
        if not (0 < self.test_fraction < 1 and 0 <= self.validation_fraction < 1
                and self.test_fraction + self.validation_fraction < 1):
            problems.append("need 0 < test_fraction, 0 <= validation_fraction, and their sum < 1")
        if not 0.0 < self.near_duplicate_threshold < 1.0:
            problems.append("near_duplicate_threshold must be between 0 and 1 (exclusive)")
        if self.minhash_num_perm < 16 or self.shingle_words < 1 or self.context_turns < 0:
            problems.append("need minhash_num_perm >= 16, shingle_words >= 1, context_turns >= 0")
        if self.max_pairs_per_turn < 1:
            problems.append("max_pairs_per_turn must be at least 1")
        if any(not _LANGUAGE_CODE.match(code) for code in self.languages):
            problems.append(f"languages must be ISO 639 codes (2-3 lower-case letters), got {list(self.languages)}")
        if any(not _WORD.match(reason) for reason in self.pair_failure_reasons):
            problems.append(f"pair_failure_reasons must be plain words, got {list(self.pair_failure_reasons)}")
        unknown = set(self.min_examples) - set(KINDS)
        if unknown:
            problems.append(f"min_examples has unknown kinds {sorted(unknown)} (known: {KINDS})")
        if not self.name or any(c in self.name for c in "/\\ ") or self.name.startswith("."):
            problems.append(f"name {self.name!r} must be a plain directory name")
        if problems:
            raise ValueError("invalid DatasetConfig: " + "; ".join(problems))
        # Frozen, so normalise through object.__setattr__: tuples and a plain dict hash the same
        # whatever the caller passed (a list from JSON, a tuple from code).
        object.__setattr__(self, "languages", tuple(sorted(self.languages)))
        object.__setattr__(self, "pair_failure_reasons", tuple(sorted(self.pair_failure_reasons)))
        object.__setattr__(self, "min_examples", {k: int(self.min_examples.get(k, 0)) for k in KINDS})

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["languages"] = list(self.languages)
        data["pair_failure_reasons"] = list(self.pair_failure_reasons)
        data["min_examples"] = dict(self.min_examples)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DatasetConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown DatasetConfig fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**dict(data))

    def replace(self, **changes: Any) -> DatasetConfig:
        return dataclasses.replace(self, **changes)

    def identity(self) -> dict[str, Any]:
        """What the content digest hashes: the configuration and the build rules' version."""
        return {"build_rules_version": BUILD_RULES_VERSION, "config": self.to_json()}

    def digest(self) -> str:
        return hashlib.sha256(canonical_json(self.identity())).hexdigest()


@dataclass(frozen=True)
class BuildOptions:
    """How a build runs; never changes what it writes."""

    memory_limit: str = "2GB"
    # DuckDB's limit while it works on small pieces or only streams to Python: the MinHash and the
    # gates (whose worker processes start then) and the writing, one bucket at a time. Lowering the
    # limit makes DuckDB give its cache of the assembly back, so the build's peak is the larger of
    # DuckDB's work and the workers', not their sum.
    streaming_memory_limit: str = "512MB"
    threads: int | None = None
    # Rows per batch streamed out of DuckDB (Parquet row groups are a fixed size whatever this is).
    batch_rows: int = 20_000
    # The PII re-scan: "full" (each text with the policy that scrubbed it, NER included) or
    # "patterns" (every pattern and secret rule, no NER; for very large builds), and its processes.
    rescan_mode: str = "full"
    scan_workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace: the bytes every digest in this package is taken over."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
