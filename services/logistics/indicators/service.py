"""Logistics indicators of a division (see docs/adr/0022-logistics-indicators.md)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from common.divisionscope import Scope, division_scope
from common.errors import NotFound
from common.months import add_months
from common.periods import Period
from services.logistics.coverage.models import CoverageMode
from services.logistics.indicators import repository
from services.logistics.indicators.schemas import (
    CarriersPerTownship,
    CoverageIndicators,
    Depots,
    DivisionRef,
    MonthVolumes,
    PointGap,
    ReportFigures,
    Share,
    TownshipGap,
    VolumeIndicators,
)

NATION = DivisionRef(code=None, name="全国", level="nation")
# A township counts as frequently served from this many deliveries a week (the default of
# ``/coverage``'s ``min_deliveries``).
MIN_DELIVERIES = 5


@dataclass(frozen=True)
class Where:
    division: DivisionRef
    scope: Any


def _not_found(code: str) -> NotFound:
    return NotFound(
        f"no division {code}",
        detail_zh=f"没有区划 {code}",
        code="division_not_found",
        field="division",
        location="query",
    )


async def resolve_division(db: AsyncSession | asyncpg.Connection, raw: str | None) -> Where:
    """On the request's session, or on a hot read's connection."""
    scope = division_scope(raw)
    if scope.code is None:
        return Where(NATION, scope)
    row = await repository.division(db, scope.code)
    if row is None:
        raise _not_found(scope.code)
    return Where(DivisionRef(code=row["code"], name=row["name"], level=row["level"]), scope)


def _share(reached: int, total: int) -> Share:
    return Share(
        reached=reached,
        total=total,
        unreached=total - reached,
        rate=reached / total if total else None,
    )


async def coverage(
    conn: asyncpg.Connection, scope: Scope, *, as_of: date, min_deliveries: int
) -> CoverageIndicators:
    """The figures and the division they are of, in one statement."""
    row = await repository.coverage(conn, scope, as_of=as_of, deliveries=min_deliveries)
    division = NATION
    if scope.code is not None:
        if row["division_name"] is None:
            raise _not_found(scope.code)
        division = DivisionRef(
            code=scope.code, name=row["division_name"], level=row["division_level"]
        )
    townships, points = row["townships"], row["points"]
    by_mode = row["points_by_mode"]
    return CoverageIndicators(
        division=division,
        as_of=as_of,
        township_coverage=_share(row["townships_reached"], townships),
        frequent_township_coverage=_share(row["townships_frequent"], townships),
        min_deliveries=min_deliveries,
        townships_with_hub=_share(row["townships_with_hub"], townships),
        village_points_with_carrier=_share(row["points_reached"], points),
        village_points_by_mode={
            m.value: _share(by_mode.get(m.value, 0), points) for m in CoverageMode
        },
        carriers_per_township=CarriersPerTownship(
            average=row["township_carriers"] / townships if townships else None,
            distribution=row["carriers_distribution"],
        ),
        depots=Depots(
            active=row["depots"],
            by_kind=row["depots_by_kind"],
            shared=row["shared_depots"],
            shared_rate=row["shared_depots"] / row["depots"] if row["depots"] else None,
        ),
    )


def _month(row: Any) -> MonthVolumes:
    parcels = row["outbound_parcels"] + row["inbound_parcels"]
    return MonthVolumes(
        month=row["month"].strftime("%Y-%m") if row["month"] else None,
        rows=row["rows"],
        outbound_parcels=row["outbound_parcels"],
        outbound_weight_kg=row["outbound_weight_kg"],
        inbound_parcels=row["inbound_parcels"],
        inbound_weight_kg=row["inbound_weight_kg"],
        outbound_share=row["outbound_parcels"] / parcels if parcels else None,
    )


async def volumes(
    db: AsyncSession | asyncpg.Connection, where: Where, first: date, last: date
) -> VolumeIndicators:
    rows = await repository.volumes(
        db, where.scope, first=first, last=last, after_last=add_months(last, 1)
    )
    return VolumeIndicators(
        division=where.division, months=[_month(r) for r in rows[:-1]], total=_month(rows[-1])
    )


async def report(conn: asyncpg.Connection, scope: Scope, period: Period) -> ReportFigures:
    """What a report document reads of logistics for a division and period, on one
    connection and by the statements of ``/coverage`` and ``/volumes``: coverage on the
    period's last day (whose statement also finds the division: 404 when there is none) and
    parcels by month."""
    found = await coverage(
        conn, scope, as_of=period.end - timedelta(days=1), min_deliveries=MIN_DELIVERIES
    )
    parcels = await volumes(conn, Where(found.division, scope), period.start, period.months[-1])
    return ReportFigures(coverage=found, volumes=parcels)


async def _gaps(
    conn: asyncpg.Connection, scope: Scope, kind: str, *, as_of: date, after: str, limit: int
) -> Sequence[Any]:
    """A page and one more row; the division is looked up by the same statement (404)."""
    rows = await repository.gaps(conn, scope, kind, as_of=as_of, after=after, limit=limit + 1)
    if rows is None:
        raise _not_found(scope.code or "")
    return rows


async def township_gaps(
    conn: asyncpg.Connection, scope: Scope, *, as_of: date, after: str, limit: int
) -> Sequence[TownshipGap]:
    rows = await _gaps(
        conn, scope, "townships-without-courier", as_of=as_of, after=after, limit=limit
    )
    return [
        TownshipGap(
            code=r["code"],
            name=r["name"],
            county_code=r["parent_code"],
            county_name=r["parent_name"],
        )
        for r in rows
    ]


async def point_gaps(
    conn: asyncpg.Connection, scope: Scope, *, as_of: date, after: str, limit: int
) -> Sequence[PointGap]:
    rows = await _gaps(conn, scope, "points-without-carrier", as_of=as_of, after=after, limit=limit)
    return [
        PointGap(
            code=r["code"],
            name=r["name"],
            status=r["status"],
            village_code=r["division_code"],
            village_name=r["village_name"],
        )
        for r in rows
    ]
