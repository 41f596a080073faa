"""Every secret recognizer, on true and false cases; placeholders; the detect-secrets cases."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, example, given, settings

from pipelines.privacy.evaluate import evaluate_secrets
from pipelines.privacy.patterns import RuleRecognizer
from pipelines.privacy.scrubber import Scrubber
from pipelines.privacy.secrets import (
    SECRET_ENTITIES,
    high_entropy_assignment_recognizer,
    is_placeholder,
    password_assignment_recognizer,
    secret_recognizers,
)

from .conftest import SECRET_CASES, SECRETS_RAW, findings_of, shared, tried_everywhere
from .fakes import b64, covered, hexlower, jwt, pem, rand, upper

pytestmark = pytest.mark.xdist_group("privacy")

# (entity, text, the secret inside the text)
_openai = (
    "sk-proj-"
    + rand(64, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    + "T3BlbkFJ"
    + rand(64)
)
_legacy_openai = "sk-" + rand(20) + "T3BlbkFJ" + rand(20)
_anthropic = "sk-ant-api03-" + rand(93) + "AA"
_aws_id = "AKIA" + upper(16)
_aws_secret = b64(40)
_github = "ghp_" + rand(36)
_slack = f"xoxb-{rand(11, '0123456789')}-{rand(12, '0123456789')}-{rand(24)}"
_stripe = "sk_live_" + rand(24)
_sendgrid = f"SG.{rand(22)}.{rand(43)}"
_jwt = jwt()
_pem = pem()

TRUE_CASES = [
    ("SECRET_OPENAI_KEY", f"here is my openai key {_openai} can you wire it up", _openai),
    ("SECRET_OPENAI_KEY", f"OPENAI_API_KEY={_legacy_openai}", _legacy_openai),
    ("SECRET_OPENAI_KEY", f'new OpenAI({{ apiKey: "sk-proj-{rand(120)}" }})', None),
    ("SECRET_ANTHROPIC_KEY", f"use claude with my key {_anthropic}", _anthropic),
    ("SECRET_AWS_ACCESS_KEY_ID", f"aws_access_key_id = {_aws_id}", _aws_id),
    ("SECRET_AWS_ACCESS_KEY_ID", f"creds ASIA{upper(16)} expire soon", None),
    (
        "SECRET_AWS_SECRET_KEY",
        f"AWS_ACCESS_KEY_ID={_aws_id}\nAWS_SECRET_ACCESS_KEY={_aws_secret}",
        _aws_secret,
    ),
    ("SECRET_AWS_SECRET_KEY", f"{_aws_id},{_aws_secret}", _aws_secret),
    (
        "SECRET_GOOGLE_API_KEY",
        f"const firebaseConfig = {{ apiKey: 'AIza{rand(35, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-')}' }}",
        None,
    ),
    ("SECRET_GITHUB_TOKEN", f"push the code to my repo, token is {_github}", _github),
    ("SECRET_GITHUB_TOKEN", f"GH_TOKEN=github_pat_{rand(22)}_{rand(59)}", None),
    ("SECRET_GITHUB_TOKEN", f"gho_{rand(36)} and ghs_{rand(36)}", None),
    (
        "SECRET_GITLAB_TOKEN",
        f"git clone https://oauth2:glpat-{rand(20)}@gitlab.com/acme/app.git",
        None,
    ),
    ("SECRET_SLACK_TOKEN", f"send notifications to slack with bot token {_slack}", _slack),
    (
        "SECRET_SLACK_WEBHOOK",
        f"post to https://hooks.slack.com/services/T{upper(8)}/B{upper(8)}/{rand(24)}",
        None,
    ),
    ("SECRET_STRIPE_KEY", f'const stripe = new Stripe("{_stripe}");', _stripe),
    ("SECRET_STRIPE_KEY", f"STRIPE_RESTRICTED=rk_live_{rand(24)}", None),
    ("SECRET_STRIPE_KEY", f"test mode key sk_test_{rand(24)}", None),
    ("SECRET_TWILIO_KEY", f"client = Client('AC{hexlower(32)}', token)", None),
    ("SECRET_TWILIO_KEY", f"TWILIO_API_KEY=SK{hexlower(32)}", None),
    ("SECRET_SENDGRID_KEY", f"sgMail.setApiKey('{_sendgrid}')", _sendgrid),
    ("SECRET_JWT", f"Authorization: Bearer {_jwt}", _jwt),
    ("SECRET_JWT", f"SUPABASE_SERVICE_ROLE_KEY={_jwt}", _jwt),
    ("SECRET_PRIVATE_KEY", f"here's the private key for the service account:\n{_pem}", _pem),
    ("SECRET_PRIVATE_KEY", 'PRIVATE_KEY="' + pem("PRIVATE KEY").replace("\n", "\\n") + '"', None),
    (
        "SECRET_PRIVATE_KEY",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n" + b64(64) + "\n" + b64(30),
        None,
    ),
    (
        "SECRET_URL_CREDENTIALS",
        "DATABASE_URL=postgres://admin:Falcon1744#@db.internal:5432/app",
        "admin:Falcon1744#",
    ),
    ("SECRET_URL_CREDENTIALS", "redis://:s3cr3tPass@cache.local:6379/0", ":s3cr3tPass"),
    ("SECRET_URL_CREDENTIALS", "https://username:password@yelp.com", "username:password"),
    ("SECRET_PASSWORD", 'DB_PASSWORD="xK9#mP2vL8qR"', "xK9#mP2vL8qR"),
    ("SECRET_PASSWORD", "my password is Summer2024!", "Summer2024!"),
    ("SECRET_PASSWORD", "Authorization: Basic " + b64(24) + "==", None),
    (
        "SECRET_API_KEY",
        'api_key = "a8f5f167f44f4964e6c998dee827110c"',
        "a8f5f167f44f4964e6c998dee827110c",
    ),
    ("SECRET_API_KEY", f"HF_TOKEN=hf_{rand(34)}", None),
    ("SECRET_API_KEY", f"curl -H 'Authorization: Bearer {rand(40)}' https://api.example.com", None),
    ("SECRET_HIGH_ENTROPY", f"mimi={rand(40)}", None),
    ("SECRET_NPM_TOKEN", f"//registry.npmjs.org/:_authToken=npm_{rand(36)}", None),
    ("SECRET_PYPI_TOKEN", "password = pypi-AgEIcHlwaS5vcmc" + rand(80), None),
    (
        "SECRET_TELEGRAM_TOKEN",
        f"https://api.telegram.org/bot{rand(9, '0123456789')}:AA{rand(33)}/getMe",
        None,
    ),
    ("SECRET_MAILCHIMP_KEY", f"MAILCHIMP={hexlower(32)}-us12", None),
]

FALSE_CASES = [
    "sk-learn is a typo for scikit-learn",
    "the risk-assessment-framework-for-everything doc",
    "sk-ant- is the prefix of Anthropic keys",
    "akia" + upper(16).lower() + " in lower case is not a key id",
    "AKIA123 is too short",
    "AWS_SECRET_ACCESS_KEY=" + "x" * 40,
    "aws_secret_access_key = os.environ['AWS_SECRET_ACCESS_KEY']",
    "AIza" + rand(10) + " is cut short",
    "foo_" + rand(36) + " has no GitHub prefix",
    "ghp_short",
    "glpat_" + rand(20) + " uses an underscore",
    "xox-1234 and xoxb alone",
    "pk_live_" + rand(24) + " is a publishable key",
    "sk_live_ alone",
    "AC" + upper(32) + " has capitals",
    "SG.." + rand(22),
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 alone is a header",
    "-----BEGIN PUBLIC KEY-----\n" + b64(64) + "\n-----END PUBLIC KEY-----",
    "keep the PRIVATE KEY out of git",
    "https://example.com/path?x=1",
    "postgres://user:${DB_PASSWORD}@db/app",
    "git@github.com:acme/app.git",
    'password = "changeme"',
    "password: string;",
    "const password = req.body.password;",
    'api_key = "your-api-key-here"',
    "apiKey: process.env.OPENAI_API_KEY,",
    "commit=" + hexlower(40),
    "uuid: 203db13e-70c7-462b-9a3d-bf32640cb0be",
    'integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"',
    "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
    "the token is expired, please refresh it",
]


@pytest.mark.parametrize(
    ("entity", "text", "secret"), TRUE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(TRUE_CASES)]
)
def test_secret_is_found_and_covered(
    scrubber: Scrubber, entity: str, text: str, secret: str | None
) -> None:
    findings = scrubber.detect([text], "code")[0]
    assert any(f.entity_type == entity for f in findings), (
        entity,
        [f.entity_type for f in findings],
    )
    if secret is not None:
        assert covered(text, secret, findings), "the whole secret must be replaced"
    result = scrubber.scrub([text], "code")[0]
    assert secret is None or secret not in result.text


@pytest.mark.parametrize("text", FALSE_CASES)
def test_look_alike_is_not_a_secret(scrubber: Scrubber, text: str) -> None:
    findings = scrubber.detect([text], "code")[0]
    assert not [f for f in findings if f.entity_type.startswith("SECRET_")], [
        f.entity_type for f in findings
    ]


def test_every_secret_entity_has_a_true_case() -> None:
    tested = {entity for entity, _, _ in TRUE_CASES}
    untested = (
        set(SECRET_ENTITIES)
        - tested
        - {"SECRET_DISCORD_TOKEN", "SECRET_ARTIFACTORY_TOKEN", "SECRET_AZURE_STORAGE_KEY"}
    )
    assert not untested  # the three left out are covered by the detect-secrets cases below


# Generic assignments: values people really use, and the placeholders that must stay. Measured
# here: 19/20 real values found (the exception is the "hunter2" meme), 0/32 placeholders flagged.
REAL_ASSIGNMENTS = [
    'password = "Tr0ub4dor&3"',
    "DB_PASSWORD=xK9#mP2vL8qR",
    "password: s3cr3tP@ss",
    "pwd='Summer2024!'",
    'api_key = "a8f5f167f44f4964e6c998dee827110c"',
    "API_KEY=4eC39HqLyjWDarjtT1zdp7dc",
    'token: "9f8e7d6c5b4a39281706f5e4d3c2b1a0"',
    'client_secret = "Zx8Jk2LmN4pQ7rS9tU1vW3yA"',
    'SECRET_KEY = "django-insecure-8j$k2#m9x!q@w4e7r"',
    "my password is Hunter42!",
    "the password is bluefish77",
    "auth_token=ghs9KJ3hf8sdf83h2kJH3kjh",
    'AUTH_SECRET="q3l5v7n9m2k4j6h8g0f1d3s5a7p9o2i4"',
    "my pin is 4821",
    '"password": "correct horse battery staple 9"',
    'jwtSecret: "f9Kx2!pL0@qZ"',
    "SESSION_SECRET=7Hq2Lp9Xv4Nm8Rt1",
    "password=hunter22",
    "NEXTAUTH_SECRET=Ykd83jJd8Qp1Zm0Xc7Vb6Nn5Aa4Ss3Dd",
    "export OPENAI_API_KEY=sk-" + rand(48),
]
PLACEHOLDER_ASSIGNMENTS = [
    'password = "changeme"',
    'password: "password"',
    'api_key = "your-api-key-here"',
    "API_KEY=<YOUR_API_KEY>",
    'token = os.environ["TOKEN"]',
    'password = request.form["password"]',
    "const password = req.body.password;",
    "password: string;",
    "apiKey: process.env.OPENAI_API_KEY,",
    "api_key='xxxxxxxxxxxxxxxx'",
    'password = "********"',
    'SECRET_KEY = "replace-me"',
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "password = None",
    "self.api_key = api_key",
    "password=getpass()",
    "api_key: str = Field(...)",
    'password = "mysecretpassword"',
    'token = "dummy-token"',
    'secret: "not_so_secret"',
    "password=$DB_PASSWORD",
    "auth: true",
    'access_token = response.json()["access_token"]',
    "the password is incorrect",
    'password: ""',
    "passwordHash: bcrypt.hash(pw, 10)",
    "API_KEY=sk-...",
    'api_key = "<insert key>"',
    'password = "example123"',
    "Bearer token_here",
    "token = generate_token(user)",
    "password_field = forms.CharField()",
]


def test_generic_assignments_recall_and_false_alarms(scrubber: Scrubber) -> None:
    found = [bool(f) for f in scrubber.detect(REAL_ASSIGNMENTS, "code")]
    alarms = [bool(f) for f in scrubber.detect(PLACEHOLDER_ASSIGNMENTS, "code")]
    recall = sum(found) / len(found)
    print(f"generic assignments: recall {recall:.2f}, false alarms {sum(alarms)}/{len(alarms)}")
    assert recall >= 0.9
    assert sum(alarms) <= 1


@pytest.mark.parametrize(
    "value",
    [
        "${API_KEY}",
        "{{ secret }}",
        "<your key>",
        "%s",
        "xxxxxxxx",
        "config.token",
        "getToken()",
        "null",
    ],
)
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["Tr0ub4dor&3", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"])
def test_real_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("detect-secrets__test_data_config.env", "SECRET_HIGH_ENTROPY"),
        ("detect-secrets__test_data_config.ini", "SECRET_API_KEY"),
        ("detect-secrets__test_data_config.yaml", "SECRET_AWS_ACCESS_KEY_ID"),
        ("detect-secrets__test_data_files_private_key", "SECRET_PRIVATE_KEY"),
    ],
)
def test_raw_config_files(scrubber: Scrubber, name: str, expected: str) -> None:
    text = shared(SECRETS_RAW / name).read_text()
    result = scrubber.scrub([text], "code")[0]
    assert result.findings.get(expected, 0) >= 1, result.findings


def test_detect_secrets_cases_bounds(scrubber: Scrubber) -> None:
    report = evaluate_secrets(shared(SECRET_CASES), scrubber)
    overall = report["overall"]
    print(f"secrets: recall {overall['recall']}, false-alarm rate {overall['false_alarm_rate']}")
    assert overall["recall"] >= 0.95
    # The alarms we accept on purpose (documented in secrets.py / pii.py): a GitHub token among
    # GitLab look-alikes, private IPs and an e-mail among ip_public, npm tokens without the
    # registry URL, Telegram tokens after "bot", a person's name inside a fake JWT.
    assert overall["false_alarm_rate"] <= 0.15
    for detector in (
        "aws_key",
        "basic_auth",
        "discord",
        "github_token",
        "mailchimp_key",
        "openai",
        "sendgrid",
        "stripe_key",
        "softlayer",
        "ibm_cloud_iam",
        "ibm_cos_hmac",
        "cloudant",
    ):
        assert report["detectors"][detector]["false_alarms"] == 0, detector


def test_screening_never_changes_a_result(scrubber: Scrubber, prompts: list[str]) -> None:
    """Every trigger is a necessary condition: with screening off, the same findings."""
    from pipelines.privacy.engine import get_analyzer
    from pipelines.privacy.policies import CODE, NATURAL_LANGUAGE

    cases = [line for line in shared(SECRET_CASES).read_text().splitlines()]
    texts = prompts[:150] + [t for _, t, _ in TRUE_CASES] + FALSE_CASES + cases
    for policy in (NATURAL_LANGUAGE, CODE):
        for recognizer in get_analyzer(policy).registry.recognizers:
            if not hasattr(recognizer, "screen"):
                continue
            entities = recognizer.supported_entities
            screened = [
                [(r.entity_type, r.start, r.end) for r in recognizer.analyze(t, entities)]
                for t in texts
            ]
            recognizer.screen = False
            try:
                unscreened = [
                    [(r.entity_type, r.start, r.end) for r in recognizer.analyze(t, entities)]
                    for t in texts
                ]
            finally:
                recognizer.screen = True
            assert screened == unscreened, recognizer.name


def test_recognizers_are_fresh_instances() -> None:
    first, second = secret_recognizers(), secret_recognizers()
    assert all(a is not b for a, b in zip(first, second, strict=True))


# --- where assignments can start: trying a rule only there finds the same matches -------------

_VALUE = "Zx9Qw8Er7Ty6Ui5Op4As3Df"  # mixed case and digits, high entropy: a finding when named well
# Names, quotes, whitespace (line breaks and a no-break space too), operators and values in any
# order; long names around the 61-character limit of a high-entropy key.
_ASSIGNMENT_TEXT = st.lists(
    st.sampled_from([
        "password", "PASSWD", "pwd", "pw", "pin", "passphrase", "Authorization", "basic ", "api_key",
        "db.secret-x", "_k", "9k", "x" * 60, "'", '"', "`", " ", "  ", "\n", "\t", "\u00a0", "=", ":",
        ":=", "=>", "+=", " is ", " was ", "\u017f", "\u00e9", ",", ";", ")", _VALUE, _VALUE[:19],
        "c3VwZXJzZWNyZXQ6cGFzc3dvcmQ=",
    ])
    | st.text(alphabet="aZ09_.-/+= :'\"\n", max_size=6),
    max_size=20,
).map("".join)


@pytest.mark.parametrize(
    "recognizer", [password_assignment_recognizer(), high_entropy_assignment_recognizer()],
    ids=["password", "high-entropy"],
)  # fmt: skip
@given(text=_ASSIGNMENT_TEXT)
@example(text="k" * 61 + " = " + _VALUE)  # the longest key
@example(text="k" * 62 + "=" + _VALUE)  # one too long: no key starts inside a name
@example(text="api_key\n\n   :=\n 'Zx9Qw8Er7Ty6Ui5Op4As3Df'")  # whitespace and lines on both sides
@example(text="token' => " + _VALUE + "; x: " + _VALUE)
@example(text="my password is hunter2! Authorization: Basic dXNlcjpwYXNzd29yZA==")
@example(text="pw: 'Tr0ub4dor&3', PASSPHRASE='Tr0ub4dor&3'")
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rules_tried_where_matches_can_start_find_what_every_position_finds(
    recognizer: RuleRecognizer, text: str
) -> None:
    assert any(rule.anchor or rule.starts for rule in recognizer.rules)
    assert findings_of(recognizer, text) == findings_of(tried_everywhere(recognizer), text)


@pytest.mark.parametrize(
    ("recognizer", "text", "found"),
    [
        (high_entropy_assignment_recognizer(), "k" * 61 + " = " + _VALUE, 1),
        (high_entropy_assignment_recognizer(), "k" * 62 + " = " + _VALUE, 0),
        (high_entropy_assignment_recognizer(), "api_key\n\n   :=\n '" + _VALUE + "'", 1),
        (password_assignment_recognizer(), "DB_PASSWORD = 'Tr0ub4dor&3'\nmy pin is 4821", 2),
        (password_assignment_recognizer(), "pw: 'Tr0ub4dor&3', PASSPHRASE='Tr0ub4dor&3'", 2),
    ],
)
def test_the_start_finding_examples_do_find_something(recognizer: RuleRecognizer, text: str, found: int) -> None:
    """The property above compares two scans; these show that its examples reach real findings."""
    assert len(findings_of(recognizer, text)) == found == len(findings_of(tried_everywhere(recognizer), text))
