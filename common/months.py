"""Months as the programme counts them: calendar months in China time, a month held as its
first day.

A report is due for a month once it is over in China, and a station begins operating in the
month it does in China, whatever clock the server runs on.
"""

import re
from datetime import date, datetime, timedelta, timezone

# China Standard Time: UTC+8 all year (no daylight saving since 1991).
CHINA_TZ = timezone(timedelta(hours=8))


def china_today(now: datetime | None = None) -> date:
    return (now or datetime.now(CHINA_TZ)).astimezone(CHINA_TZ).date()


def current_month(now: datetime | None = None) -> date:
    """The month now running in China, as its first day."""
    return china_today(now).replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month`` (before, when negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


_DAY_FORMATS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),  # ISO 8601, as JSON sends it
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),  # Excel on Chinese Windows
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_day(text: str) -> date:
    """A calendar day as people and spreadsheets write it: ``2026-09-01``, ``2026/9/1``,
    ``2026.9.1``, ``2026年9月1日`` or ``20260901``; ``ValueError`` otherwise."""
    value = text.strip()
    for pattern in _DAY_FORMATS:
        match = pattern.match(value)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
    raise ValueError(f"{text!r} is not a date like 2026-09-01")
