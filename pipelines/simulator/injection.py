"""Plant personal data and secrets in free text, and say exactly what was planted.

Every function returns the new text (or patch lines) together with the ``(entity_type, value)``
pairs it planted; the caller records them against the event id and field in the ground truth.
A value is always planted verbatim, so a test can find it again in the field it names.

Within a conversation the same person tends to come back (their name, their email), so a
``Persona`` is drawn once per session and reused half of the time: downstream pseudonyms must
stay consistent across events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipelines.simulator import credentials
from pipelines.simulator import personal_data as pd

PERSON = "PERSON"
EMAIL = "EMAIL_ADDRESS"
PHONE = "PHONE_NUMBER"
LOCATION = "LOCATION"
CREDIT_CARD = "CREDIT_CARD"
IBAN = "IBAN_CODE"
IP = "IP_ADDRESS"
PII_ENTITIES = (PERSON, EMAIL, PHONE, LOCATION, CREDIT_CARD, IBAN, IP)
_PII_WEIGHTS = (0.27, 0.22, 0.15, 0.12, 0.08, 0.06, 0.10)
SECRET_PREFIX = "SECRET:"
PASSWORD_IN_URL = "password_in_url"
SECRET_KINDS = (*credentials.SECRET_KINDS, PASSWORD_IN_URL)
_SECRET_WEIGHTS = (0.2, 0.1, 0.12, 0.0, 0.1, 0.08, 0.12, 0.08, 0.05, 0.15)  # aws secret rides with the key id

Planted = list[tuple[str, str]]


@dataclass
class Persona:
    """The person a conversation keeps mentioning."""

    name: str
    email: str
    phone: str


def new_persona(rng: random.Random) -> Persona:
    name = pd.person_name(rng)
    return Persona(name, pd.email_for(rng, name), pd.phone_number(rng))


def _pii_value(rng: random.Random, entity: str, persona: Persona | None) -> str:
    reuse = persona is not None and rng.random() < 0.5
    if entity == PERSON:
        return persona.name if reuse else pd.person_name(rng)
    if entity == EMAIL:
        return persona.email if reuse else pd.email_for(rng)
    if entity == PHONE:
        return persona.phone if reuse else pd.phone_number(rng)
    if entity == LOCATION:
        return pd.street_address(rng)
    if entity == CREDIT_CARD:
        return pd.credit_card_number(rng)
    if entity == IBAN:
        return pd.iban(rng)
    return pd.ip_address(rng)


_PROMPT_CARRIERS = {
    PERSON: ("my client {v} wants this done by friday", "add {v} as the first user in the seed data",
             "this is for {v}'s team", "{v} from marketing asked for this",
             "put a testimonial from {v} on the home page", "the admin account should belong to {v}",
             "show {v} as the author on the about page"),
    EMAIL: ("send the contact form to {v}", "use {v} as the admin login", "my email is {v}",
            "notifications should go to {v}", "contact {name} at {v} for the copy"),
    PHONE: ("put our phone number {v} in the footer", "call me at {v} if anything is unclear",
            "the support line is {v}", "add a click to call button for {v}"),
    LOCATION: ("our address is {v}, show it on the contact page", "use {v} as the default pickup location",
               "show a map pin at {v}"),
    CREDIT_CARD: ("the test payment with card {v} fails", "i entered {v} and it says declined",
                  "checkout rejects my card {v}"),
    IBAN: ("show our bank details for transfers: {v}", "add IBAN {v} to the invoice footer",
           "payouts should go to {v}"),
    IP: ("the api server is at {v}", "whitelist {v} in the firewall config", "my server ip is {v}, deploy there",
         "block requests from {v}"),
}
_ASSISTANT_CARRIERS = ("I've added {v} to the contact page.", "I set {v} as the admin account.",
                       "The footer now shows {v}.", "I used {v} in the seed data.",
                       "Requests are now routed using {v}.")
_FEEDBACK_CARRIERS = {
    PERSON: ("{v} on my team loved it", "{v} says the layout is off"),
    EMAIL: ("email me at {v} if you need details", "reach {name} at {v}"),
    PHONE: ("call {v} for details",),
    LOCATION: ("it broke the address {v} on the contact page",),
    CREDIT_CARD: ("my card {v} still fails",),
    IBAN: ("the IBAN {v} is shown wrong",),
    IP: ("it only fails from {v}",),
}
_BUILD_CARRIERS = {
    PERSON: ('Error: seed failed at row 3: author "{v}" not found',),
    EMAIL: ('error: duplicate key value violates unique constraint "users_email_key"\nDETAIL: Key (email)=({v}) already exists.',),
    PHONE: ('ValidationError: "{v}" is not a valid phone number for field contact_phone',),
    LOCATION: ('GeocodeError: no results for address "{v}"',),
    CREDIT_CARD: ("StripeCardError: Your card was declined. (card {v}, e2e checkout test)",),
    IBAN: ('ValidationError: field "iban" rejected value "{v}"',),
    IP: ("Error: connect ETIMEDOUT {v}:5432", "FetchError: request to http://{v}:8080/api/items failed, reason: connect ECONNREFUSED"),
}


_SEPARATORS = (". ", "\n", " - ", ", ")


def _join(rng: random.Random, text: str, sentence: str) -> str:
    if not text:
        return sentence
    if rng.random() < 0.3:
        return f"{sentence}. {text}"
    return f"{text}{rng.choice(_SEPARATORS)}{sentence}"


def _carrier(rng: random.Random, carriers: tuple[str, ...], entity: str, persona: Persona | None) -> tuple[str, Planted]:
    template = rng.choice(carriers)
    value = _pii_value(rng, entity, persona)
    planted = [(entity, value)]
    name = ""
    if "{name}" in template:
        name = persona.name if persona is not None else pd.person_name(rng)
        planted.insert(0, (PERSON, name))
    return template.format(v=value, name=name), planted


def pick_pii_entity(rng: random.Random) -> str:
    return rng.choices(PII_ENTITIES, weights=_PII_WEIGHTS)[0]


def pii_in_prompt(rng: random.Random, text: str, persona: Persona | None) -> tuple[str, Planted]:
    sentence, planted = _carrier(rng, _PROMPT_CARRIERS[(entity := pick_pii_entity(rng))], entity, persona)
    return _join(rng, text, sentence), planted


def pii_in_assistant(rng: random.Random, text: str, persona: Persona | None, echo: Planted) -> tuple[str, Planted]:
    """The assistant mentions a person's data, often echoing what the user just wrote."""
    if echo and rng.random() < 0.7:
        entity, value = rng.choice(echo)
    else:
        entity = pick_pii_entity(rng)
        value = _pii_value(rng, entity, persona)
    return f"{text} {rng.choice(_ASSISTANT_CARRIERS).format(v=value)}", [(entity, value)]


def pii_in_feedback(rng: random.Random, text: str, persona: Persona | None) -> tuple[str, Planted]:
    entity = pick_pii_entity(rng)
    sentence, planted = _carrier(rng, _FEEDBACK_CARRIERS[entity], entity, persona)
    return (f"{text}, {sentence}" if text else sentence), planted


def pii_in_build_error(rng: random.Random, text: str, persona: Persona | None) -> tuple[str, Planted]:
    entity = pick_pii_entity(rng)
    line, planted = _carrier(rng, _BUILD_CARRIERS[entity], entity, persona)
    return f"{text}\n{line}", planted


def pii_patch_lines(rng: random.Random, persona: Persona | None) -> tuple[str, list[str], Planted]:
    """(file, added lines, planted): seed data or config that holds a person's data."""
    entity = pick_pii_entity(rng)
    value = _pii_value(rng, entity, persona)
    if entity == PERSON:
        return "src/data/seed.ts", [f'  {{ id: {rng.randint(1, 99)}, name: "{value}", role: "admin" }},'], [(entity, value)]
    if entity == EMAIL:
        return "src/config.ts", [f'export const SUPPORT_EMAIL = "{value}";'], [(entity, value)]
    if entity == PHONE:
        return "src/components/Footer.tsx", [f"      <a href=\"tel:{value}\">{value}</a>"], [(entity, value)]
    if entity == LOCATION:
        return "src/pages/Contact.tsx", [f"      <address>{value}</address>"], [(entity, value)]
    if entity == CREDIT_CARD:
        return "tests/checkout.spec.ts", [f"  await page.fill('#card', '{value}');"], [(entity, value)]
    if entity == IBAN:
        return "src/config.ts", [f'export const PAYOUT_IBAN = "{value}";'], [(entity, value)]
    return "src/lib/api.ts", [f'const API_HOST = "http://{value}:8080";'], [(entity, value)]


def _secret(rng: random.Random) -> tuple[str, str, Planted]:
    """(kind, the text that holds it, planted). AWS keys come in pairs; URLs hide a password."""
    kind = rng.choices(SECRET_KINDS, weights=_SECRET_WEIGHTS)[0]
    if kind == PASSWORD_IN_URL:
        url, password = credentials.connection_string(rng)
        return kind, url, [(SECRET_PREFIX + kind, password)]
    if kind == "aws_access_key_id":
        key_id, secret = credentials.aws_access_key_id(rng), credentials.aws_secret_access_key(rng)
        text = f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}"
        return kind, text, [(SECRET_PREFIX + "aws_access_key_id", key_id),
                            (SECRET_PREFIX + "aws_secret_access_key", secret)]
    value = credentials.SECRET_KINDS[kind](rng)
    return kind, value, [(SECRET_PREFIX + kind, value)]


_PROMPT_SECRET_CARRIERS = {
    "openai_api_key": ("here is my openai key {v} can you wire it up", "OPENAI_API_KEY={v} is in my env but it says invalid"),
    "anthropic_api_key": ("use claude with my key {v}", "ANTHROPIC_API_KEY={v}"),
    "aws_access_key_id": ("upload images to my s3 bucket, creds:\n{v}",),
    "github_token": ("push the code to my repo, token is {v}",),
    "slack_token": ("send notifications to slack with bot token {v}",),
    "stripe_secret_key": ("connect stripe, my secret key is {v}",),
    "jwt": ("this token doesn't work: {v}", "Authorization: Bearer {v}"),
    "private_key": ("here's the private key for the service account:\n{v}",),
    PASSWORD_IN_URL: ("connect to my database {v}", "DATABASE_URL={v}"),
}
_BUILD_SECRET_CARRIERS = {
    "openai_api_key": ("Error: 401 Incorrect API key provided: {v}.",),
    "anthropic_api_key": ('AuthenticationError: 401 {{"type":"error","error":{{"type":"authentication_error"}}}} key={v}',),
    "aws_access_key_id": ("InvalidClientTokenId: The security token included in the request is invalid.\n{v}",),
    "github_token": ("HttpError: Bad credentials (token {v})",),
    "slack_token": ("Slack API error: invalid_auth for token {v}",),
    "stripe_secret_key": ("StripeAuthenticationError: Invalid API Key provided: {v}",),
    "jwt": ("JsonWebTokenError: invalid signature for token {v}",),
    "private_key": ("Error: error:1E08010C:DECODER routines::unsupported while loading\n{v}",),
    PASSWORD_IN_URL: ('error: password authentication failed for user "admin"\n    at connect ({v})',),
}


def secret_in_prompt(rng: random.Random, text: str) -> tuple[str, Planted]:
    kind, secret_text, planted = _secret(rng)
    return _join(rng, text, rng.choice(_PROMPT_SECRET_CARRIERS[kind]).format(v=secret_text)), planted


def secret_in_build_error(rng: random.Random, text: str) -> tuple[str, Planted]:
    kind, secret_text, planted = _secret(rng)
    return f"{text}\n{rng.choice(_BUILD_SECRET_CARRIERS[kind]).format(v=secret_text)}", planted


def secret_patch_lines(rng: random.Random) -> tuple[str, list[str], Planted]:
    """(file, added lines, planted): a key committed in code or an env file, one line per line."""
    kind, secret_text, planted = _secret(rng)
    if kind == "private_key":
        # In a .env file a PEM block sits on one line with literal \n separators.
        one_line = secret_text.replace("\n", "\\n")
        return ".env", [f'PRIVATE_KEY="{one_line}"'], [(planted[0][0], one_line)]
    if kind == "stripe_secret_key" and rng.random() < 0.5:
        return "src/lib/stripe.ts", [f'const stripe = new Stripe("{secret_text}");'], planted
    if kind == "openai_api_key" and rng.random() < 0.5:
        return "src/lib/ai.ts", [f'const openai = new OpenAI({{ apiKey: "{secret_text}" }});'], planted
    name = {"openai_api_key": "OPENAI_API_KEY", "anthropic_api_key": "ANTHROPIC_API_KEY",
            "github_token": "GITHUB_TOKEN", "slack_token": "SLACK_BOT_TOKEN", "stripe_secret_key": "STRIPE_SECRET_KEY",
            "jwt": "SUPABASE_SERVICE_ROLE_KEY", PASSWORD_IN_URL: "DATABASE_URL"}.get(kind)
    lines = secret_text.split("\n") if name is None else [f"{name}={secret_text}"]
    return ".env", lines, planted
