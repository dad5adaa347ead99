"""Network indicators per division (county, prefecture, province) or the nation.

Everything is counted in SQL (``repository``); this module resolves the division, fills
in the months and turns counts into rates.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from common.divisionscope import Scope, division_scope
from common.errors import Unprocessable
from common.months import add_months
from common.pagination import PageParams, cursor_key
from common.periods import Period
from services.stations.divisions.service import division_not_found
from services.stations.indicators import repository
from services.stations.indicators.schemas import (
    Coverage,
    Gap,
    GapKind,
    IndicatorDivision,
    NetworkIndicators,
    OverdueStation,
    ReportFigures,
    Reporting,
    ReportingRate,
    Sales,
    SalesFigures,
    SalesMonth,
    StationCounts,
)
from services.stations.registry.models import StationStatus, StationTier
from services.stations.reports.schemas import format_month

NATION = IndicatorDivision(code=None, name="全国", level="nation")
MAX_SALES_MONTHS = 120


@dataclass(frozen=True)
class DivisionScope:
    division: IndicatorDivision
    scope: Scope


async def resolve_division(db: AsyncSession | asyncpg.Connection, raw: str | None) -> DivisionScope:
    """A division from its 12-digit code or its significant prefix (``1411``); the nation
    when absent. 422 ``invalid_division`` for a malformed code, 404 when no such division.
    Looked up on the request's session, or on a hot read's connection."""
    scope = division_scope(raw)
    if scope.code is None:
        return DivisionScope(NATION, scope)
    row = await repository.division(db, scope.code)
    if row is None:
        raise division_not_found(scope.code, field_name="division", location="query")
    division = IndicatorDivision(code=row["code"], name=row["name"], level=row["level"])
    return DivisionScope(division, scope)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _coverage(covered: int, total: int) -> Coverage:
    return Coverage(
        covered=covered, total=total, uncovered=total - covered, rate=_rate(covered, total)
    )


def _reporting(month: date, expected: int, reported: int) -> Reporting:
    return Reporting(
        month=format_month(month),
        expected=expected,
        reported=reported,
        overdue=expected - reported,
        rate=_rate(reported, expected),
    )


def _station_counts(rows: Sequence[Sequence[object]]) -> StationCounts:
    by_tier = {str(tier): {str(status): 0 for status in StationStatus} for tier in StationTier}
    by_status = {str(status): 0 for status in StationStatus}
    total = 0
    for tier, status, count in rows:
        n = int(count)  # type: ignore[call-overload]
        by_tier.setdefault(str(tier), {})[str(status)] = n
        by_status[str(status)] = by_status.get(str(status), 0) + n
        total += n
    return StationCounts(total=total, by_tier=by_tier, by_status=by_status)


async def network(conn: asyncpg.Connection, scope: Scope, month: date) -> NetworkIndicators:
    """The indicators of a division (``division_scope``) or the nation. The division is
    looked up by the statement that counts (one round trip): 404 when there is none."""
    row = await repository.network(conn, scope, month=month, next_month=add_months(month, 1))
    division = NATION
    if scope.code is not None:
        if row["division_name"] is None:
            raise division_not_found(scope.code, field_name="division", location="query")
        division = IndicatorDivision(
            code=scope.code, name=row["division_name"], level=row["division_level"]
        )
    return NetworkIndicators(
        division=division,
        stations=_station_counts(row["station_counts"]),
        township_coverage=_coverage(row["townships_covered"], row["townships"]),
        village_coverage=_coverage(row["villages_covered"], row["villages"]),
        poor_village_coverage=_coverage(row["poor_villages_covered"], row["poor_villages"]),
        reporting=_reporting(month, row["expected"], row["reported"]),
    )


async def reporting_rate(
    db: AsyncSession | asyncpg.Connection, where: DivisionScope, month: date
) -> ReportingRate:
    row = await repository.reporting(db, where.scope, month=month, next_month=add_months(month, 1))
    figures = _reporting(month, row["expected"], row["reported"])
    return ReportingRate(division=where.division, **figures.model_dump())


def _code_key(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a code")
    return value


def _after_code(params: PageParams) -> str:
    """The code a keyset page starts after ('' for the first page)."""
    return cursor_key(params, _code_key) or ""


async def overdue(
    session: AsyncSession, where: DivisionScope, month: date, params: PageParams
) -> list[OverdueStation]:
    """Stations that should have reported for ``month`` and did not, by code (n+1 rows)."""
    rows = await repository.overdue(
        session,
        where.scope,
        month=month,
        next_month=add_months(month, 1),
        after=_after_code(params),
        limit=params.limit + 1,
    )
    return [
        OverdueStation(
            code=row["code"],
            name=row["name"],
            tier=row["tier"],
            status=row["status"],
            division_code=row["division_code"],
            operating_since=format_month(row["operating_since"])
            if row["operating_since"]
            else None,
            last_reported_month=format_month(row["last_reported_month"])
            if row["last_reported_month"]
            else None,
        )
        for row in rows
    ]


async def sales(conn: asyncpg.Connection, where: DivisionScope, first: date, last: date) -> Sales:
    if first > last:
        raise Unprocessable(
            f"from ({format_month(first)}) is after to ({format_month(last)})",
            detail_zh="起始月份晚于结束月份",
            code="invalid_range",
            field="from",
            location="query",
        )
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    if span > MAX_SALES_MONTHS:
        raise Unprocessable(
            f"{span} months asked; at most {MAX_SALES_MONTHS} at once",
            detail_zh=f"一次最多查询 {MAX_SALES_MONTHS} 个月",
            code="range_too_long",
            field="from",
            location="query",
        )
    rows = await repository.sales(conn, where.scope, first=first, last=last)
    # The last row is the ROLLUP total (month NULL).
    *monthly, total = rows
    return Sales(
        division=where.division,
        first=format_month(first),
        last=format_month(last),
        months=[SalesMonth(month=format_month(row["month"]), **_figures(row)) for row in monthly],
        total=SalesFigures(**_figures(total)),
    )


def _figures(row: Mapping[str, Any]) -> dict[str, object]:
    return {name: value for name, value in row.items() if name != "month"}


async def report(conn: asyncpg.Connection, scope: Scope, period: Period) -> ReportFigures:
    """What a report document reads of a division for a period, on one connection and by the
    statements of ``/network``, ``/sales`` and ``/reports/rate``: the network with the rate of
    the period's last month (whose statement also finds the division: 404 when there is
    none), sales by month, and the rate of each earlier month."""
    *earlier, last = period.months
    found = await network(conn, scope, last)
    where = DivisionScope(found.division, scope)
    figures = await sales(conn, where, period.start, last)
    rates = [await reporting_rate(conn, where, month) for month in earlier]
    rates.append(ReportingRate(division=found.division, **found.reporting.model_dump()))
    return ReportFigures(network=found, sales=figures, reporting=rates)


async def gaps(
    conn: asyncpg.Connection, where: DivisionScope, kind: GapKind, params: PageParams
) -> list[Gap]:
    rows = await repository.gaps(
        conn, where.scope, kind.value, after=_after_code(params), limit=params.limit + 1
    )
    return [Gap.model_validate(dict(row)) for row in rows]
