"""Fake secrets and personal data for the tests, assembled at run time from a seeded stream.

Nothing here is a real credential; building the values at run time keeps key-shaped literals out
of the repository (secret scanners and push protection would rightly flag them).
"""

from __future__ import annotations

import base64
import json
import random
import string

from pipelines.privacy.pseudonyms import Finding

ALNUM = string.ascii_letters + string.digits
_RNG = random.Random(20240601)


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def upper(n: int) -> str:
    return rand(n, string.ascii_uppercase + string.digits)


def hexlower(n: int) -> str:
    return rand(n, "0123456789abcdef")


def b64(n: int) -> str:
    return rand(n, ALNUM + "+/")


def jwt(payload: dict | None = None) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload or {'sub': '42', 'role': 'admin'})}.{rand(43, ALNUM + '-_')}"


def pem(label: str = "RSA PRIVATE KEY", lines: int = 4) -> str:
    body = "\n".join(b64(64) for _ in range(lines))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


def covered(text: str, value: str, findings: list[Finding], entity: str | None = None) -> bool:
    """Is every character of ``value`` (first occurrence in ``text``) inside one finding?"""
    start = text.index(value)
    end = start + len(value)
    return any(
        f.start <= start and end <= f.end and (entity is None or f.entity_type == entity)
        for f in findings
    )
