"""Time in the simulator: integer milliseconds since the epoch, rendered as contract timestamps.

Everything is UTC. Formatting is done with integer arithmetic and a per-day prefix cache because
it runs once per event on the hot path (``datetime.strftime`` costs several times more).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

MS_PER_SECOND = 1000
MS_PER_MINUTE = 60 * MS_PER_SECOND
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR
_EPOCH = date(1970, 1, 1)

_day_prefix_cache: dict[int, str] = {}


def day_start_ms(day: date) -> int:
    return (day - _EPOCH).days * MS_PER_DAY


def ms_to_date(epoch_ms: int) -> date:
    return _EPOCH + timedelta(days=epoch_ms // MS_PER_DAY)


def _prefix(day_number: int) -> str:
    prefix = _day_prefix_cache.get(day_number)
    if prefix is None:
        prefix = (_EPOCH + timedelta(days=day_number)).isoformat() + "T"
        _day_prefix_cache[day_number] = prefix
    return prefix


def format_ms(epoch_ms: int) -> str:
    """``2026-11-02T09:15:02.120Z``: RFC 3339, UTC, millisecond precision (what the platform sends)."""
    day_number, ms = divmod(epoch_ms, MS_PER_DAY)
    seconds, millis = divmod(ms, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_prefix(day_number)}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


def format_seconds(epoch_ms: int) -> str:
    """``2026-09-03T14:00:00Z``: the billing system's whole-second timestamps."""
    return datetime.fromtimestamp(epoch_ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month (negative goes back)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
