"""Synthetic personal data, generated here (no Faker): names, emails, phones, addresses, cards, IBANs, IPs.

Values look real enough for a scrubber to be tested on them: names are varied and capitalised,
card numbers pass the Luhn check, IBANs carry valid mod-97 check digits and their country's
structure, phone numbers follow national formats. Every value is drawn from the caller's
seeded stream.
"""

from __future__ import annotations

import random
import string

FIRST_NAMES = (
    "Maria", "David", "Sofia", "James", "Aisha", "Mohammed", "Wei", "Yuki", "Priya", "Arjun",
    "Olivia", "Liam", "Emma", "Noah", "Chloe", "Lucas", "Isabella", "Mateo", "Fatima", "Omar",
    "Hannah", "Jonas", "Lena", "Felix", "Camille", "Antoine", "Giulia", "Alessandro", "Ingrid",
    "Lars", "Sven", "Freya", "Aleksander", "Katarzyna", "Dmitri", "Anastasia", "Kwame", "Amara",
    "Chidi", "Ngozi", "Thabo", "Zanele", "Hiroshi", "Sakura", "Min-jun", "Ji-woo", "Raj", "Ananya",
    "Vikram", "Deepika", "Carlos", "Lucia", "Diego", "Valentina", "Santiago", "Camila", "Joao",
    "Beatriz", "Tomas", "Rafael", "Elena", "Nikolai", "Mei", "Jun", "Hui", "Tariq", "Leila",
    "Yusuf", "Zeynep", "Emre", "Ayse", "Nadia", "Samir", "Rania", "Benjamin", "Charlotte",
    "Amelia", "Oliver", "Harper", "Ethan", "Mia", "Alexander", "Abigail", "Daniel", "Ella",
    "Matthew", "Scarlett", "Samuel", "Victoria", "Sebastian", "Grace", "Jack", "Zoe", "Owen",
    "Layla", "Gabriel", "Nora", "Julian", "Riley", "Isaac", "Aurora", "Aaron", "Stella", "Connor",
    "Maya", "Adrian", "Naomi", "Dominic", "Elif", "Marek", "Petra", "Bogdan", "Irina", "Tobias",
    "Annika", "Pieter", "Saskia", "Bram", "Eline", "Siobhan", "Declan", "Niamh", "Ciaran", "Mateus",
    "Larissa", "Kenji", "Aiko", "Thanh", "Linh", "Arash", "Shirin", "Kofi", "Abena", "Esteban",
)
LAST_NAMES = (
    "Gonzalez", "Chen", "Smith", "Johnson", "Williams", "Garcia", "Martinez", "Rodriguez", "Nguyen",
    "Patel", "Sharma", "Kumar", "Singh", "Khan", "Ali", "Hassan", "Ahmed", "Kim", "Park", "Lee",
    "Tanaka", "Suzuki", "Watanabe", "Yamamoto", "Wang", "Li", "Zhang", "Liu", "Huang", "Mueller",
    "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Dubois", "Lefebvre",
    "Moreau", "Laurent", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Kowalski",
    "Nowak", "Wisniewski", "Ivanov", "Petrov", "Smirnova", "Novak", "Horvat", "Jansen", "de Vries",
    "van Dijk", "Bakker", "Visser", "Andersson", "Johansson", "Karlsson", "Nilsson", "Hansen",
    "Larsen", "Olsen", "Virtanen", "Korhonen", "Murphy", "O'Brien", "Kelly", "Byrne", "Walsh",
    "Anderson", "Thompson", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Hall", "Allen",
    "Wright", "Scott", "Torres", "Nelson", "Hill", "Ramirez", "Campbell", "Mitchell", "Roberts",
    "Carter", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins",
    "Reyes", "Stewart", "Morris", "Morales", "Rogers", "Cook", "Morgan", "Peterson", "Cooper",
    "Reed", "Bailey", "Bell", "Gomez", "Kelleher", "Okafor", "Adeyemi", "Mensah", "Boateng",
    "Nkosi", "Dlamini", "Mwangi", "Otieno", "Silva", "Santos", "Oliveira", "Pereira", "Costa",
    "Fernandes", "Alves", "Yilmaz", "Kaya", "Demir", "Sahin", "Haddad", "Nasser", "Rahman",
    "Hosseini", "Tehrani", "Tran", "Pham", "Hoang", "Takahashi", "Kobayashi", "Gupta", "Reddy",
    "Iyer", "Menon", "Castillo", "Vargas", "Herrera", "Medina", "Aguilar", "Lindqvist", "Eriksen",
)
EMAIL_DOMAINS = (
    "gmail.com", "gmail.com", "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com",
    "proton.me", "web.de", "gmx.de", "orange.fr", "libero.it", "yahoo.co.uk", "brightpath.io",
    "northwind-studio.com", "acme-dental.co.uk", "lumenlabs.dev", "bluefinch.agency",
    "harborview-realty.com", "kitecommerce.shop", "mapleandoak.ca", "studio-nova.de",
)
_US_AREA_CODES = ("212", "415", "312", "617", "206", "512", "303", "404", "646", "718", "213",
                  "305", "702", "503", "612", "919", "408", "650", "917", "602")
_CA_AREA_CODES = ("416", "604", "514", "403", "613")
_US_PLACES = (
    ("Austin", "TX", "787"), ("Seattle", "WA", "981"), ("Denver", "CO", "802"), ("Boston", "MA", "021"),
    ("Chicago", "IL", "606"), ("Portland", "OR", "972"), ("Atlanta", "GA", "303"),
    ("San Diego", "CA", "921"), ("Brooklyn", "NY", "112"), ("Miami", "FL", "331"),
    ("Nashville", "TN", "372"), ("Phoenix", "AZ", "850"), ("Minneapolis", "MN", "554"),
)
_US_STREETS = ("Elm", "Maple", "Oak", "Cedar", "Pine", "Washington", "Lincoln", "Jefferson", "Lake",
               "Hillcrest", "Sunset", "Park", "Willow", "Highland", "Meadow", "Franklin", "Madison")
_US_SUFFIXES = ("Street", "St", "Avenue", "Ave", "Road", "Drive", "Lane", "Boulevard", "Court", "Way")
_UK_PLACES = (("London", "SW1A"), ("London", "E2"), ("Manchester", "M14"), ("Bristol", "BS8"),
              ("Leeds", "LS6"), ("Edinburgh", "EH3"), ("Glasgow", "G12"), ("Brighton", "BN1"))
_UK_STREETS = ("Victoria Road", "Church Lane", "Station Road", "Park Avenue", "Kings Road",
               "Mill Lane", "Queen Street", "Albert Terrace", "Baker Street", "Greenway Close")
_DE_PLACES = (("10117", "Berlin"), ("80331", "München"), ("20095", "Hamburg"), ("50667", "Köln"),
              ("60311", "Frankfurt am Main"), ("04109", "Leipzig"))
_DE_STREETS = ("Friedrichstraße", "Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße",
               "Lindenallee", "Goethestraße", "Bergstraße")
_FR_PLACES = (("75011", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"), ("33000", "Bordeaux"),
              ("31000", "Toulouse"), ("44000", "Nantes"))
_FR_STREETS = ("rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Voltaire",
               "rue des Lilas", "rue du Faubourg Saint-Antoine")
_ES_PLACES = (("28014", "Madrid"), ("08001", "Barcelona"), ("46001", "Valencia"), ("41001", "Sevilla"))
_ES_STREETS = ("Calle de Alcalá", "Calle Mayor", "Avenida de la Constitución", "Calle del Sol",
               "Paseo de Gracia", "Calle San Vicente")
_NL_PLACES = (("1012", "Amsterdam"), ("3011", "Rotterdam"), ("3511", "Utrecht"), ("2511", "Den Haag"))
_NL_STREETS = ("Prinsengracht", "Herengracht", "Kerkstraat", "Marktplein", "Stationsweg")

_IPV4_FIRST_OCTETS = (23, 31, 45, 52, 63, 77, 81, 89, 91, 104, 142, 151, 176, 185, 188, 193, 203, 212, 217)


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _slug(part: str) -> str:
    return "".join(c for c in part.lower() if c in string.ascii_lowercase)


def email_for(rng: random.Random, name: str | None = None) -> str:
    """An email address, derived from ``name`` when given (people's addresses usually are)."""
    if name is None:
        name = person_name(rng)
    first, _, last = name.partition(" ")
    first, last = _slug(first) or "user", _slug(last) or "mail"
    style = rng.randrange(6)
    if style == 0:
        local = f"{first}.{last}"
    elif style == 1:
        local = f"{first[0]}{last}"
    elif style == 2:
        local = f"{first}_{last}{rng.randint(1, 99)}"
    elif style == 3:
        local = f"{first}{rng.randint(1970, 2005)}"
    elif style == 4:
        local = f"{last}.{first[0]}"
    else:
        local = f"{first}"
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.digits, k=n))


def _exchange(rng: random.Random) -> str:
    while True:
        exchange = f"{rng.randint(2, 9)}{_digits(rng, 2)}"
        if exchange != "555" and exchange[1:] != "11":
            return exchange


def phone_number(rng: random.Random) -> str:
    """A phone number in one of the formats people type: US/Canada or international."""
    kind = rng.randrange(12)
    if kind < 6:
        area = rng.choice(_US_AREA_CODES if kind < 5 else _CA_AREA_CODES)
        exchange, line = _exchange(rng), _digits(rng, 4)
        return rng.choice((
            f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}", f"{area}.{exchange}.{line}",
            f"+1 {area} {exchange} {line}", f"+1-{area}-{exchange}-{line}",
        ))
    if kind == 6:
        return f"+44 7{_digits(rng, 3)} {_digits(rng, 6)}" if rng.random() < 0.6 else f"+44 20 {rng.randint(3, 8)}{_digits(rng, 3)} {_digits(rng, 4)}"
    if kind == 7:
        return f"+49 15{rng.randint(1, 9)} {_digits(rng, 8)}" if rng.random() < 0.5 else f"+49 30 {_digits(rng, 8)}"
    if kind == 8:
        return f"+33 6 {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)}"
    if kind == 9:
        return f"+34 6{_digits(rng, 2)} {_digits(rng, 3)} {_digits(rng, 3)}"
    if kind == 10:
        return f"+91 9{_digits(rng, 4)} {_digits(rng, 5)}"
    return f"+61 4{_digits(rng, 2)} {_digits(rng, 3)} {_digits(rng, 3)}"


def street_address(rng: random.Random) -> str:
    """A full postal address (street, number, postcode, city) in a national format."""
    kind = rng.randrange(6)
    if kind <= 1:
        city, state, zip_prefix = rng.choice(_US_PLACES)
        return (f"{rng.randint(12, 9899)} {rng.choice(_US_STREETS)} {rng.choice(_US_SUFFIXES)}, "
                f"{city}, {state} {zip_prefix}{_digits(rng, 2)}")
    if kind == 2:
        city, district = rng.choice(_UK_PLACES)
        unit = f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        return f"{rng.randint(1, 240)} {rng.choice(_UK_STREETS)}, {city} {district} {unit}"
    if kind == 3:
        plz, city = rng.choice(_DE_PLACES)
        return f"{rng.choice(_DE_STREETS)} {rng.randint(1, 180)}, {plz} {city}"
    if kind == 4:
        cp, city = rng.choice(_FR_PLACES)
        return f"{rng.randint(1, 120)} {rng.choice(_FR_STREETS)}, {cp} {city}"
    if rng.random() < 0.5:
        cp, city = rng.choice(_ES_PLACES)
        return f"{rng.choice(_ES_STREETS)} {rng.randint(1, 160)}, {cp} {city}"
    pc, city = rng.choice(_NL_PLACES)
    letters = "".join(rng.choices("ABCDEHJKLMNPRSTVWXZ", k=2))
    return f"{rng.choice(_NL_STREETS)} {rng.randint(1, 400)}, {pc} {letters} {city}"


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = [c for c in number if c.isdigit()]
    return len(digits) > 1 and luhn_check_digit("".join(digits[:-1])) == digits[-1]


def credit_card_number(rng: random.Random) -> str:
    """A Luhn-valid Visa, Mastercard, Amex or Discover number, formatted as people paste it."""
    brand = rng.choices(("visa", "mastercard", "amex", "discover"), weights=(5, 4, 2, 1))[0]
    if brand == "visa":
        partial = "4" + _digits(rng, 14)
    elif brand == "mastercard":
        prefix = str(rng.randint(51, 55)) if rng.random() < 0.8 else str(rng.randint(2221, 2720))
        partial = prefix + _digits(rng, 15 - len(prefix))
    elif brand == "amex":
        partial = rng.choice(("34", "37")) + _digits(rng, 12)
    else:
        partial = "6011" + _digits(rng, 11)
    number = partial + luhn_check_digit(partial)
    style = rng.randrange(3)
    if style == 0:
        return number
    separator = " " if style == 1 else "-"
    groups = (4, 6, 5) if len(number) == 15 else (4, 4, 4, 4)
    parts, position = [], 0
    for size in groups:
        parts.append(number[position:position + size])
        position += size
    return separator.join(parts)


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits: 98 - (BBAN + country + "00", letters as 10..35) mod 97."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _upper(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_uppercase, k=n))


def iban(rng: random.Random) -> str:
    """A checksum-valid IBAN with its country's BBAN structure (DE, GB, FR, ES, NL, IT or BE)."""
    country = rng.choice(("DE", "GB", "FR", "ES", "NL", "IT", "BE"))
    bban = {
        "DE": lambda: _digits(rng, 18),
        "GB": lambda: _upper(rng, 4) + _digits(rng, 14),
        "FR": lambda: _digits(rng, 23),
        "ES": lambda: _digits(rng, 20),
        "NL": lambda: _upper(rng, 4) + _digits(rng, 10),
        "IT": lambda: _upper(rng, 1) + _digits(rng, 22),
        "BE": lambda: _digits(rng, 12),
    }[country]()
    compact = country + iban_check_digits(country, bban) + bban
    if rng.random() < 0.5:
        return compact
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def ip_address(rng: random.Random) -> str:
    """An IPv4 (mostly public, sometimes a home-router private address) or an IPv6 address."""
    kind = rng.randrange(10)
    if kind < 6:
        return f"{rng.choice(_IPV4_FIRST_OCTETS)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if kind < 8:
        return rng.choice((f"192.168.{rng.randint(0, 5)}.{rng.randint(2, 254)}",
                           f"10.{rng.randint(0, 40)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"))
    groups = [f"{rng.getrandbits(16):x}" for _ in range(8)]
    groups[0] = rng.choice(("2a02", "2001", "2600", "2a01", "2607"))
    if rng.random() < 0.5:
        return ":".join(groups)
    return ":".join(groups[:4]) + "::" + groups[7]
