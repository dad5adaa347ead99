"""Where a division stands against one target (ADR 0071).

- ``no_data``: the service has no figure (a rate over nothing, statistics never recorded);
- ``met``: the figure satisfies the comparator;
- ``overdue``: not met and the time is up — the deadline has passed, or for a per-year target
  (``period: year``) the year is over;
- ``on_track``: not met, the time is not up, and the figure is at least the share of the
  target that the share of time gone asks for: a straight line from 0 on the first day of the
  target set's year (of the year itself for a per-year target) to the target at the deadline
  (at 31 December). Only "at least" targets (``ge``, ``gt``) of stock and flow indicators have
  such a line;
- ``behind``: not met, the time is not up, and it is below the line — or there is no line to
  be on: no deadline, an "at most" target, a growth rate (growth is not accumulated).
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from common.indicators import IndicatorKind


class TargetStatus(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    OVERDUE = "overdue"
    NO_DATA = "no_data"


# Worst first: what an official chases first.
SEVERITY = [
    TargetStatus.OVERDUE,
    TargetStatus.BEHIND,
    TargetStatus.NO_DATA,
    TargetStatus.ON_TRACK,
    TargetStatus.MET,
]
STATUS_ZH = {
    TargetStatus.MET: "已达标",
    TargetStatus.ON_TRACK: "进度正常",
    TargetStatus.BEHIND: "进度滞后",
    TargetStatus.OVERDUE: "已逾期",
    TargetStatus.NO_DATA: "无数据",
}


def satisfies(value: Decimal, comparator: str, target: Decimal) -> bool:
    return {
        "ge": value >= target,
        "gt": value > target,
        "le": value <= target,
        "lt": value < target,
        "eq": value == target,
    }[comparator]


def gap(value: Decimal | None, comparator: str, target: Decimal) -> Decimal | None:
    """What is still to go, in the target's unit: positive while not met, ≤ 0 once met."""
    if value is None:
        return None
    return value - target if comparator in ("le", "lt") else target - value


def status(
    *,
    value: Decimal | None,
    comparator: str,
    target: Decimal,
    kind: IndicatorKind,
    per_year: bool,
    set_year: int,
    deadline: date | None,
    as_of: date,
) -> TargetStatus:
    if value is None:
        return TargetStatus.NO_DATA
    if satisfies(value, comparator, target):
        return TargetStatus.MET
    start: date
    end: date | None
    if per_year:
        start, end = date(as_of.year, 1, 1), date(as_of.year, 12, 31)
        if as_of >= end or (deadline is not None and as_of > deadline):
            return TargetStatus.OVERDUE
    else:
        start, end = date(set_year, 1, 1), deadline
        if end is not None and as_of > end:
            return TargetStatus.OVERDUE
    if end is None or comparator not in ("ge", "gt") or kind is IndicatorKind.GROWTH:
        return TargetStatus.BEHIND
    span = (end - start).days
    elapsed = Decimal(max(0, (as_of - start).days)) / span if span > 0 else Decimal(1)
    on_line = value >= target * min(elapsed, Decimal(1))
    return TargetStatus.ON_TRACK if on_line else TargetStatus.BEHIND
