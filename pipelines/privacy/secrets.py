"""Every secret recognizer Flywheel uses: provider keys, tokens, private keys and credential assignments.

Entity naming: one Presidio entity per kind of secret, all prefixed ``SECRET_`` (``SECRET_OPENAI_KEY``,
``SECRET_PASSWORD``...), so that findings are counted per kind and placeholders say what was there
(``<SECRET_OPENAI_KEY_3f9a1c>``). The rule that fired (``openai_project_key``) is in the
explanation. ``SECRET_ENTITIES`` lists them all.

Formats follow the providers' documented prefixes and the public rule sets of gitleaks and
detect-secrets (FORMATS.md, section 5). Where detect-secrets rejects a string only because of
where it sits (a Telegram token after ``bot`` in an API URL, an npm token without the registry
URL) we still scrub it: for a scrubber a missed credential costs more than a replaced look-alike.

Generic assignments (``password = ...``, ``api_key: ...``) are secrets only when the value is not
a placeholder: template syntax, masks, references to variables, words from the dictionary
(``changeme``, ``your-api-key-here``) and low-entropy values are left alone. The thresholds were
measured on labelled cases (tests/privacy/test_privacy_secrets.py) and on the detect-secrets cases.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from presidio_analyzer import EntityRecognizer

from pipelines.privacy.lexicon import is_made_of_words, word_set
from pipelines.privacy.patterns import Rule, RuleRecognizer, TriggerAcrossLines, shannon_entropy

# Characters that may not touch a token on either side (so ``foo_ghp_...`` is not a GitHub token).
_B = r"(?<![A-Za-z0-9_])"
_E = r"(?![A-Za-z0-9_])"
_BD = r"(?<![A-Za-z0-9_-])"
_ED = r"(?![A-Za-z0-9_-])"

# --- value checks ------------------------------------------------------------------------------

_TEMPLATE = re.compile(
    r"\$\{|\{\{|\{%|<%|%\(|%[sdr]\b|^\$[A-Za-z_]|^@[A-Za-z_]|^<[^>]*>$|^\[[^\]]*\]$|"
    r"process\.env|os\.environ|getenv|import\.meta\.env|\benv\(|ENV\[|secrets\.|vault:|^!Ref"
)
_MASK = re.compile(r"(.)\1{4,}|^[*•x.#_-]+$|\.\.\.|…", re.IGNORECASE)
_PLACEHOLDER_WORDS = re.compile(
    r"your|example|sample|placeholder|change_?me|dummy|fake|redacted|insert|replace|here|todo|"
    r"xxx|lorem|foobar|password|passwd|secret|token|api_?key|my_?key|test_?key|abc123|12345678|"
    r"qwerty|letmein|default|hunter2",
    re.IGNORECASE,
)
# ``config.password``, ``getToken()``, ``req.body['token']``, ``self.api_key``: code, not a value.
_CODE_REFERENCE = re.compile(
    r"^[A-Za-z_$][\w$]*(?:(?:\.|->|::)[A-Za-z_$][\w$]*)+(?:\(.*\))?$|^[A-Za-z_$][\w$.]*[(\[]"
)
_NOT_VALUES = word_set(
    "none null nil undefined true false string str bytes int number boolean bool optional required"
    " env secret password token empty any object"
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_SYMBOLS = re.compile(r"[^A-Za-z0-9\s._-]")

# Entropy thresholds in bits per character, chosen on the labelled cases in the tests: random
# 16+ character tokens score 3.5 or more; placeholders that slip past the word checks score less.
TOKEN_MIN_ENTROPY = 3.0
TOKEN_MIN_LENGTH = 12
PASSWORD_MIN_ENTROPY = 2.0
PASSWORD_MIN_LENGTH = 6
HIGH_ENTROPY_MIN_BITS = 3.7
HIGH_ENTROPY_MIN_LENGTH = 20


def _strip_quotes(value: str) -> str:
    return value.strip().strip("\"'`").strip()


def is_placeholder(value: str) -> bool:
    """True for values that stand in for a secret: templates, masks, references, stock words."""
    v = _strip_quotes(value)
    if not v or v.lower() in _NOT_VALUES:
        return True
    return bool(
        _TEMPLATE.search(v)
        or _MASK.search(v)
        or _PLACEHOLDER_WORDS.search(v)
        or _CODE_REFERENCE.match(v)
    )


def is_password_value(value: str) -> bool:
    """A password-like value after ``password=`` or ``my password is``: not a placeholder, and
    either not plain dictionary words or mixed with digits, symbols or capitals (``Summer2024!``)."""
    v = _strip_quotes(value)
    if len(v) < PASSWORD_MIN_LENGTH or is_placeholder(v):
        return False
    if shannon_entropy(v) < PASSWORD_MIN_ENTROPY:
        return False
    mixed = (
        any(c.isdigit() for c in v)
        or bool(_SYMBOLS.search(v))
        or (any(c.isupper() for c in v[1:]) and any(c.islower() for c in v))
    )
    return mixed or not is_made_of_words(v)


def is_pin_value(value: str) -> bool:
    """A PIN or short password typed in prose (``my pin is 4821``)."""
    v = _strip_quotes(value).rstrip(".,;:!?)")
    if v.isdigit():
        return 4 <= len(v) <= 12 and len(set(v)) > 1
    return is_password_value(v)


def is_token_value(value: str) -> bool:
    """A token-like value after ``api_key=`` / ``token:``: long, random-looking, not words."""
    v = _strip_quotes(value)
    if len(v) < TOKEN_MIN_LENGTH or is_placeholder(v):
        return False
    if _UUID.match(v):
        return True  # UUID-shaped credentials are common (npm, Heroku) and carry full entropy
    return shannon_entropy(v) >= TOKEN_MIN_ENTROPY and not is_made_of_words(v)


def is_high_entropy_value(value: str) -> bool:
    """A random-looking value assigned to any name: mixed case and digits, high entropy."""
    v = _strip_quotes(value)
    if len(v) < HIGH_ENTROPY_MIN_LENGTH or _UUID.match(v) or _HEX.match(v):
        return False
    if re.match(r"^(?:sha\d+|md5)-", v) or is_placeholder(v):
        return False
    has_classes = (
        any(c.isupper() for c in v) and any(c.islower() for c in v) and any(c.isdigit() for c in v)
    )
    return has_classes and shannon_entropy(v) >= HIGH_ENTROPY_MIN_BITS and not is_made_of_words(v)


_URL_TEMPLATE = re.compile(r"\$\{|\{\{|<%|%\(|%s|^\$[A-Z_][A-Z0-9_]*$|^<[^>]*>$")


def is_url_password(value: str) -> bool:
    """``user:pass`` from a URL: anything but template syntax counts (``user:password`` too)."""
    password = value.split(":", 1)[1] if ":" in value else value
    return bool(password) and not _URL_TEMPLATE.search(password) and not _MASK.fullmatch(password)


def _b64json(part: str) -> bool:
    padded = part + "=" * (-len(part) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded).decode("utf-8")
        return isinstance(json.loads(decoded), dict)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False


def is_jwt(value: str) -> bool:
    """Header and payload of a JWT both decode to JSON objects."""
    parts = value.split(".")
    return len(parts) >= 2 and _b64json(parts[0]) and _b64json(parts[1])


def _min_entropy(bits: float):
    return lambda v: shannon_entropy(v) >= bits


# --- recognizers -------------------------------------------------------------------------------


def _recognizer(
    entity: str, trigger: str, *rules: Rule, name: str | None = None,
    across_lines: TriggerAcrossLines | None = None,
) -> RuleRecognizer:  # fmt: skip
    return RuleRecognizer(entity, rules, trigger=trigger, name=name, across_lines=across_lines)


def openai_recognizer() -> RuleRecognizer:
    # Legacy and project keys carry "T3BlbkFJ" (base64 of "OpenAI") in the middle; long project,
    # service-account and admin keys are taken without it.
    return _recognizer(
        "SECRET_OPENAI_KEY",
        r"sk-",
        Rule(
            "openai_key",
            _B + r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{10,}T3BlbkFJ[A-Za-z0-9_-]{10,}" + _ED,
            1.0,
        ),
        Rule("openai_project_key", _B + r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{80,}" + _ED, 0.9),
    )


def anthropic_recognizer() -> RuleRecognizer:
    return _recognizer(
        "SECRET_ANTHROPIC_KEY",
        r"sk-ant-",
        Rule(
            "anthropic_key", _B + r"sk-ant-(?:api|admin|sid|oat)\d{2}-[A-Za-z0-9_-]{20,}" + _ED, 1.0
        ),
        Rule("anthropic_key_loose", _B + r"sk-ant-[A-Za-z0-9_-]{20,}" + _ED, 0.9),
    )


def aws_access_key_id_recognizer() -> RuleRecognizer:
    return _recognizer(
        "SECRET_AWS_ACCESS_KEY_ID",
        r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}",
        Rule(
            "aws_access_key_id",
            r"(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)"
            r"[A-Z0-9]{16}(?![A-Za-z0-9])",
            1.0,
        ),
    )


def aws_secret_key_recognizer() -> RuleRecognizer:
    # 40 base64 characters: only in context (an aws/secret key name, or next to a key id).
    secret = r"(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
    return _recognizer(
        "SECRET_AWS_SECRET_KEY",
        # "aws" starts the first rule, AKIA/ASIA the second (taken in any case: a wider screen)
        r"(?i:aws|akia|asia)",
        Rule(
            "aws_secret_access_key",
            r"(?i:aws)[\w.-]{0,20}(?i:secret|sk)[\w.-]{0,20}[\"']?\s*(?:=|:|=>)\s*[\"']?" + secret,
            1.0,
            validate=_min_entropy(3.5),
        ),
        Rule(
            "aws_secret_next_to_key_id",
            r"A[KS]IA[A-Z0-9]{16}[\s\S]{0,120}?(?<![A-Za-z0-9/+])" + secret,
            0.9,
            validate=_min_entropy(4.0),
        ),
    )


def google_recognizer() -> RuleRecognizer:
    return _recognizer(
        "SECRET_GOOGLE_API_KEY",
        r"AIza|GOCSPX-",
        Rule("google_api_key", _BD + r"AIza[0-9A-Za-z_-]{35}" + _ED, 1.0),
        Rule("google_oauth_client_secret", _BD + r"GOCSPX-[0-9A-Za-z_-]{28}" + _ED, 1.0),
    )


def github_recognizer() -> RuleRecognizer:
    return _recognizer(
        "SECRET_GITHUB_TOKEN",
        r"gh[pousr]_|github_pat_",
        Rule("github_token", _B + r"gh[pousr]_[A-Za-z0-9]{36,255}" + _E, 1.0),
        Rule("github_fine_grained_pat", _B + r"github_pat_[A-Za-z0-9_]{22,255}" + _E, 1.0),
    )


def gitlab_recognizer() -> RuleRecognizer:
    # GitLab's documented token formats (the lengths are part of the format).
    tail = _ED
    return _recognizer(
        "SECRET_GITLAB_TOKEN",
        r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-|GR1348941",
        Rule(
            "gitlab_pat", _BD + r"(?:glpat|gldt|glft|glsoat|glrt)-[A-Za-z0-9_-]{20,50}" + tail, 1.0
        ),
        Rule("gitlab_runner_registration", _BD + r"GR1348941[A-Za-z0-9_-]{20,50}" + tail, 1.0),
        Rule(
            "gitlab_ci_build_token",
            _BD + r"glcbt-(?:[0-9a-fA-F]{2}_)?[A-Za-z0-9_-]{20}" + tail,
            1.0,
        ),
        Rule("gitlab_incoming_mail", _BD + r"glimt-[A-Za-z0-9_-]{25}" + tail, 1.0),
        Rule("gitlab_trigger_token", _BD + r"glptt-[A-Za-z0-9_-]{40}" + tail, 1.0),
        Rule("gitlab_agent_token", _BD + r"glagent-[A-Za-z0-9_-]{50,1024}" + tail, 1.0),
        Rule("gitlab_oauth_secret", _BD + r"gloas-[A-Za-z0-9_-]{64}" + tail, 1.0),
    )


def slack_recognizers() -> list[RuleRecognizer]:
    return [
        _recognizer(
            "SECRET_SLACK_TOKEN",
            r"xox[abposre]-|xapp-",
            Rule("slack_token", _BD + r"xox[abposre]-[A-Za-z0-9-]{10,250}" + _ED, 1.0),
            Rule("slack_app_token", _BD + r"xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+" + _ED, 1.0),
        ),
        _recognizer(
            "SECRET_SLACK_WEBHOOK",
            r"hooks\.slack\.com",
            Rule(
                "slack_webhook",
                r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,}",
                1.0,
            ),
        ),
    ]


def stripe_recognizer() -> RuleRecognizer:
    # Publishable keys (pk_live_, pk_test_) are public by design and left alone.
    return _recognizer(
        "SECRET_STRIPE_KEY",
        r"k_(?:live|test)_|whsec_",
        Rule("stripe_secret_key", _B + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}" + _E, 1.0),
        Rule("stripe_webhook_secret", _B + r"whsec_[A-Za-z0-9]{24,}" + _E, 1.0),
    )


def twilio_recognizer() -> RuleRecognizer:
    return _recognizer(
        "SECRET_TWILIO_KEY",
        r"(?:AC|SK)[a-z0-9]{32}",
        Rule("twilio_account_sid", r"(?<![A-Za-z0-9])AC[a-z0-9]{32}(?![A-Za-z0-9])", 0.9),
        Rule("twilio_api_key", r"(?<![A-Za-z0-9])SK[a-z0-9]{32}(?![A-Za-z0-9])", 0.9),
    )


def sendgrid_recognizer() -> RuleRecognizer:
    return _recognizer(
        "SECRET_SENDGRID_KEY",
        r"SG\.",
        Rule("sendgrid_key", _BD + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _ED, 1.0),
    )


def jwt_recognizer() -> RuleRecognizer:
    return _recognizer(
        "SECRET_JWT",
        r"eyJ",
        Rule(
            "jwt",
            _BD
            + r"eyJ[A-Za-z0-9_-]{2,}={0,2}\.eyJ[A-Za-z0-9_-]{2,}={0,2}(?:\.[A-Za-z0-9_-]+={0,2})?",
            1.0,
            validate=is_jwt,
        ),
    )


def private_key_recognizer() -> RuleRecognizer:
    # The whole block, across lines (and across literal "\n" in JSON/.env values); a block whose
    # END line is missing (a truncated paste) runs to the end of its base64 body.
    begin = r"-----BEGIN[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----"
    end = r"-----END[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----"
    return _recognizer(
        "SECRET_PRIVATE_KEY",
        r"PRIVATE KEY",
        Rule(
            "private_key_block",
            begin + r"(?:.*?" + end + r"|[A-Za-z0-9+/=\s:,\\-]*)",
            1.0,
            flags=re.S,
        ),
    )


def url_credentials_recognizer() -> RuleRecognizer:
    # scheme://user:password@host: the user and password are replaced, scheme and host are kept.
    return _recognizer(
        "SECRET_URL_CREDENTIALS",
        r"://[^\s/@]*:[^\s/@]*@",
        Rule(
            "url_credentials",
            r"\b[A-Za-z][A-Za-z0-9+.-]{1,30}://(?P<value>[^\s:/?#@\"'<>]*:[^\s/@\"'<>]+)@[A-Za-z0-9\[]",
            1.0,
            validate=is_url_password,
        ),
    )


def provider_token_recognizer() -> RuleRecognizer:
    """Other provider keys with unmistakable prefixes, common in AI app builders' code."""
    return _recognizer(
        "SECRET_API_KEY",
        r"sk-|hf_|r8_|gsk_|xai-|pplx-|do[por]_v1_|shp(?:at|ss|ca|pa)_|sq0(?:atp|csp)-|lin_api_|"
        r"ntn_|PMAK-|sk\.eyJ|[Bb]earer",
        Rule("sk_prefixed_key", _B + r"sk-[A-Za-z0-9]{32,}" + _ED, 0.9, validate=_min_entropy(3.5)),
        Rule("openrouter_key", _B + r"sk-or-v1-[a-f0-9]{64}" + _E, 1.0),
        Rule("huggingface_token", _B + r"hf_[A-Za-z0-9]{30,40}" + _E, 1.0),
        Rule("replicate_token", _B + r"r8_[A-Za-z0-9]{37}" + _E, 1.0),
        Rule("groq_key", _B + r"gsk_[A-Za-z0-9]{48,}" + _E, 1.0),
        Rule("xai_key", _B + r"xai-[A-Za-z0-9]{60,}" + _E, 1.0),
        Rule("perplexity_key", _B + r"pplx-[A-Za-z0-9]{40,}" + _E, 1.0),
        Rule("digitalocean_token", _B + r"do[por]_v1_[a-f0-9]{64}" + _E, 1.0),
        Rule("shopify_token", _B + r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}" + _E, 1.0),
        Rule("square_token", _B + r"sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}" + _ED, 1.0),
        Rule("linear_key", _B + r"lin_api_[A-Za-z0-9]{40}" + _E, 1.0),
        Rule("notion_token", _B + r"ntn_[A-Za-z0-9]{40,}" + _E, 1.0),
        Rule("postman_key", _B + r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + _E, 1.0),
        Rule("mapbox_secret_token", _B + r"sk\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+" + _ED, 1.0),
        Rule(
            "bearer_token",
            r"\b[Bb]earer\s+(?P<value>[A-Za-z0-9._~+/-]{16,}=*)",
            0.9,
            validate=is_token_value,
            trigger=r"[Bb]earer",
        ),
        name="ProviderTokenRecognizer",
    )


def legacy_provider_recognizers() -> list[RuleRecognizer]:
    """Formats from detect-secrets' plugin set that users still paste."""
    return [
        _recognizer(
            "SECRET_NPM_TOKEN",
            r"npm_|_authToken",
            Rule("npm_token", _B + r"npm_[A-Za-z0-9]{36}" + _E, 1.0),
            Rule(
                "npmrc_auth_token",
                r"_authToken\s*=\s*(?P<value>[^\s\"'${}]+)",
                0.9,
                validate=lambda v: not is_placeholder(v) and len(v) >= 8,
            ),
        ),
        _recognizer(
            "SECRET_PYPI_TOKEN",
            r"pypi-AgE",
            Rule("pypi_token", _B + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{70,}" + _ED, 1.0),
            Rule(
                "testpypi_token", _B + r"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{70,}" + _ED, 1.0
            ),
        ),
        _recognizer(
            "SECRET_DISCORD_TOKEN",
            r"[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.",
            Rule(
                "discord_bot_token",
                r"[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}",
                1.0,
            ),
        ),
        _recognizer(
            "SECRET_TELEGRAM_TOKEN",
            r"\d{8,10}:AA",
            Rule("telegram_bot_token", r"(?<!\d)\d{8,10}:AA[0-9A-Za-z_-]{32,33}" + _ED, 1.0),
        ),
        _recognizer(
            "SECRET_MAILCHIMP_KEY",
            r"-us\d",
            Rule("mailchimp_key", r"(?<![0-9a-zA-Z])[0-9a-f]{32}-us[0-9]{1,2}(?![0-9A-Za-z])", 1.0),
        ),
        _recognizer(
            "SECRET_ARTIFACTORY_TOKEN",
            r"AKC|AP[\dA-F]",
            Rule("artifactory_api_key", r"(?:^|(?<=[\s=:\"]))AKC[a-zA-Z0-9]{10,}", 0.9),
            Rule("artifactory_password", r"(?:^|(?<=[\s=:\"]))AP[\dABCDEF][a-zA-Z0-9]{8,}", 0.9),
        ),
        _recognizer(
            "SECRET_AZURE_STORAGE_KEY",
            r"(?i:AccountKey)",
            Rule(
                "azure_storage_account_key",
                r"(?i:AccountKey)\s*=\s*(?P<value>[A-Za-z0-9+/=]{80,100})",
                1.0,
            ),
        ),
    ]


# Names under which people store credentials (matched from the keyword on). ``key`` alone is too common ("monkey", "keyA") and
# is left to the high-entropy rule.
_PASSWORD_KEY = r"(?i:pass(?:word|wd|phrase|code)?|pwd|pw)[\w.-]{0,40}"
_PASSWORD_WORD = r"(?i:pass|pw)"
# Only the keyword and what follows it are matched: the start of the name does not matter, and
# leaving it out keeps the regex linear on long runs of word characters.
_TOKEN_KEY = (
    r"(?i:secret|token|api[_.-]?key|apikey|access[_.-]?key|auth[_.-]?key|private[_.-]?key|"
    r"credentials?|auth)[\w.-]{0,40}"
)
# Every key name above holds one of these words, at most 8 characters in ("private_key").
_TOKEN_WORD = r"(?i:secret|token|key|credential|auth)"
_TOKEN_WORD_REACH = 8
_ASSIGN = r"[\"']?\s*(?:=|:=|=>|:|\+=)\s*"
_QUOTED = r"(?P<q>[\"'`])(?P<value>[^\"'`\n]{1,200})(?P=q)"
_BARE = r"(?P<value>[^\s\"'`,;)\]}]{1,200})"
# What a line holds of a match that starts there (lines.py screens whole texts by it): the key
# and the operator, or the key at the end of the line when ``_ASSIGN``'s whitespace goes on.
_ASSIGN_ON_A_LINE = r"[\"']?[^\S\n]*(?:[=:+]|(?m:$))"


def password_assignment_recognizer() -> RuleRecognizer:
    # Every match starts with its keyword: each rule is tried only where one begins.
    return _recognizer(
        "SECRET_PASSWORD",
        r"(?i:pas|pw|pin|authorization)",
        Rule(
            "password_assignment",
            _PASSWORD_KEY + _ASSIGN + _QUOTED,
            0.8,
            validate=is_password_value,
            anchor=_PASSWORD_WORD,
            trigger=_PASSWORD_KEY + _ASSIGN_ON_A_LINE,
        ),
        Rule(
            "password_assignment", _PASSWORD_KEY + _ASSIGN + _BARE, 0.8, validate=is_password_value,
            anchor=_PASSWORD_WORD, trigger=_PASSWORD_KEY + _ASSIGN_ON_A_LINE,
        ),  # fmt: skip
        Rule(
            "password_in_prose",
            r"(?i:\b(?:password|passcode|passphrase|pwd|pin)\s+(?:is|was|=|:)\s+)[\"'“]?"
            # Trailing punctuation stays in the value: "Summer2024!" needs its "!", and replacing
            # a full stop costs nothing.
            r"(?P<value>[^\s\"'”]{4,64})",
            0.8,
            validate=is_pin_value,
            anchor=r"(?i:pass|pwd|pin)",
            trigger=r"(?im:\b(?:password|passcode|passphrase|pwd|pin)(?:[^\S\n]+(?:is|was|=|:)|[^\S\n]*$))",
        ),
        Rule(
            "basic_auth_header",
            r"(?i:authorization)\s*:\s*(?i:basic)\s+(?P<value>[A-Za-z0-9+/]{8,}={0,2})",
            1.0,
            anchor=r"(?i:authorization)",
            trigger=r"(?im:authorization[^\S\n]*(?::|$))",
        ),
    )


def token_assignment_recognizer() -> RuleRecognizer:
    return _recognizer(
        "SECRET_API_KEY",
        _TOKEN_WORD,
        Rule("token_assignment", _TOKEN_KEY + _ASSIGN + _QUOTED, 0.8, validate=is_token_value,
             anchor=_TOKEN_WORD, anchor_reach=_TOKEN_WORD_REACH, trigger=_TOKEN_KEY + _ASSIGN_ON_A_LINE),
        Rule("token_assignment", _TOKEN_KEY + _ASSIGN + _BARE, 0.8, validate=is_token_value,
             anchor=_TOKEN_WORD, anchor_reach=_TOKEN_WORD_REACH, trigger=_TOKEN_KEY + _ASSIGN_ON_A_LINE),
        Rule(
            "token_in_prose",
            r"(?i:\b(?:api key|token|secret|key)\s+(?:is|was)\s*:?\s+)[\"'“]?"
            r"(?P<value>[A-Za-z0-9._~+/=-]{12,200})",
            0.8,
            validate=is_token_value,
            anchor=_TOKEN_WORD,
            anchor_reach=_TOKEN_WORD_REACH,
            trigger=r"(?im:\b(?:api key|token|secret|key)(?:[^\S\n]+(?:is|was)|[^\S\n]*$))",
        ),
        name="TokenAssignmentRecognizer",
    )


# Names whose values are identifiers or digests, not secrets (detect-secrets skips ``*_id`` too).
_NOT_SECRET_NAME = re.compile(
    r"(?:^|[^a-z])(?:id|ids|uuid|guid|hash|sha\d*|md5|checksum|digest|integrity|etag|commit|rev|"
    r"revision|version|ref|sri)$|^(?:src|href|url|path|file|filename|name|title|class|classname|"
    r"style|image|img|data)$",
    re.IGNORECASE,
)


def _names_a_secret(match: re.Match[str]) -> bool:
    return _NOT_SECRET_NAME.search(match.group("key")) is None


# An assignment operator with a long enough value after it: where a high-entropy match has its
# operator. Searched from each hit + 1, so that overlapping hits are all found.
_OPERATOR_BEFORE_VALUE = re.compile(r"(?:=|:=|=>|:)\s*[\"'`]?[A-Za-z0-9+/=_-]{20}")
_KEY_CHARS = frozenset("_.-")
_KEY_MAX = 61


def assignment_key_starts(text: str) -> list[int]:
    """Where a high-entropy assignment can start: for each operator followed by a long value,
    the start of the name before it (back over whitespace and one quote). The regex's key is a
    whole run of ``[\\w.-]`` (nothing of it may precede its start, and a quote, a space or the
    operator ends it), so each operator has at most one; the regex itself decides the rest."""
    starts: set[int] = set()
    found = _OPERATOR_BEFORE_VALUE.search(text)
    while found is not None:
        position = found.start()
        while position > 0 and text[position - 1].isspace():
            position -= 1
        if position > 0 and text[position - 1] in "\"'":
            position -= 1
        end = position
        while position > 0 and end - position <= _KEY_MAX and (
            text[position - 1].isalnum() or text[position - 1] in _KEY_CHARS
        ):
            position -= 1
        if 0 < end - position <= _KEY_MAX:
            starts.add(position)
        found = _OPERATOR_BEFORE_VALUE.search(text, found.start() + 1)
    return sorted(starts)


def high_entropy_assignment_recognizer() -> RuleRecognizer:
    return _recognizer(
        "SECRET_HIGH_ENTROPY",
        r"[=:>]\s*[\"'`]?[A-Za-z0-9+/=_-]{20}",
        Rule(
            "high_entropy_assignment",
            r"(?<![\w.-])(?P<key>[A-Za-z_][\w.-]{0,60})[\"']?\s*(?:=|:=|=>|:)\s*[\"'`]?"
            r"(?P<value>[A-Za-z0-9+/=_-]{20,300})(?![A-Za-z0-9+/=_-])",
            0.7,
            validate=is_high_entropy_value,
            validate_match=_names_a_secret,
            starts=assignment_key_starts,
        ),
        # the trigger's "\s*" after the operator is what may hold line breaks
        across_lines=TriggerAcrossLines(
            line_end=r"[=:>]\s*\Z", line_start=r"\A\s*[\"'`]?[A-Za-z0-9+/=_-]{20}"
        ),
    )


def secret_recognizers() -> list[EntityRecognizer]:
    """Fresh instances of every secret recognizer (one registry per analyzer owns them)."""
    return [
        openai_recognizer(),
        anthropic_recognizer(),
        aws_access_key_id_recognizer(),
        aws_secret_key_recognizer(),
        google_recognizer(),
        github_recognizer(),
        gitlab_recognizer(),
        *slack_recognizers(),
        stripe_recognizer(),
        twilio_recognizer(),
        sendgrid_recognizer(),
        jwt_recognizer(),
        private_key_recognizer(),
        url_credentials_recognizer(),
        provider_token_recognizer(),
        *legacy_provider_recognizers(),
        password_assignment_recognizer(),
        token_assignment_recognizer(),
        high_entropy_assignment_recognizer(),
    ]


SECRET_ENTITIES: tuple[str, ...] = tuple(
    dict.fromkeys(r.supported_entities[0] for r in secret_recognizers())
)
