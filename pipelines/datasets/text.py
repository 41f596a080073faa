"""Text rules of the training sets: normalisation for hashing, the token estimate, the language guess.

Each rule has one definition. Those the build applies inside DuckDB are SQL macros generated here
from the same constants as their Python form (``sql_macros``), and the tests check that both agree;
the language guess is Python only and runs inside DuckDB as a vectorised function.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

import pyarrow as pa

# --- token estimate ---------------------------------------------------------------------------
# No tokenizer is downloaded: tokens are estimated as UTF-8 bytes / 4, rounded up, per message,
# plus OpenAI's chat framing (4 tokens per message, 3 to prime the reply). Four bytes a token is
# the usual rule of thumb for English with GPT-4-class BPE vocabularies; code and non-Latin
# scripts run denser (about 3 bytes a token), so the estimate can be ~25% low on code-heavy
# examples: keep a margin under the training context length (README, "Token estimate").
BYTES_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REPLY = 3


def estimate_tokens(content: str) -> int:
    """Estimated tokens of one message's content."""
    return math.ceil(len(content.encode("utf-8")) / BYTES_PER_TOKEN)


def estimate_conversation_tokens(contents: Iterable[str]) -> int:
    """Estimated tokens of a whole conversation, framing included."""
    return sum(estimate_tokens(c) + TOKENS_PER_MESSAGE for c in contents) + TOKENS_PER_REPLY


# --- normalisation for exact-duplicate hashing and shingling ----------------------------------
# Unicode NFC, lower case, every run of ASCII whitespace as one space, no leading/trailing space.
# The whitespace class is spelled out because RE2 (DuckDB) and Python disagree on what \s means.
_WHITESPACE = "[ \\t\\n\\r\\f\\v]+"
_WHITESPACE_RUN = "[ \\t\\n\\r\\f\\v]{2,}|[\\t\\n\\r\\f\\v]"
_WHITESPACE_RE = re.compile(_WHITESPACE)


def fold(text: str) -> str:
    """NFC and lower case: ``normalize`` without the whitespace step (enough before ``split()``)."""
    # DuckDB lower-cases U+0130 (dotted capital I) to a plain "i", Python to "i" + combining dot;
    # it is the one code point where they differ, and DuckDB's form is the one the build uses.
    return unicodedata.normalize("NFC", text).replace("\u0130", "i").lower()


def normalize(text: str) -> str:
    return _WHITESPACE_RE.sub(" ", fold(text)).strip(" ")


# --- the assistant's answer as a message -------------------------------------------------------
_TRIMMED = " \t\n\r"


def render_answer(assistant_text: str | None, code_patch: str | None) -> str | None:
    """The assistant message of a generation: its prose, then its code change as a diff block.

    The fence is four backticks when the patch itself contains three (a Markdown file), so the
    block always closes where the patch ends. None when the generation has neither.
    """
    prose = (assistant_text or "").strip(_TRIMMED)
    patch = (code_patch or "").rstrip("\n")
    if not patch.strip(_TRIMMED):
        return prose or None
    fence = "````" if "```" in patch else "```"
    block = f"{fence}diff\n{patch}\n{fence}"
    return f"{prose}\n\n{block}" if prose else block


# --- language guess ---------------------------------------------------------------------------
# An offline heuristic, good enough to keep a training set in the languages it is meant for:
# 1. a text whose letters are mostly in one non-Latin script gets that script's language;
# 2. otherwise the language whose common words (function words and the verbs people use to ask
#    an app builder for something) occur most often in it, English winning ties;
# 3. "und" (undetermined) when nothing matches: pasted errors, code, "ok".
# It tells English from Spanish, French, German, Portuguese and Italian on prompts of a few words.
UNDETERMINED = "und"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_COMMON_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """the and is are was were be been with for to of it its this that these those my me i i'm
        you your we our us they them their he she his her him what which who how why when where
        there here not don't doesn't isn't can't won't didn't can could should would will please
        pls plz thanks thank thx ok okay yes yeah just also still again now then than only but
        so if all any some more most make made build create add fix change update remove delete
        use show hide move want need help work works working broken looks look like into on at
        from by an as do does did have has had get got let lets let's put keep try same other
        new each every after before while about over under instead too very much many"""
    ),
    "es": _words(
        """el los las del que y por para con mi mis es está están se lo al como más pero sus le
        ya este esta esto una unos unas muy sin sobre también hay haz crea añade agrega arregla
        cambia pon quita botón página funciona gracias sigue cómo qué cuando donde porque tengo
        quiero necesito mis tus"""
    ),
    "fr": _words(
        """le les des du une et est pour avec mon ma mes dans sur pas ne je il nous vous qui
        plus fais moi ajoute mets enlève change merci après entre comment quand pourquoi
        page est être sont cette ces mais aussi très bouton connexion blanche"""
    ),
    "de": _words(
        """der die das und ist nicht ein eine einen mit für zu von den dem ich du wir sie mach
        mache erstelle füge hinzu bitte danke weiter seite lädt mehr wie was warum wenn auch
        noch schon aber oder zum zur verwalten funktioniert knopf"""
    ),
    "pt": _words(
        """os um uma do da dos das para com meu minha não é que cria crie adicione adiciona muda
        mude cor carrinho valeu continua loja roupas atualiza obrigado obrigada também está
        botão página quando onde porque quero preciso"""
    ),
    "it": _words(
        """il gli di che è per con non mi aggiungi crea cambia pulsante grazie funziona anche
        della delle degli nella sono questo questa quando dove perché voglio"""
    ),
}
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

# Unicode ranges of scripts that identify a language well enough for a filter.
_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "el"), (0x0400, 0x04FF, "ru"), (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "ar"), (0x0900, 0x097F, "hi"), (0x0E00, 0x0E7F, "th"),
    (0x3040, 0x30FF, "ja"), (0x4E00, 0x9FFF, "zh"), (0xAC00, 0xD7AF, "ko"),
)


def _script_language(char: str) -> str | None:
    code = ord(char)
    for low, high, language in _SCRIPTS:
        if low <= code <= high:
            return language
    return None


# Each common word with the languages it belongs to (a word can be common in several).
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _language, _common in sorted(_COMMON_WORDS.items()):
    for _word in _common:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _language)


def detect_language(text: str | None) -> str:
    """ISO 639-1 code of the text's language by the heuristic above, or ``und``."""
    if not text:
        return UNDETERMINED
    if not text.isascii():
        letters = [c for c in text if c.isalpha()]
        scripts = Counter(lang for c in letters if ord(c) > 0x024F and (lang := _script_language(c)))
        if scripts and sum(scripts.values()) * 2 > len(letters):
            # Kana next to kanji is Japanese, not Chinese.
            if scripts.get("ja") and scripts.get("zh"):
                return "ja"
            return scripts.most_common(1)[0][0]
    scores: Counter[str] = Counter()
    for word in _WORD_RE.findall(text.lower().replace("\u2019", "'")):
        scores.update(_LANGUAGES_OF.get(word, ()))
    if not scores:
        return UNDETERMINED
    return max(sorted(scores), key=lambda lang: (scores[lang], lang == "en"))


def detect_language_arrow(texts: pa.Array) -> pa.Array:
    """``detect_language`` over an Arrow array: the vectorised form DuckDB calls."""
    return pa.array([detect_language(t) for t in texts.to_pylist()], type=pa.string())


# --- the same rules in DuckDB ------------------------------------------------------------------


def sql_macros() -> list[str]:
    """TEMP macros (never persisted) applying this module's rules inside DuckDB."""
    struct_list = "STRUCT(role VARCHAR, content VARCHAR)[]"
    return [
        # Same result as replacing every whitespace run, about twice as fast: a single space is
        # left alone, only longer runs and other whitespace characters are rewritten.
        f"CREATE OR REPLACE TEMP MACRO fw_norm(s) AS "
        f"trim(regexp_replace(lower(nfc_normalize(s)), '{_WHITESPACE_RUN}', ' ', 'g'), ' ')",
        f"CREATE OR REPLACE TEMP MACRO fw_tokens(s) AS "
        f"CAST(ceil(strlen(s) / {BYTES_PER_TOKEN}.0) AS BIGINT)",
        f"CREATE OR REPLACE TEMP MACRO fw_conversation_tokens(msgs) AS "
        f"list_sum(list_transform(msgs, lambda m: fw_tokens(m.content) + {TOKENS_PER_MESSAGE})) "
        f"+ {TOKENS_PER_REPLY}",
        # One message's part of a duplicate key: the role's initial and the md5 of the normalised
        # content. A list's key is the md5 of its messages' parts in order; the build assembles the
        # same string from per-text hashes (build.py), the gates from the files.
        "CREATE OR REPLACE TEMP MACRO fw_text_hash(s) AS md5(fw_norm(s))",
        f"CREATE OR REPLACE TEMP MACRO fw_messages_string(msgs) AS "
        f"array_to_string(list_transform(CAST(msgs AS {struct_list}), "
        f"lambda m: left(m.role, 1) || fw_text_hash(m.content)), '')",
        # trim() and rtrim() copy and scan whole strings; these regular expressions stop early.
        "CREATE OR REPLACE TEMP MACRO fw_fence(patch) AS "
        "CASE WHEN contains(patch, '```') THEN '````' ELSE '```' END",
        "CREATE OR REPLACE TEMP MACRO fw_answer(prose, patch) AS "
        "CASE "
        "WHEN NOT regexp_matches(coalesce(patch, ''), '[^ \\t\\n\\r]') "
        "THEN nullif(trim(coalesce(prose, ''), E' \\t\\n\\r'), '') "
        "ELSE concat_ws(E'\\n\\n', nullif(trim(coalesce(prose, ''), E' \\t\\n\\r'), ''), "
        "fw_fence(patch) || E'diff\\n' || regexp_replace(patch, E'\\n+$', '') || E'\\n' || fw_fence(patch)) "
        "END",
    ]
