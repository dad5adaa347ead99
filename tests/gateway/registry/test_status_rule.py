"""The dashboard's status rule (ADR 0071), case by case."""

from datetime import date
from decimal import Decimal

import pytest

from common.indicators import IndicatorKind
from gateway.registry.dashboards.status import TargetStatus, gap, status

STOCK, FLOW, GROWTH = IndicatorKind.STOCK, IndicatorKind.FLOW, IndicatorKind.GROWTH


@pytest.mark.parametrize(
    ("value", "comparator", "kind", "per_year", "deadline", "as_of", "expected"),
    [
        (None, "ge", STOCK, False, date(2018, 12, 31), date(2018, 6, 1), TargetStatus.NO_DATA),
        ("55", "ge", STOCK, False, None, date(2018, 6, 1), TargetStatus.MET),
        ("54.9", "ge", STOCK, False, None, date(2018, 6, 1), TargetStatus.BEHIND),
        ("20", "ge", STOCK, False, date(2017, 12, 31), date(2018, 1, 1), TargetStatus.OVERDUE),
        # 2017-01-01 → 2018-12-31: half the time gone, so half of 55 is on the line.
        ("28", "ge", STOCK, False, date(2018, 12, 31), date(2018, 1, 1), TargetStatus.ON_TRACK),
        ("27", "ge", STOCK, False, date(2018, 12, 31), date(2018, 1, 1), TargetStatus.BEHIND),
        # A per-year flow: its line runs over the calendar year.
        ("30", "ge", FLOW, True, None, date(2018, 7, 2), TargetStatus.ON_TRACK),
        ("20", "ge", FLOW, True, None, date(2018, 7, 2), TargetStatus.BEHIND),
        ("20", "ge", FLOW, True, None, date(2018, 12, 31), TargetStatus.OVERDUE),
        ("10", "ge", FLOW, True, date(2017, 12, 31), date(2018, 3, 1), TargetStatus.OVERDUE),
        # No line for growth or "at most" targets.
        ("10", "ge", GROWTH, False, date(2019, 12, 31), date(2018, 1, 1), TargetStatus.BEHIND),
        ("60", "le", STOCK, False, date(2019, 12, 31), date(2018, 1, 1), TargetStatus.BEHIND),
        ("40", "le", STOCK, False, date(2019, 12, 31), date(2018, 1, 1), TargetStatus.MET),
        ("80", "gt", STOCK, False, None, date(2018, 1, 1), TargetStatus.BEHIND),
    ],
)
def test_status(
    value: str | None,
    comparator: str,
    kind: IndicatorKind,
    per_year: bool,
    deadline: date | None,
    as_of: date,
    expected: TargetStatus,
) -> None:
    target = Decimal("55") if not per_year else Decimal("60")
    got = status(
        value=None if value is None else Decimal(value),
        comparator=comparator,
        target=target if comparator != "gt" else Decimal("80"),
        kind=kind,
        per_year=per_year,
        set_year=2017,
        deadline=deadline,
        as_of=as_of,
    )
    assert got is expected


def test_gap_is_what_is_still_to_go() -> None:
    assert gap(Decimal(40), "ge", Decimal(55)) == 15
    assert gap(Decimal(60), "le", Decimal(55)) == 5
    assert gap(Decimal(70), "ge", Decimal(55)) == -15
    assert gap(None, "ge", Decimal(55)) is None
