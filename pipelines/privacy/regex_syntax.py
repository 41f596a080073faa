"""What a regex can match, read from its parsed form (Python's own parser): for lines.py, whether
a match can involve a line break; here, whether a pattern is only a choice of fixed strings."""

from __future__ import annotations

from typing import Any

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

__all__ = ["literal_alternatives", "sre_constants", "sre_parse"]

# More fixed strings than this and one regex search is the cheaper test.
MAX_ALTERNATIVES = 64


def literal_alternatives(pattern: str, limit: int = MAX_ALTERNATIVES) -> tuple[str, ...] | None:
    """The fixed strings a pattern matches when it is nothing but literals, small character sets
    and choices (``npm_|_authToken``, ``[Bb]earer``), else None. Such a pattern is found in a
    text exactly when one of the strings is in it, and ``str.__contains__`` looks for a fixed
    string far faster than the regex engine tries an alternation at every position."""
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - not a pattern Python's parser reads: leave it to the regex
        return None
    if parsed.state.flags & ~sre_constants.SRE_FLAG_UNICODE:
        return None
    strings = _expand(list(parsed), limit)
    return tuple(dict.fromkeys(strings)) if strings else None


def _expand(items: list[tuple[Any, Any]], limit: int) -> list[str] | None:
    strings = [""]
    for op, av in items:
        if op is sre_constants.LITERAL:
            choices = [chr(av)]
        elif op is sre_constants.IN:
            choices = _set_members(av)
        elif op is sre_constants.BRANCH:
            choices = []
            for branch in av[1]:
                expanded = _expand(list(branch), limit)
                if expanded is None:
                    return None
                choices += expanded
        elif op is sre_constants.SUBPATTERN:
            _, add_flags, del_flags, sub = av
            choices = None if add_flags or del_flags else _expand(list(sub), limit)
        else:
            return None
        if choices is None or len(strings) * len(choices) > limit:
            return None
        strings = [done + choice for done in strings for choice in choices]
    return strings


def _set_members(items: list[tuple[Any, Any]]) -> list[str] | None:
    members: list[str] = []
    for op, av in items:
        if op is sre_constants.LITERAL:
            members.append(chr(av))
        elif op is sre_constants.RANGE and av[1] - av[0] < MAX_ALTERNATIVES:
            members += [chr(c) for c in range(av[0], av[1] + 1)]
        else:  # a negated set, a category (\d), a wide range
            return None
    return members


# Zero-width items: they constrain where a match starts but consume nothing ("\b", "^", lookarounds).
_ZERO_WIDTH = (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT)
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)


def match_prefixes(pattern: str, flags: int = 0, length: int = 3,
                   limit: int = MAX_ALTERNATIVES) -> tuple[str, ...] | None:
    """Lower-case strings of at most ``length`` characters, one of which starts every match of
    the pattern in an ASCII text lower-cased (``text.lower()``), else None (a match may start with
    anything). ``r"\\b(?i:said|ask)[ \\t]+"`` gives ``("ask", "sai")``.

    A necessary condition only: where none occurs no match starts, so ``str.find`` on the
    lower-cased text gives every position worth trying the regex at. Case is ignored whatever
    the flags (lower-casing keeps an ASCII text's positions; other texts need the regex).
    """
    try:
        parsed = sre_parse.parse(pattern, flags)
    except Exception:  # noqa: BLE001 - not a pattern Python's parser reads: leave it to the regex
        return None
    prefixes = {prefix for prefix, _ in _prefixes(list(parsed), length, limit)}
    return None if "" in prefixes else tuple(sorted(prefixes))


def _prefixes(items: list[tuple[Any, Any]], length: int, limit: int) -> list[tuple[str, bool]]:
    """(prefix, open) pairs: every match of ``items`` starts with one of the prefixes; an open one
    is the whole of its match, so what follows ``items`` may extend it."""
    results = [("", True)]
    for op, av in items:
        if not any(is_open for _, is_open in results):
            break
        choices = _item_prefixes(op, av, length, limit)
        extended = []
        for prefix, is_open in results:
            if not is_open:
                extended.append((prefix, False))
                continue
            for choice, choice_open in choices or ():
                joined = prefix + choice
                extended.append((joined[:length], choice_open and len(joined) < length))
        extended = list(dict.fromkeys(extended))
        if choices is None or len(extended) > limit:  # anything may come next, or too many
            return [(prefix, False) for prefix, _ in results]  # to list: the prefixes end here
        results = extended
    return results


def _item_prefixes(op: Any, av: Any, length: int, limit: int) -> list[tuple[str, bool]] | None:
    """What one parsed item's matches start with (as ``_prefixes``); None: anything."""
    if op in _ZERO_WIDTH:
        return [("", True)]
    # A character that is not ASCII ends the prefix: ignoring case, "ſ" matches "s", "ı" and "İ"
    # match "i", while their lower case is not the ASCII letter found in the lower-cased text.
    if op is sre_constants.LITERAL:
        return [(chr(av).lower(), True)] if av < 128 else None
    if op is sre_constants.IN:
        members = _set_members(av)
        if members is None or not all(member.isascii() for member in members):
            return None
        return [(m.lower(), True) for m in dict.fromkeys(members)]
    if op is sre_constants.SUBPATTERN:
        return _prefixes(list(av[-1]), length, limit)
    if op is sre_constants.BRANCH:
        choices = [pair for branch in av[1] for pair in _prefixes(list(branch), length, limit)]
        return choices if len(set(choices)) <= limit else None
    if op in _REPEATS:
        low, _, item = av
        # after one occurrence comes another or what follows: the prefix ends with the first
        once = [(prefix, False) for prefix, _ in _prefixes(list(item), length, limit)]
        return once + [("", True)] if low == 0 else once
    return None
