"""Pattern recognizers for personal data: e-mail, phone, card, SSN, IBAN, IP and street addresses.

Presidio's own recognizers are reused where they are good (card and IBAN checksums, the SSN
rules, e-mail, phone numbers through ``phonenumbers``), each behind a cheap trigger regex that
every match needs (``ScreenedRecognizer``) or run only on windows around its anchor, "@" or a
digit cluster (``WindowedRecognizer``), so texts without digits or "@" skip them and long texts
cost little. Our own rules cover
what they miss: phone numbers in the many formats people type ("(96) 627-277", "69 987 88 37"),
numbers after a cue ("call me at 2125551234"), card numbers of every network (Presidio's regex
misses the Mastercard 2-series), SSNs after "SSN", IP addresses that can point at someone (not
loopback or the cloud metadata address), and street addresses, reported as LOCATION.

The e-mail recognizer validates domains with tldextract's bundled public-suffix snapshot: never
the network (FORMATS.md, section 5).
"""

from __future__ import annotations

import functools
import ipaddress
import re

import tldextract
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
    UsSsnRecognizer,
)
from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.patterns import Rule, RuleRecognizer, make_result


@functools.cache
def offline_tld_extractor() -> tldextract.TLDExtract:
    """A TLDExtract that uses only the suffix list bundled with the package: no download, no disk
    cache (both ``suffix_list_urls=()`` and ``cache_dir=None``)."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


class ScreenedRecognizer:
    """Mixin: skip a Presidio recognizer unless ``trigger`` (needed by every match) is in the text."""

    trigger: re.Pattern[str]
    screen = True

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: object = None
    ) -> list[RecognizerResult]:
        if self.screen and self.trigger.search(text) is None:
            return []
        return super().analyze(text, entities, nlp_artifacts)  # type: ignore[misc]


def around(
    text: str, anchors: re.Pattern[str], before: int, after: int, longest: int = 4000
) -> list[tuple[int, int]]:
    """Windows of ``text`` around each match of ``anchors``, merged when they overlap; a window
    longer than ``longest`` is cut into windows of that size overlapping by ``before + after``."""
    merged: list[tuple[int, int]] = []
    for anchor in anchors.finditer(text):
        start, end = max(0, anchor.start() - before), min(len(text), anchor.end() + after)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    step = max(1, longest - before - after)
    windows: list[tuple[int, int]] = []
    for start, end in merged:
        while end - start > longest:
            windows.append((start, start + longest))
            start += step
        windows.append((start, end))
    return windows


class WindowedRecognizer:
    """Mixin: run a Presidio recognizer only on windows around its anchors.

    Presidio's regexes and ``phonenumbers`` scan the whole text (the e-mail regex backtracks
    quadratically on a long run like "a.a.a.a...@"); a value can only sit next to its anchor, so
    the windows give the same findings at a cost bounded by the number of anchors.
    """

    anchor: re.Pattern[str]
    before: int
    after: int
    screen = True
    # Windows already read, by their text: the same number recurs (a support line, a scrub's
    # second round over unchanged surroundings), and the matcher is the costly part.
    _WINDOW_CACHE_SIZE = 4096

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: object = None
    ) -> list[RecognizerResult]:
        if not self.screen:
            return super().analyze(text, entities, nlp_artifacts)  # type: ignore[misc]
        results: list[RecognizerResult] = []
        for start, end in around(text, self.anchor, self.before, self.after):
            for entity, found_start, found_end, score in self._read_window(
                text[start:end], tuple(entities)
            ):
                results.append(
                    make_result(
                        entity,
                        start + found_start,
                        start + found_end,
                        score,
                        self,
                        type(self).__name__,
                    )
                )  # type: ignore[arg-type]
        return results

    def _read_window(
        self, window: str, entities: tuple[str, ...]
    ) -> tuple[tuple[str, int, int, float], ...]:
        cache = self.__dict__.setdefault("_window_cache", {})
        key = (window, entities)
        if key not in cache:
            if len(cache) >= self._WINDOW_CACHE_SIZE:
                cache.clear()
            found = super().analyze(window, list(entities), None)  # type: ignore[misc]
            cache[key] = tuple((r.entity_type, r.start, r.end, r.score) for r in found)
        return cache[key]


class OfflineEmailRecognizer(WindowedRecognizer, EmailRecognizer):
    """Presidio's e-mail recognizer, on windows around "@" (a local part has at most 64
    characters, a domain 255), validating domains against the bundled suffix list."""

    anchor = re.compile("@")
    before = 128
    after = 300

    def validate_result(self, pattern_text: str) -> bool:
        return offline_tld_extractor()(pattern_text).fqdn != ""


class ScreenedCreditCardRecognizer(ScreenedRecognizer, CreditCardRecognizer):
    # The card regex needs 13+ digits, at most one "-" or " " between two digits.
    trigger = re.compile(r"\d(?:[- ]?\d){12}")


class ScreenedSsnRecognizer(ScreenedRecognizer, UsSsnRecognizer):
    # Every SSN pattern starts with three digits, an optional delimiter and two digits.
    trigger = re.compile(r"[0-9]{3}[^0-9]?[0-9]{2}")


class ScreenedIbanRecognizer(ScreenedRecognizer, IbanRecognizer):
    trigger = re.compile(r"[A-Z]{2}[0-9]{2}")


class WindowedPhoneRecognizer(WindowedRecognizer, PhoneRecognizer):
    """Presidio's phonenumbers-based recognizer, on windows around digit clusters.

    ``phonenumbers`` scans the whole text once per region (eight of them): on a long prompt with
    one number that dominated the pattern stage. A valid number in those regions has five digits
    or more with at most three punctuation characters between two of them, so each such cluster,
    with a margin for "+", "(", an extension and the characters the matcher looks at around a
    number, is all the matcher needs to see. Clusters of more than 30 digits (tables, digit
    soup, on which the matcher takes seconds per kilobyte) are left to our own phone patterns.
    """

    anchor = re.compile(r"\d(?:\D{0,3}\d){4,29}(?!\D{0,3}\d)")
    before = 12
    after = 24

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: object = None
    ) -> list[RecognizerResult]:
        if self.screen and _CLUSTER_START.search(text) is None:
            return []
        return super().analyze(text, entities, nlp_artifacts)


_CLUSTER_START = re.compile(r"\d(?:\D{0,3}\d){4}")

# --- phone numbers as people type them ---------------------------------------------------------

_PHONE_CANDIDATE = (
    r"(?<![\w.+/-])(?P<value>(?:\+|\b00)?\s?(?:\(\d{1,5}\)\s?[ .-]?|\d{1,5}[ .-])(?:\d{1,8}[ .-]){0,4}\d{2,8}"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?)(?![\w/]|[.-]\d)"
)
_PHONE_CUE = (
    r"(?i:\b(?:phone|tel|telephone|mobile|cell|cellphone|fax|whatsapp|sms|call me|text me|reach me)"
    r"\b)[^\n\d+]{0,25}(?P<value>\+?\d[\d ().-]{5,18}\d)(?!\d)"
)
# North American numbers are specific enough to take in code too: (212) 555-0199, 212.555.0199.
_NANP = re.compile(r"^(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}$")
_EXTENSION = re.compile(r"\s?(?:x|ext\.?|extension)\s?\d+$", re.IGNORECASE)
_DATE_LIKE = re.compile(r"^\d{4}([-./])\d{1,2}\1\d{1,2}$|^\d{1,2}([-./])\d{1,2}\2\d{2,4}$")
_IP_LIKE = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
_YEAR_RANGE = re.compile(r"^(?:1[89]|20)\d\d\s?-\s?(?:1[89]|20)?\d\d$")


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def is_phone_number(value: str, strict: bool = False) -> bool:
    """Digit count and grouping of a phone number; not a date, an IP, a year range or a list."""
    number = _EXTENSION.sub("", value).strip()
    digits = _digits(number)
    if not 7 <= len(digits) <= 15:
        return False
    if _DATE_LIKE.match(number) or _IP_LIKE.match(number) or _YEAR_RANGE.match(number):
        return False
    separators = set(re.findall(r"[ .-]", number.lstrip("+(")))
    if "." in separators and len(separators) > 1:
        return False  # dots are used alone (212.555.0199); "1111 58.74.121.78" is two things
    prefixed = number.startswith(("+", "00", "(")) or number != value.strip()
    groups = re.findall(r"\d+", number)
    if prefixed or _NANP.match(number):
        return True
    if strict:
        return False
    if len(groups) == 2:
        # Two groups only in the US local shape 555-1234 / 555.1234.
        return bool(re.fullmatch(r"\d{3}[-.]\d{4}", number))
    if set(re.findall(r"[ .-]", number)) == {" "}:
        # Space-separated: phone-like only with 2+ digit groups, one of 3+ (not "10 20 30 40").
        return all(len(g) >= 2 for g in groups) and max(len(g) for g in groups) >= 3
    return all(len(g) >= 2 for g in groups[1:])


def is_cued_phone_number(value: str) -> bool:
    digits = _digits(value)
    return 7 <= len(digits) <= 15 and not _DATE_LIKE.match(value.strip())


def phone_pattern_recognizer(strict: bool = False) -> RuleRecognizer:
    """Phone numbers by shape; ``strict`` (code) takes only +/00/(area) forms, North American
    numbers and cued numbers."""
    return RuleRecognizer(
        "PHONE_NUMBER",
        [
            Rule(
                "phone_number_shape",
                # In code a number never breaks its line after "+" or "(212)": the strict shape
                # takes spaces and tabs only, so no match crosses a line and lines.py reads it
                # once per distinct line instead of reading every patch whole (twice a day).
                _PHONE_CANDIDATE.replace(r"\s", r"[^\S\n]") if strict else _PHONE_CANDIDATE,
                0.6,
                validate=lambda v: is_phone_number(v, strict),
                refine=True,
                # A match opens with "+" or "00" (or neither) and one whitespace (or none), then
                # "(" and a digit, or up to five digits, a separator and a digit: it starts at
                # most 7 characters before "(\d" or "\d[ .-]\d" ("00\t12345 678...": a tab or a
                # line break after "00" is no anchor, a space would be). Tried only there: on
                # code, where digits are everywhere, the recognizer takes 30% less time.
                anchor=r"\(\d|\d[ .-]\d",
                anchor_reach=7,
            ),
            Rule("phone_number_after_cue", _PHONE_CUE, 0.7, validate=is_cued_phone_number),
        ],
        trigger=r"\d(?:\D{0,3}\d){6}",
        name="StrictPhonePatternRecognizer" if strict else "PhonePatternRecognizer",
    )


# --- SSN after a cue ---------------------------------------------------------------------------


def _valid_ssn_digits(value: str) -> bool:
    digits = _digits(value)
    return (
        len(digits) == 9
        and digits[:3] not in ("000", "666")
        and not digits.startswith("9")
        and digits[3:5] != "00"
        and digits[5:] != "0000"
        and len(set(digits)) > 1
    )


_SSN_CUE = r"(?i:ssn|social security|ss#)"


def ssn_cue_recognizer() -> RuleRecognizer:
    # Presidio scores a bare 9-digit run or "123 45 6789" far below any sensible threshold unless
    # its lemma-based context enhancer (which needs the lemmatizer we do not load) lifts it.
    return RuleRecognizer(
        "US_SSN",
        [
            Rule(
                "ssn_after_cue",
                r"(?i:\b(?:ssn|social security(?: number| no\.?| #)?|ss#)\b)\D{0,20}?"
                r"(?P<value>(?<!\d)\d{3}[- .]?\d{2}[- .]?\d{4})(?!\d)",
                0.8,
                validate=_valid_ssn_digits,
                # a match starts at its cue: tried only there (a third of the rule's time on code)
                anchor=_SSN_CUE,
                # the cue as a word ("className" holds "ssn"): lines.py screens code lines by it
                trigger=r"(?i:\b(?:ssn|social security|ss#))",
            )
        ],
        trigger=_SSN_CUE,
        name="SsnCueRecognizer",
    )


# --- IP addresses ------------------------------------------------------------------------------


_NOT_PERSONAL_IPS = frozenset({"255.255.255.255", "169.254.169.254"})


def is_personal_ip(value: str) -> bool:
    """A valid address that can point at someone's machine or network: public ones and private
    ones alike (a home router's 192.168.x.y says where someone is), but not loopback,
    unspecified, broadcast, or the cloud metadata address every deployment uses."""
    address = value.split("/", 1)[0].split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (
        ip.is_loopback or ip.is_unspecified or ip.is_multicast or address in _NOT_PERSONAL_IPS
    )


def ip_recognizer() -> RuleRecognizer:
    return RuleRecognizer(
        "IP_ADDRESS",
        [
            Rule(
                "ipv4",
                r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w]|\.\d)",
                0.7,
                validate=is_personal_ip,
            ),
            Rule(
                "ipv6",
                r"(?<![\w:.])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{3,39}(?:/\d{1,3})?(?![\w:])",
                0.7,
                validate=is_personal_ip,
            ),
            # "http://2001:db8:0:1:2:3:4:5:8080" (a port glued to an unbracketed address).
            Rule(
                "ipv6_with_port",
                r"(?<![\w:.])(?P<value>(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}):\d{1,5}(?![\w:])",
                0.7,
                validate=is_personal_ip,
            ),
        ],
        trigger=r"\d\.\d|:[0-9A-Fa-f]{0,4}:",
        name="IpAddressRecognizer",
    )


# --- card numbers ------------------------------------------------------------------------------

# Issuer prefixes of the card networks (Visa 4, Mastercard 51-55 and 2221-2720, Amex 34/37,
# Discover 6011/65/644-649, Diners 300-305/36/38, JCB 3528-3589, UnionPay 62, Maestro 50/56-69).
_CARD_PREFIX = re.compile(r"^(?:4|5[0-9]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[0-9]|6)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_card_number(value: str) -> bool:
    """13-19 digits, one kind of separator at most, a network prefix and a valid Luhn check."""
    digits = "".join(c for c in value if c.isdigit())
    separators = {c for c in value if not c.isdigit()}
    return (
        13 <= len(digits) <= 19
        and len(separators) <= 1
        and bool(_CARD_PREFIX.match(digits))
        and luhn_valid(digits)
    )


def card_recognizer() -> RuleRecognizer:
    # Presidio's card regex misses the Mastercard 2-series and 4-6-5 Amex grouping; this one
    # covers every network, with the same checksum.
    return RuleRecognizer(
        "CREDIT_CARD",
        [
            Rule(
                "card_number",
                # 13-19 digits in one piece, in fours (4-4-4-4, 4-4-4-4-3) or Amex/Diners 4-6-5/4-6-4.
                r"(?<![\d.-])(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?|\d{4}[ -]\d{6}[ -]\d{4,5})(?![\d])",
                0.9,
                validate=is_card_number,
                refine=True,
            )
        ],
        trigger=r"\d(?:[ -]?\d){12}",
        name="CardNumberRecognizer",
    )


# --- street addresses --------------------------------------------------------------------------

_STREET_SUFFIX = (
    r"(?i:street|st\.?|avenue|ave\.?|road|rd\.?|boulevard|blvd\.?|lane|ln\.?|drive|dr\.?|court|"
    r"ct\.?|way|place|pl\.?|terrace|circle|parkway|pkwy\.?|highway|hwy\.?|square|sq\.?|alley|"
    r"crescent|close|gardens|grove)"
)
_STREET_COMPOUND = (
    r"(?i:stra(?:ß|ss)e|str\.|straat|gasse|weg|laan|plein|gracht|gatan|gata|gade|vej|katu|utca|"
    r"ulica|allee|platz|damm|kade|dreef|steeg|väg|vägen|tie)"
)
_ROMANCE_STREET = (
    r"(?i:rue|avenue|av\.|avenida|calle|carrer|rua|via|viale|corso|piazza|plaza|praça|paseo|"
    r"passeig|chemin|boulevard|bd\.?|largo|travessa|ronda|camino)"
)
_PARTICLE = (
    r"(?i:de|du|des|la|le|les|del|della|di|da|do|dos|das|y|e|am|an|der|den|van|von|sur|upon|on)"
)
_NAME_WORD = r"[^\W\d_][\w'’.-]*"
_CAP_WORD = r"[^\W\d_a-zß-ÿ](?:[^\W\d_]|['’.-])*"  # capitalised, letters only (any script)
_CITY = _CAP_WORD + r"(?:[ \t]+(?:" + _PARTICLE + r"[ \t]+)?" + _CAP_WORD + r"){0,2}"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?(?:[ \t]+\d[A-Z]{2})?"
# What follows a street in a postal address: ", Austin, TX 78712", ", London SW1A 1AB",
# ", 10117 Berlin", ", 1012 AB Amsterdam". Only capitalised words and codes, after a comma.
_ADDRESS_TAIL = (
    r"(?:,[ \t]*(?:\d{4,5}(?:[ \t]+[A-Z]{2})?[ \t]+"
    + _CITY
    + r"|[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?|"
    + _CITY
    + r"(?:[ \t]+"
    + _UK_POSTCODE
    + r")?)(?![\w])){0,3}"
)
_NUMBER = r"(?<![\w.])\d{1,5}[A-Za-z]?,?[ \t]+(?:\d{1,5}[ \t]+)?"


def _street_words_ok(match: re.Match[str]) -> bool:
    # "3 cats on the road" is not an address: the words between number and suffix carry content.
    words = re.findall(r"[^\W\d_][\w'’.-]*", match.group("street"))
    return bool(words) and not any(w.lower() in STOP_WORDS for w in words)


def street_address_recognizer() -> RuleRecognizer:
    """Street addresses, with the city and postcode that follow them, as LOCATION."""
    romance_name = r"(?:[ \t]+(?:" + _PARTICLE + r"[ \t]+){0,2}" + _CAP_WORD + r"){1,4}"
    return RuleRecognizer(
        "LOCATION",
        [
            Rule(  # 1234 Elm Street / 12 Baker Street (US, UK)
                "street_address",
                _NUMBER
                + r"(?P<street>(?:"
                + _NAME_WORD
                + r"[ \t]+){1,4})"
                + _STREET_SUFFIX
                + r"(?![\w])"
                + _ADDRESS_TAIL,
                0.6,
                validate_match=_street_words_ok,
            ),
            Rule(  # 12 rue de la République (FR, IT)
                "street_address_romance",
                _NUMBER + r"(?P<street>" + _ROMANCE_STREET + romance_name + r")" + _ADDRESS_TAIL,
                0.6,
            ),
            Rule(  # Calle de Alcalá 12, Paseo de Gracia 134 (ES, PT)
                "street_address_romance_number_last",
                r"(?<![\w])"
                + _ROMANCE_STREET
                + romance_name
                + r"[ \t]+\d{1,4}[a-zA-Z]?(?![\w])"
                + _ADDRESS_TAIL,
                0.6,
            ),
            Rule(  # Friedrichstraße 12, Prinsengracht 263 (DE, NL, Nordic)
                "street_address_compound",
                r"(?<![\w])[^\W\d_][\w'’-]*"
                + _STREET_COMPOUND
                + r"[ \t]+\d{1,4}[a-zA-Z]?(?![\w])"
                + _ADDRESS_TAIL,
                0.6,
            ),
        ],
        trigger=r"\d",
        name="StreetAddressRecognizer",
    )


def pii_recognizers(strict_phone: bool = False) -> list[EntityRecognizer]:
    """Fresh instances of the personal-data pattern recognizers (names live in names.py)."""
    recognizers: list[EntityRecognizer] = [
        OfflineEmailRecognizer(),
        ScreenedCreditCardRecognizer(),
        card_recognizer(),
        ScreenedSsnRecognizer(),
        ssn_cue_recognizer(),
        ScreenedIbanRecognizer(),
        ip_recognizer(),
        phone_pattern_recognizer(strict=strict_phone),
        street_address_recognizer(),
    ]
    if not strict_phone:
        recognizers.append(WindowedPhoneRecognizer())
    return recognizers
