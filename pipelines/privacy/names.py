"""Person names beyond what spaCy's small NER model finds: a first-name gazetteer and cue phrases.

The small model misses names it has not seen, and nearly every name typed in lower case ("my
name is tracy sukhorukova"), which users of a chat box do all the time. Four rules, all cheap:

* gazetteer: a first name from ``first_names.py`` plus the surname(s) that follow it. A capitalised
  first name takes the capitalised words after it ("Megan Payne", "Amy van der Berg"); a lower
  case one takes the next word only if it is not an English word ("tracy sukhorukova", but not
  "john wrote"). Names that are also words ("Will", "Grace", "Claude") need a surname.
* cues: words that announce a name ("my name is", "call me", "Mr.", "Thanks,", "her maiden name
  is") take the one to three words after them, in any case; weaker cues ("said", "ask", "hi")
  take only a capitalised word that is a known first name or not an English word.
* surname gazetteer: a capitalised word that is not an English word, then a frequent surname
  ("Aiko Hansen", when "Aiko" is in no list).
* vocative: a capitalised word that is not an English word, opening a sentence and followed by a
  comma and a request ("Jakobine, can I please speak to your boss?").

Product names that look like first names ("Claude", "Gemini", "Copilot") are never persons here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from presidio_analyzer import LocalRecognizer, RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.first_names import AMBIGUOUS_FIRST_NAMES, FIRST_NAMES, SURNAMES
from pipelines.privacy.lexicon import is_english_word, word_set
from pipelines.privacy.patterns import ScreenedPattern, make_result

# A word of a name: letters of any script, inner apostrophes and hyphens ("O'Brien", "Jean-Luc").
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
_INNER_CAPITAL = re.compile(r"[a-z][A-Z]")
_NAME_PREFIX = re.compile(r"^(?:Mc|Mac|O'|O’|D'|D’|De|Di|Da|Du|La|Le|Van|Von)[A-Z]")
_PARTICLES = word_set(
    "van von der den de del della di da dos das du la le bin binti ibn al el ter ten zu af"
)
# AI assistants and products that users address by name in a coding tool.
NOT_PERSONS = word_set(
    "claude gemini copilot cursor siri alexa cortana chatgpt gpt bard grok llama mistral codex "
    "devin jules replit lovable bolt windsurf v0 perplexity deepseek qwen kimi sonnet opus haiku "
    "ollama cline aider"
)
_STOP = frozenset(STOP_WORDS)

# Cues that announce a name, and how much they prove:
# "free": the next word is a name even in lower case, unless it is an English word ("my name is
#         tracy", not "call me tomorrow"); "field": form labels and sign-offs, a capitalised word
#         or a known first name ("Name: Jo", "name: minimax-music" is a package); "weak": words
#         that often precede a name, only a capitalised first name or non-English word ("says
#         Eklund", not "asked Python"); titles need a capitalised word.
_FREE_CUE = re.compile(
    r"(?i:\bmy name is|\bmy name's|\b(?:first|last|middle|maiden|full|sur|given|family|nick) ?name is|"
    r"\bcalls? me|\bi am called|\bi'm called|\bname is)[ \t]+"
)
_FIELD_CUE = re.compile(
    r"(?i:\b(?:(?:first |last |full |sur|given |family |nick |user |customer |contact )?name|author|"
    r"owner|assignee|recipient)[\"']?(?:[ \t]*[:?=][ \t]*[\"'“]?|[ \t]+[\"'“]))"
    r"[ \t]*(?:\n[ \t]*)?"
    r"|(?:^|(?<=[.!?]\s))(?i:thanks|thank you|many thanks|regards|best regards|kind regards|"
    r"cheers|sincerely)[ \t]*[,!.-]?[ \t]*(?:\n[ \t]*)?"
    r"|(?:^|(?<=[.!?]\s))(?i:best|love|yours|xoxo)[ \t]*(?:,|\n)[ \t]*(?:\n[ \t]*)?",
    re.MULTILINE,
)
_WEAK_CUE = re.compile(
    r"(?i:\b(?:said|says|asked|told|replied|shouted at|wrote to|signed by|authored by|"
    r"assigned to|ask|tell|contact|email|cc|ping|thank|thanks|hi|hello|hey|dear))[ \t]+"
)
_TITLE = re.compile(
    r"\b(?i:mr|mrs|ms|mx|miss|dr|prof|sir|madam|mme|mlle|herr|frau|sr|sra)\.?[ \t]+(?=[^\W\d_])"
)
# Each tried only where one of its words begins (``ScreenedPattern``): ~5x faster on code lines.
_CUES = tuple(
    (ScreenedPattern(cue), mode)
    for cue, mode in ((_FREE_CUE, "free"), (_FIELD_CUE, "field"), (_WEAK_CUE, "weak"), (_TITLE, "title"))
)
_FIELD_CUES = tuple(cue for cue in _CUES if cue[1] == "field")
_VOCATIVE = re.compile(
    r"(?:^|(?<=[.!?]\s))(?P<name>[A-Z][^\W\d_]{2,}),\s+(?i:can|could|would|will|please|do|did|are|"
    r"is|have|i|we|you|let's|thanks|thank)\b",
    re.MULTILINE,
)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    score: float
    kind: str


def _is_capitalised(word: str) -> bool:
    return word[0].isupper()


def _between_is_blank(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return 0 < len(gap) <= 2 and gap.strip(" \t") == ""


def is_acronym_or_code(word: str) -> bool:
    """ "URI", "OA", "repoName", "PostgreSQL": an acronym or an identifier, not a name (but
    "McDonald", "DiCaprio" and "O'Brien" are names)."""
    return (word.isupper() and len(word) <= 4) or bool(
        _INNER_CAPITAL.search(word) and not _NAME_PREFIX.match(word)
    )


def _capitalised_surname(word: str) -> bool:
    lower = word.lower()
    return (
        _is_capitalised(word)
        and lower not in _STOP
        and lower not in NOT_PERSONS
        and not is_acronym_or_code(word)
    )


def _lowercase_surname(word: str) -> bool:
    return word.islower() and len(word) > 2 and word not in _STOP and not is_english_word(word)


def _extend_surnames(text: str, tokens: list[re.Match[str]], i: int, capitalised: bool) -> int:
    """Index of the last token of the name that starts at token ``i``."""
    last = i
    j = i + 1
    taken = 0
    while (
        j < len(tokens)
        and taken < 3
        and _between_is_blank(text, tokens[j - 1].end(), tokens[j].start())
    ):
        word = tokens[j].group()
        if capitalised and word.lower() in _PARTICLES and j + 1 < len(tokens):
            j += 1  # "van der Berg": particles only count if a capitalised word follows
            continue
        ok = _capitalised_surname(word) if capitalised else _lowercase_surname(word)
        if not ok:
            break
        last = j
        taken += 1
        if not capitalised:
            break  # one lower case surname at most: "tracy sukhorukova", not "tracy went home"
        j += 1
    return last


def _gazetteer_spans(text: str, tokens: list[re.Match[str]], allow_lowercase: bool) -> list[_Span]:
    spans = []
    for i, token in enumerate(tokens):
        word = _POSSESSIVE.sub("", token.group())
        lower = word.lower()
        if (
            lower not in FIRST_NAMES
            or lower in NOT_PERSONS
            or lower in _STOP
            or is_acronym_or_code(word)
        ):
            continue
        capitalised = _is_capitalised(word)
        if not capitalised and not allow_lowercase:
            continue
        last = _extend_surnames(text, tokens, i, capitalised)
        has_surname = last > i
        if lower in AMBIGUOUS_FIRST_NAMES:
            # "Grace Smith" but not "Autumn Walk" or "Page Implementation": an ambiguous first
            # name needs a known surname, or a capitalised one that is not an everyday word.
            surnames = [_POSSESSIVE.sub("", t.group()) for t in tokens[i + 1 : last + 1]]
            surname = next((w for w in surnames if w.lower() not in _PARTICLES), "")
            if not (
                capitalised
                and surname
                and (surname.lower() in SURNAMES or not is_english_word(surname))
            ):
                continue
        score = 0.8 if has_surname else (0.7 if capitalised else 0.6)
        end = tokens[last].end() if has_surname else token.start() + len(word)
        spans.append(_Span(token.start(), end, score, "first_name_gazetteer"))
    return spans


def _surname_spans(text: str, tokens: list[re.Match[str]]) -> list[_Span]:
    """A capitalised word that is not an English word, then a known surname: "Aiko Hansen"."""
    spans = []
    for i in range(len(tokens) - 1):
        first, second = tokens[i].group(), _POSSESSIVE.sub("", tokens[i + 1].group())
        if (
            second.lower() in SURNAMES
            and _capitalised_surname(second)
            and _capitalised_surname(first)
            and not is_english_word(first)
            and _between_is_blank(text, tokens[i].end(), tokens[i + 1].start())
        ):
            last = _extend_surnames(text, tokens, i, capitalised=True)
            spans.append(_Span(tokens[i].start(), tokens[last].end(), 0.7, "surname_gazetteer"))
    return spans


def _accepts(word: str, mode: str) -> bool:
    """Can ``word`` open a name after a cue of this ``mode`` (see ``_CUES``)?"""
    lower = word.lower()
    known = lower in FIRST_NAMES
    if lower in NOT_PERSONS or len(word) < 2 or is_acronym_or_code(word):
        return False
    if lower in _STOP and not (known and _is_capitalised(word) and mode != "weak"):
        return False  # "call me when", but "call me Will"
    if _is_capitalised(word):
        return mode != "weak" or known or not is_english_word(word)
    if mode == "free":
        return known or not is_english_word(word)  # "my name is tracy", not "call me tomorrow"
    return mode == "field" and known and lower not in AMBIGUOUS_FIRST_NAMES


# What a cue needs to reach the next line: its word, then only blanks, punctuation and quotes up
# to the line break (the tail of every _FIELD_CUE branch; the other cues end in [ \t]+).
_CUE_AT_LINE_END = re.compile(
    r"(?i:name|author|owner|assignee|recipient|thanks|thank you|regards|cheers|sincerely|best|"
    r"love|yours|xoxo)[\"']?[ \t]*+[:?=,!.-]?[ \t]*+[\"'“]?[ \t]*+\n"
)
_CUE_WORDS = (
    "name", "author", "owner", "assignee", "recipient", "thanks", "thank you", "regards", "cheers",
    "sincerely", "best", "love", "yours", "xoxo",
)  # fmt: skip
# A comma that ends its line: a vocative's name (three letters or more) comes before it.
_COMMA_AT_LINE_END = re.compile(r",[^\S\n]*+\n")
_THREE_LETTERS = re.compile(r"[^\W\d_]{3}")


def _cue_at_line_end(text: str) -> bool:
    """``_CUE_AT_LINE_END.search(text)``, faster on ASCII text: find the words, then match there."""
    if not text.isascii():
        return _CUE_AT_LINE_END.search(text) is not None
    lowered = text.lower()
    for word in _CUE_WORDS:
        found = lowered.find(word)
        while found >= 0:
            if _CUE_AT_LINE_END.match(text, found):
                return True
            found = lowered.find(word, found + 1)
    return False


def _vocative_at_line_end(text: str) -> bool:
    """A comma ending a line right after three letters (every cross-line vocative has one)."""
    return any(
        comma.start() >= 3 and _THREE_LETTERS.fullmatch(text, comma.start() - 3, comma.start())
        for comma in _COMMA_AT_LINE_END.finditer(text)
    )


def _crosses_lines(match: re.Match[str], which: str) -> bool:
    """Whether ``which`` ("all", "line" or "text": see NameRecognizer) leaves ``match`` out."""
    return which != "all" and ("\n" in match.group()) != (which == "text")


def _cue_spans(text: str, tokens: list[re.Match[str]], which: str = "all") -> list[_Span]:
    """Names after a cue; ``which`` "line": cues ending on the name's line, "text": the others
    (NameRecognizer.analyze asks for those only when ``_cue_at_line_end``)."""
    lowered = text.lower() if text.isascii() else None  # read by every cue's screen
    cues_found = [
        (cue, mode)
        for pattern, mode in (_FIELD_CUES if which == "text" else _CUES)
        for cue in pattern.finditer(text, lowered)
        if not _crosses_lines(cue, which)
    ]
    if not cues_found:
        return []
    starts = {t.start(): i for i, t in enumerate(tokens)}
    spans = []
    for cue, mode in cues_found:
        i = starts.get(cue.end())
        if i is None or not _accepts(_POSSESSIVE.sub("", tokens[i].group()), mode):
            continue
        last = _extend_surnames(text, tokens, i, _is_capitalised(tokens[i].group()))
        spans.append(_Span(tokens[i].start(), tokens[last].end(), 0.75, f"name_cue_{mode}"))
    return spans


def _vocative_spans(text: str, which: str = "all") -> list[_Span]:
    """Vocatives; ``which`` "line": name and verb on one line, "text": on different lines
    (NameRecognizer.analyze asks for those only when ``_vocative_at_line_end``)."""
    spans = []
    for match in _VOCATIVE.finditer(text):
        if _crosses_lines(match, which):
            continue
        word = match.group("name")
        if word.lower() in NOT_PERSONS or is_english_word(word) or word.isupper():
            continue
        spans.append(_Span(match.start("name"), match.end("name"), 0.6, "vocative"))
    return spans


class NameRecognizer(LocalRecognizer):
    """PERSON from a first-name gazetteer, cue phrases and vocatives (see the module docstring).

    ``allow_lowercase=False`` (the code policy) ignores lower case first names, which in code are
    mostly identifiers (``james = ...``).
    """

    # Which spans an instance reports: "all"; "line", what a line alone shows (lines.py reads
    # those line by line); "text", only what reaches past a line break: a form field or sign-off
    # whose name is on the next line ("Name:\nJo"), a vocative whose verb is ("Jo,\nplease").

    def __init__(self, allow_lowercase: bool = True, which: str = "all") -> None:
        self.allow_lowercase = allow_lowercase
        self.which = which
        super().__init__(
            supported_entities=["PERSON"],
            name="NameRecognizer" if allow_lowercase else "CapitalisedNameRecognizer",
        )

    def part(self, which: str) -> NameRecognizer:
        """This recognizer reporting only the ``which`` ("line" or "text") spans."""
        return NameRecognizer(self.allow_lowercase, which)

    def load(self) -> None:
        """Nothing to load: the gazetteer is a module constant."""

    @staticmethod
    def line_leads_on(line: str) -> bool:
        """Whether ``line`` (one line of a text, without its "\\n") ends with what the "text" part
        reads on: a cue or a vocative's comma. A text with no such line gives that part nothing."""
        ended = line + "\n"
        return _cue_at_line_end(ended) or _vocative_at_line_end(ended)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: object = None
    ) -> list[RecognizerResult]:
        if self.which == "text":
            # what reaches past a line break starts with a cue or a vocative's comma at a line's end
            cue_at_end, vocative_at_end = _cue_at_line_end(text), _vocative_at_line_end(text)
            if not (cue_at_end or vocative_at_end):
                return []
        tokens = list(_TOKEN.finditer(text))
        if not tokens:
            return []
        if self.which == "text":
            spans = _cue_spans(text, tokens, "text") if cue_at_end else []
            spans += _vocative_spans(text, "text") if vocative_at_end else []
        else:
            spans = _gazetteer_spans(text, tokens, self.allow_lowercase)
            spans += _surname_spans(text, tokens)
            spans += _cue_spans(text, tokens, self.which)
            spans += _vocative_spans(text, self.which)
        return [make_result("PERSON", s.start, s.end, s.score, self, s.kind) for s in spans]
