"""Statistical periods as counties report them and dashboards read them: a year (``2017``),
a quarter (``2017-Q3``) or a month (``2017-09``), each held as its kind and first day, in
China time."""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from common.errors import Unprocessable
from common.months import add_months, china_today


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}
_PATTERNS = (
    (PeriodKind.YEAR, re.compile(r"^([0-9]{4})$")),
    (PeriodKind.QUARTER, re.compile(r"^([0-9]{4})-?[Qq]([1-4])$")),
    (PeriodKind.MONTH, re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")),
)
PERIOD_EXAMPLES = "2017, 2017-Q3 or 2017-09"


@dataclass(frozen=True, order=True)
class Period:
    kind: PeriodKind
    start: date

    @property
    def end(self) -> date:
        """The first day after the period."""
        return add_months(self.start, _MONTHS[self.kind])

    @property
    def months(self) -> list[date]:
        """The first day of each of its months, oldest first."""
        return [add_months(self.start, n) for n in range(_MONTHS[self.kind])]

    def year_before(self) -> "Period":
        """The same period a year before: what year-on-year growth compares with."""
        return Period(self.kind, self.start.replace(year=self.start.year - 1))

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return f"{self.start.year}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label_zh(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return f"{self.start.year}年"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年{self.start.month}月"


def parse_period(
    raw: str, *, field: str = "period", location: str = "path", finished: bool = True
) -> Period:
    """A period written ``2017``, ``2017-Q3`` or ``2017-09``; with ``finished``, one that has
    ended in China (figures of a running period are not final)."""
    text = raw.strip()
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        year = int(match.group(1))
        if year < 1990:
            break
        if kind is PeriodKind.YEAR:
            period = Period(kind, date(year, 1, 1))
        elif kind is PeriodKind.QUARTER:
            period = Period(kind, date(year, (int(match.group(2)) - 1) * 3 + 1, 1))
        else:
            period = Period(kind, date(year, int(match.group(2)), 1))
        if finished and period.end > china_today():
            raise Unprocessable(
                f"{field}: {period.label} has not ended yet; record a period once it is over",
                detail_zh=f"{field}:{period.label_zh}尚未结束,请在期末后填报",
                code="period_not_finished",
                field=field,
                location=location,
            )
        return period
    raise Unprocessable(
        f"{field} must be a year, quarter or month, like {PERIOD_EXAMPLES}; got {raw!r}",
        detail_zh=f"{field} 应为年、季度或月份,例如 2017、2017-Q3 或 2017-09",
        code="invalid_period",
        field=field,
        location=location,
    )
