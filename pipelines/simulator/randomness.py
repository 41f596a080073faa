"""Seeded random streams and the ids drawn from them, so every run is reproducible byte for byte.

Each purpose (the billing history of one workspace, the sessions of one day, ...) gets its own
``random.Random`` seeded from the run seed and a label. ``random.seed`` hashes a string label with
SHA-512, so a stream depends on neither ``PYTHONHASHSEED`` nor on what other streams consumed:
changing how one day is simulated never shifts another day's draws.
"""

from __future__ import annotations

import base64
import math
import random
from typing import Any

HEX = "0123456789abcdef"
_VARIANT = "89ab"


def stream(seed: int, *purpose: object) -> random.Random:
    """An independent stream for ``purpose`` under the run ``seed``, e.g. ``stream(7, "day", 3)``."""
    return random.Random(":".join(str(p) for p in (seed, *purpose)))


def uuid4(rng: random.Random) -> str:
    """A lowercase version-4 UUID drawn from ``rng`` (uuid.uuid4 would read the OS entropy pool)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def hex_id(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def scramble32(n: int) -> int:
    """A bijection on 32-bit integers: sequential numbers become ids that do not look sequential."""
    return (n * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF


def token(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choices(alphabet, k=length))


_BASE62_FROM_BASE64 = bytes.maketrans(b"+/", b"Zq")


def base62_id(rng: random.Random, length: int) -> str:
    """A letters-and-digits id of ``length`` characters (cheaper than ``token`` on the hot path)."""
    raw = base64.b64encode(rng.randbytes((length * 3 + 3) // 4))
    return raw.translate(_BASE62_FROM_BASE64)[:length].decode()


def lognormal_int(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    """A heavy-tailed count (token counts, lines of code), clamped to [low, high]."""
    return max(low, min(high, int(median * math.exp(rng.gauss(0.0, sigma)))))


# Fast draws for the hot path. ``random.randint``/``choice`` spend most of their time in Python-level
# rejection sampling; scaling one ``random()`` float is several times cheaper and its bias (< 2^-40
# for the small ranges used here) is irrelevant to a simulation.


def below(rng: random.Random, n: int) -> int:
    """Uniform integer in [0, n)."""
    return int(rng.random() * n)


def between(rng: random.Random, low: int, high: int) -> int:
    """Uniform integer in [low, high], both included (like ``randint``)."""
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, items: tuple[Any, ...] | list[Any]) -> Any:
    return items[int(rng.random() * len(items))]


def pick_two(rng: random.Random, items: tuple[Any, ...]) -> tuple[Any, Any]:
    """Two distinct items (like ``sample(items, 2)``)."""
    n = len(items)
    first = int(rng.random() * n)
    second = (first + 1 + int(rng.random() * (n - 1))) % n
    return items[first], items[second]
