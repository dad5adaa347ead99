"""Queries of county statistics and main products. Only flushes; the request scope commits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.bulkwrite import Database, connection_of
from common.db import RawStatement
from common.periods import Period
from services.programme.statistics.models import (
    CountyStatistic,
    CountyStatisticRevision,
    MainProduct,
)


async def statistics_for_update(
    session: AsyncSession, county_code: str, period: Period, figures: Sequence[str]
) -> dict[str, CountyStatistic]:
    rows = await session.scalars(
        select(CountyStatistic)
        .where(
            CountyStatistic.county_code == county_code,
            CountyStatistic.period_kind == period.kind.value,
            CountyStatistic.period_start == period.start,
            CountyStatistic.figure.in_(figures),
        )
        .order_by(CountyStatistic.figure)
        .with_for_update()
    )
    return {row.figure: row for row in rows}


async def statistics_of(
    session: AsyncSession,
    county_code: str,
    *,
    kind: str | None,
    first: date | None,
    last: date | None,
) -> Sequence[CountyStatistic]:
    stmt = select(CountyStatistic).where(CountyStatistic.county_code == county_code)
    if kind is not None:
        stmt = stmt.where(CountyStatistic.period_kind == kind)
    if first is not None:
        stmt = stmt.where(CountyStatistic.period_start >= first)
    if last is not None:
        stmt = stmt.where(CountyStatistic.period_start <= last)
    stmt = stmt.order_by(
        CountyStatistic.period_start, CountyStatistic.period_kind, CountyStatistic.figure
    )
    return (await session.scalars(stmt)).all()


async def revisions(
    session: AsyncSession, county_code: str, period: Period, figure: str
) -> Sequence[CountyStatisticRevision]:
    stmt = (
        select(CountyStatisticRevision)
        .join(CountyStatistic, CountyStatistic.id == CountyStatisticRevision.statistic_id)
        .where(
            CountyStatistic.county_code == county_code,
            CountyStatistic.period_kind == period.kind.value,
            CountyStatistic.period_start == period.start,
            CountyStatistic.figure == figure,
        )
        .order_by(CountyStatisticRevision.revision)
    )
    return (await session.scalars(stmt)).all()


@dataclass(frozen=True)
class FigureSums:
    value: Decimal
    counties: int
    compared: Decimal | None
    year_before: Decimal | None
    compared_counties: int


# One statement (reads run in autocommit: one snapshot for all the figures). A county's
# growth counts only where it recorded both periods, so a county that starts recording does
# not show as growth.
_INDICATORS = RawStatement(
    text("""
WITH current AS (
    SELECT county_code, figure, value FROM programme.county_statistic
    WHERE county_code LIKE :prefix AND period_kind = :kind AND period_start = :start
), before AS (
    SELECT county_code, figure, value FROM programme.county_statistic
    WHERE county_code LIKE :prefix AND period_kind = :kind AND period_start = :before
), figures AS (
    SELECT c.figure, sum(c.value) AS value, count(*) AS counties,
           sum(c.value) FILTER (WHERE b.value IS NOT NULL) AS compared,
           sum(b.value) AS year_before, count(b.value) AS compared_counties
    FROM current c
    LEFT JOIN before b ON b.county_code = c.county_code AND b.figure = c.figure
    GROUP BY c.figure
), products AS (
    SELECT count(*) FILTER (WHERE sold_online) AS online, count(*) AS total
    FROM programme.main_product WHERE county_code LIKE :prefix
)
SELECT f.figure, f.value, f.counties, f.compared, f.year_before, f.compared_counties,
       p.online, p.total
FROM products p LEFT JOIN figures f ON true
""")
)


async def indicator_sums(
    db: Database, prefix: str, period: Period
) -> tuple[dict[str, FigureSums], int, int]:
    """Sums of each figure under ``prefix`` for ``period`` and its year before, and the
    main products online and in all."""
    rows = await _INDICATORS.fetch(
        await connection_of(db),
        prefix=prefix + "%",
        kind=period.kind.value,
        start=period.start,
        before=period.year_before().start,
    )
    sums = {
        row["figure"]: FigureSums(
            row["value"], row["counties"], row["compared"], row["year_before"],
            row["compared_counties"],
        )
        for row in rows
        if row["figure"] is not None
    }  # fmt: skip
    return sums, rows[0]["online"], rows[0]["total"]


async def products_of(session: AsyncSession, county_code: str) -> Sequence[MainProduct]:
    return (
        await session.scalars(
            select(MainProduct)
            .where(MainProduct.county_code == county_code)
            .order_by(MainProduct.id)
        )
    ).all()


async def product_count(session: AsyncSession, county_code: str) -> int:
    return (
        await session.scalar(select(func.count()).where(MainProduct.county_code == county_code))
        or 0
    )


async def product_for_update(
    session: AsyncSession, county_code: str, product_id: int
) -> MainProduct | None:
    return await session.scalar(
        select(MainProduct)
        .where(MainProduct.county_code == county_code, MainProduct.id == product_id)
        .with_for_update()
    )


async def product_named(session: AsyncSession, county_code: str, name: str) -> MainProduct | None:
    return await session.scalar(
        select(MainProduct).where(MainProduct.county_code == county_code, MainProduct.name == name)
    )
