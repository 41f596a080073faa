"""Stable identifiers: keyed pseudonyms for examples and their sources, plain hashes for splits.

Every example carries ids that trace it to its source generation and conversation without
exposing anyone: HMAC-SHA256 under the home's pseudonym key (``pipelines.settings.pseudonym_key``)
over a domain tag and the source ids, truncated to 96 bits. Whoever holds the key and the
warehouse can recompute them (to answer "where does this example come from?"); whoever holds only
the export cannot link them back to a generation, a session or a user.

Splits use a plain, unkeyed hash (SHA-256 of a public salt and the session or workspace id): the
assignment must not change when a key is rotated, and it reveals nothing beyond the split.

The build computes both inside DuckDB; ``sql_macros`` generates the SQL from the same definition
and the tests check it against the Python form.
"""

from __future__ import annotations

import hashlib
import hmac

ID_HEX_CHARS = 24  # 96 bits: no collision expected below ~10^14 examples
SEPARATOR = "\x1f"  # ASCII unit separator: never inside an id (contract ids are [A-Za-z0-9_.:@-])
_BLOCK = 64  # SHA-256 block size, for the HMAC pads

# Domain tags: one id space per kind of thing, so no two kinds of id can ever coincide.
DOMAINS = ("sft", "preference", "unpaired", "generation", "conversation")


def keyed_id(key: bytes, domain: str, *parts: str) -> str:
    """HMAC-SHA256(key, domain \\x1f part1 \\x1f part2 ...) as ``ID_HEX_CHARS`` hex digits."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown id domain {domain!r}; known: {DOMAINS}")
    message = SEPARATOR.join((domain, *parts)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:ID_HEX_CHARS]


def split_point(salt: str, unit_id: str) -> float:
    """Where a session (or workspace) falls in [0, 1): the first 60 bits of SHA-256(salt, id)."""
    digest = hashlib.sha256(f"{salt}{SEPARATOR}{unit_id}".encode()).hexdigest()
    return int(digest[:15], 16) / 16**15


def split_of(point: float, validation_fraction: float, test_fraction: float) -> str:
    """test below ``test_fraction``, then validation, then train."""
    if point < test_fraction:
        return "test"
    if point < test_fraction + validation_fraction:
        return "validation"
    return "train"


def _pads(key: bytes) -> tuple[str, str]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    return inner, outer


def sql_macros(key: bytes) -> list[str]:
    """TEMP macros ``fw_id(domain, msg)`` and ``fw_split_point(salt, unit)`` for DuckDB.

    ``fw_id`` is HMAC-SHA256 spelled out (RFC 2104) with the key's pads inlined. They are TEMP:
    DuckDB keeps them in memory and never writes them to a database file, so the key-derived
    pads never touch the disk.
    """
    inner, outer = _pads(key)
    return [
        "CREATE OR REPLACE TEMP MACRO fw_id(domain, msg) AS "
        f"substr(sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || "
        f"encode(domain || chr(31) || msg)))), 1, {ID_HEX_CHARS})",
        "CREATE OR REPLACE TEMP MACRO fw_split_point(salt, unit) AS "
        "CAST(('0x' || substr(sha256(salt || chr(31) || unit), 1, 15)) AS UBIGINT) / pow(16, 15)",
    ]
