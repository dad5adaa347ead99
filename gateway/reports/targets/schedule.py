"""When a target's reports are due, and which periods a run covers.

A target runs once a month, on ``schedule_day`` at ``schedule_time`` in ``schedule_timezone``
(MOFCOM: the 5th at 02:00 Asia/Shanghai). A run covers the month before it; in January,
April, July and October also the quarter before; in January also the year before — each only
if the target takes that kind of period.
"""

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

PERIOD_KINDS = ("month", "quarter", "year")
_KIND = {
    re.compile(r"\d{4}-(0[1-9]|1[0-2])"): "month",
    re.compile(r"\d{4}-Q[1-4]"): "quarter",
    re.compile(r"\d{4}"): "year",
}


def period_kind(period: str) -> str | None:
    for pattern, kind in _KIND.items():
        if pattern.fullmatch(period):
            return kind
    return None


def next_run(day: int, at: time, timezone: str, after: datetime) -> datetime:
    """The first run strictly after ``after`` (UTC)."""
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    year, month = local.year, local.month
    while True:
        candidate = datetime.combine(date(year, month, day), at, tzinfo=zone)
        if candidate > after:
            return candidate.astimezone(UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def periods_of_run(run_at: datetime, timezone: str, kinds: list[str]) -> list[str]:
    """The periods a run at ``run_at`` reports: those that ended just before its month."""
    local = run_at.astimezone(ZoneInfo(timezone))
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    periods = []
    if "month" in kinds:
        periods.append(f"{year}-{month:02d}")
    if "quarter" in kinds and local.month in (1, 4, 7, 10):
        periods.append(f"{year}-Q{(month - 1) // 3 + 1}")
    if "year" in kinds and local.month == 1:
        periods.append(f"{year}")
    return periods
