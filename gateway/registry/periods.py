"""``?period=`` of the composite views: a year, quarter or month (``2026``, ``2026-Q3``,
``2026-09``) that has begun in China; the current year when absent. A running period is
counted up to today — a dashboard shows progress towards a deadline, not only closed years."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, Query

from common.errors import Unprocessable
from common.months import china_today
from common.periods import PERIOD_EXAMPLES, Period, PeriodKind, parse_period


@dataclass(frozen=True)
class Window:
    """The days a period covers so far: from its first day to its last, or to today."""

    period: Period
    first: date
    last: date

    @property
    def label(self) -> str:
        return self.period.label


def window_of(period: Period, today: date | None = None) -> Window:
    today = today or china_today()
    return Window(period, period.start, min(period.end - timedelta(days=1), today))


async def period_query(
    period: Annotated[
        str | None,
        Query(max_length=16, description=f"{PERIOD_EXAMPLES}; default the current year"),
    ] = None,
) -> Window:
    """The ``?period=`` dependency (``PeriodDep``); also the hot record's query (its name and
    bounds, ``common.hotpath.route_query``)."""
    return window_for(period)


def window_for(period: str | None) -> Window:
    """The window of ``?period=`` as given (a job re-reads it when it runs)."""
    today = china_today()
    if period is None:
        return window_of(Period(PeriodKind.YEAR, date(today.year, 1, 1)), today)
    parsed = parse_period(period, field="period", location="query", finished=False)
    if parsed.start > today:
        raise Unprocessable(
            f"period: {parsed.label} has not begun yet; nothing is counted for it",
            detail_zh=f"period:{parsed.label_zh}尚未开始,没有可统计的数据",
            code="future_period",
            field="period",
            location="query",
        )
    return window_of(parsed, today)


PeriodDep = Annotated[Window, Depends(period_query)]
