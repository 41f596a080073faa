"""Keyed pseudonyms for the billing rows of a forgotten workspace (revenue history keeps its totals).

Billing events are the company's accounting records: they must be kept for years (see README.md,
"Revenue history"), but they need not name the workspace. A forgotten workspace's id and its
subscription ids are replaced by

    wsf_<24 hex> = HMAC-SHA256(k_billing, "workspace" \\x1f id)[:24]
    k_billing    = HMAC-SHA256(pseudonym key, "flywheel/deletion/billing-pseudonym/v1")

the same everywhere (landing, lake, warehouse, ground truth, and ingest on a replay), so MRR and
ARR totals, movements and cohorts stay exactly what they were, and nobody without the key can
tell which workspace a pseudonym stands for or test a guess. The prefix keeps the contract's id
alphabet, so a replayed landing line still validates.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from pipelines.privacy.pseudonyms import derive_key

PSEUDONYM_HEX = 24
PREFIXES = {"workspace": "wsf_", "subscription": "subf_"}
_ID_CHARS = r"A-Za-z0-9_.:\-"


def billing_pseudonym(key: bytes, kind: str, value: str) -> str:
    if kind not in PREFIXES:
        raise ValueError(f"no billing pseudonym for {kind!r}: expected one of {sorted(PREFIXES)}")
    mac = hmac.new(derive_key(key, "deletion/billing-pseudonym/v1"), f"{kind}\x1f{value}".encode(), hashlib.sha256)
    return PREFIXES[kind] + mac.hexdigest()[:PSEUDONYM_HEX]


def is_pseudonym(value: object) -> bool:
    return isinstance(value, str) and value.startswith(tuple(PREFIXES.values()))


def billing_mapping(key: bytes, workspace_id: str, subscription_ids: set[str]) -> dict[str, str]:
    """Every billing id of a workspace -> its pseudonym."""
    mapping = {workspace_id: billing_pseudonym(key, "workspace", workspace_id)}
    mapping.update({s: billing_pseudonym(key, "subscription", s) for s in subscription_ids if not is_pseudonym(s)})
    return mapping


def pseudonymize_billing_record(key: bytes, record: dict) -> dict:
    """A billing event with its workspace and subscription ids replaced (ingest on a replay)."""
    out = dict(record)
    out["workspace_id"] = billing_pseudonym(key, "workspace", str(record["workspace_id"]))
    if isinstance(record.get("subscription_id"), str):
        out["subscription_id"] = billing_pseudonym(key, "subscription", record["subscription_id"])
    return out


def replace_ids_pattern(mapping: Mapping[str, str]) -> re.Pattern[str] | None:
    if not mapping:
        return None
    alternatives = "|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True))
    return re.compile(rf"(?<![{_ID_CHARS}])(?:{alternatives})(?![{_ID_CHARS}])")


def replace_ids(text: str, mapping: Mapping[str, str]) -> str:
    """``text`` with each whole-token id of ``mapping`` replaced (composite keys like ``ws_1@2026-11`` too)."""
    pattern = replace_ids_pattern(mapping)
    return text if pattern is None else pattern.sub(lambda m: mapping[m.group(0)], text)


def replace_ids_bytes(data: bytes, mapping: Mapping[str, str]) -> bytes:
    return replace_ids(data.decode("utf-8", "surrogateescape"), mapping).encode("utf-8", "surrogateescape")


def sql_regex(mapping_key: str) -> str:
    """The RE2 pattern (DuckDB) matching ``mapping_key`` as a whole id token, with its neighbours."""
    return f"(^|[^{_ID_CHARS}]){re.escape(mapping_key)}($|[^{_ID_CHARS}])"
