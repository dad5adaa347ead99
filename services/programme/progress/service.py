"""A division's programme progress: project progress by milestone, funds planned and paid
by source and category, fund-rule breaches — what a county reports to MOFCOM (Shanxi 2017
§(五)) and what the gateway's report documents read for a county and its roll-ups."""

from datetime import date, timedelta
from decimal import Decimal

import asyncpg

from common.bulkwrite import Database
from common.errors import Unprocessable
from common.identifiers import DivisionLevel, division_level
from common.periods import Period
from services.programme.divisions import COUNTY, checked_division
from services.programme.ledger.schemas import SourceAmounts
from services.programme.progress import repository
from services.programme.progress.schemas import (
    Allocated,
    BreachCount,
    Breaches,
    CategoryProgress,
    Milestones,
    ProgrammeProgress,
    ReportFigures,
)
from services.programme.statistics import service as statistics
from services.programme.targets import service as targets

_SOURCES = ("central", "local", "social")


def check_window(first: date, last: date) -> None:
    if first > last:
        raise Unprocessable(
            f"from ({first}) is after to ({last})",
            detail_zh=f"起始日期 {first} 晚于截止日期 {last}",
            code="invalid_range",
            field="from",
            location="query",
        )


def _amounts(central: Decimal, local: Decimal, social: Decimal) -> SourceAmounts:
    return SourceAmounts(
        central=central, local=local, social=social, total=central + local + social
    )


def _money(value: object) -> Decimal:
    return Decimal(str(value))


async def progress(db: Database, prefix: str, first: date, last: date) -> ProgrammeProgress:
    check_window(first, last)
    row = await repository.progress(db, prefix, first, last)
    categories = []
    for c in row["categories"]:
        planned = [_money(c[f"planned_{s}"]) for s in _SOURCES]
        paid = [_money(c[f"paid_{s}"]) for s in _SOURCES]
        categories.append(
            CategoryProgress(
                category=c["category"],
                projects=c["projects"],
                planned=_amounts(*planned),
                disbursed=_amounts(*paid),
                disbursed_in_period=_money(c["paid_in_period"]),
            )
        )
    planned = [sum((getattr(c.planned, s) for c in categories), Decimal(0)) for s in _SOURCES]
    paid = [sum((getattr(c.disbursed, s) for c in categories), Decimal(0)) for s in _SOURCES]
    # ROLLUP rows: (kind, basis) detail, (kind, NULL) per kind, (NULL, NULL) the total.
    total = next((b for b in row["breaches"] if b["kind"] is None), None)
    return ProgrammeProgress(
        division=prefix or None,
        period_from=first,
        period_to=last,
        demonstration_counties=row["counties"],
        allocated=Allocated(
            central=_money(row["allocated"]["central"]), local=_money(row["allocated"]["local"])
        ),
        projects=dict(sorted(row["projects"].items())),
        milestones=Milestones(**row["milestones"]),
        planned=_amounts(*planned),
        disbursed=_amounts(*paid),
        disbursed_in_period=sum((c.disbursed_in_period for c in categories), Decimal(0)),
        by_category=categories,
        breaches=Breaches(
            total=total["breaches"] if total else 0,
            counties=total["counties"] if total else 0,
            by_rule=sorted(
                (
                    BreachCount(**b)
                    for b in row["breaches"]
                    if b["kind"] is not None and b["basis"] is not None
                ),
                key=lambda b: (b.kind, b.basis),
            ),
        ),
    )


async def report(conn: asyncpg.Connection, prefix: str, period: Period) -> ReportFigures:
    """What a report document reads of programme for a division (``prefix``, '' for the
    nation) and period, on one of the pool's connections, one statement after another, by
    the statements of ``/indicators/programme``, ``/indicators/statistics`` and, for a
    county, its targets."""
    county_targets = None
    if prefix and division_level(prefix.ljust(12, "0")) is DivisionLevel.COUNTY:
        county = await checked_division(conn, prefix, COUNTY, field="division", location="query")
        county_targets = await targets.county_targets(conn, county.code)
    return ReportFigures(
        progress=await progress(conn, prefix, period.start, period.end - timedelta(days=1)),
        statistics=await statistics.indicators(conn, prefix, period),
        targets=county_targets,
    )
