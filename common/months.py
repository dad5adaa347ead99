"""Months as the programme counts them: calendar months in China time, a month held as its
first day.

A report is due for a month once it is over in China, and a station begins operating in the
month it does in China, whatever clock the server runs on.
"""

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
