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
