"""Synthetic secrets in the shapes the reference rule sets (gitleaks, detect-secrets) look for.

Each generator returns ``(kind, value)``; ``kind`` is recorded as ``SECRET:<kind>`` in the ground
truth. Values are random, never real credentials, but have the real prefixes, lengths and
alphabets so a scrubber tuned on real keys finds them.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable

from pipelines.simulator.randomness import token

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
BASE32_UPPER = string.ascii_uppercase + "234567"
BASE64 = ALNUM + "+/"


def openai_api_key(rng: random.Random) -> str:
    # Project keys: sk-proj-, then two random halves around the "T3BlbkFJ" marker.
    return f"sk-proj-{token(rng, URLSAFE, 64)}T3BlbkFJ{token(rng, URLSAFE, 64)}"


def anthropic_api_key(rng: random.Random) -> str:
    return f"sk-ant-api03-{token(rng, URLSAFE, 93)}AA"


def aws_access_key_id(rng: random.Random) -> str:
    return "AKIA" + token(rng, BASE32_UPPER, 16)


def aws_secret_access_key(rng: random.Random) -> str:
    return token(rng, BASE64, 40)


def github_token(rng: random.Random) -> str:
    return "ghp_" + token(rng, ALNUM, 36)


def slack_token(rng: random.Random) -> str:
    return f"xoxb-{rng.randint(10**10, 10**12)}-{rng.randint(10**11, 10**13)}-{token(rng, ALNUM, 24)}"


def stripe_secret_key(rng: random.Random) -> str:
    return "sk_live_" + token(rng, ALNUM, rng.choice((24, 99)))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(rng: random.Random) -> str:
    header = _b64url(b'{"alg":"HS256","typ":"JWT"}')
    payload = _b64url(
        f'{{"sub":"{rng.randint(10**6, 10**9)}","role":"service_role","iat":{rng.randint(1_700_000_000, 1_790_000_000)}}}'.encode()
    )
    return f"{header}.{payload}.{_b64url(rng.randbytes(32))}"


_PEM_LABELS = ("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY")


def private_key_pem(rng: random.Random) -> str:
    label = rng.choice(_PEM_LABELS)
    body = base64.b64encode(rng.randbytes(rng.choice((121, 240, 360)))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def password(rng: random.Random) -> str:
    """A password as people choose them: word, digits and a symbol, or a random string."""
    if rng.random() < 0.5:
        word = rng.choice(("Summer", "Dragon", "Monkey", "Sunshine", "Purple", "Winter", "Tiger", "Falcon"))
        return f"{word}{rng.randint(10, 9999)}{rng.choice('!$%*#')}"
    return token(rng, ALNUM, rng.randint(12, 24))


def connection_string(rng: random.Random) -> tuple[str, str]:
    """(url, password): a database URL with an inline password; the password is the secret."""
    secret = password(rng)
    user = rng.choice(("postgres", "admin", "app_user", "root", "dbadmin"))
    host = rng.choice(("db.internal", "prod-db.cluster-c9x.eu-west-1.rds.amazonaws.com", "localhost",
                       "aws-0-eu-central-1.pooler.supabase.com", "mongo0.cluster.net"))
    scheme, port, db = rng.choice((("postgres", 5432, "app"), ("postgresql", 5432, "prod"),
                                   ("mysql", 3306, "shop"), ("mongodb+srv", None, "main"),
                                   ("redis", 6379, "0")))
    authority = f"{host}:{port}" if port else host
    return f"{scheme}://{user}:{secret}@{authority}/{db}", secret


SECRET_KINDS: dict[str, Callable[[random.Random], str]] = {
    "openai_api_key": openai_api_key,
    "anthropic_api_key": anthropic_api_key,
    "aws_access_key_id": aws_access_key_id,
    "aws_secret_access_key": aws_secret_access_key,
    "github_token": github_token,
    "slack_token": slack_token,
    "stripe_secret_key": stripe_secret_key,
    "jwt": jwt,
    "private_key": private_key_pem,
}
