"""Queries on divisions, county boundaries and division flags (the only SQL of the domain)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, case, exists, false, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from common.pagination import PageParams, keyset
from services.stations.divisions.models import CountyBoundary, Division, DivisionFlag

# Keeps each multi-row upsert well under PostgreSQL's 32,767 bind parameters.
UPSERT_CHUNK = 1000
GEOJSON_DECIMALS = 6  # about 0.1 m: finer than any boundary survey


@dataclass(frozen=True)
class DivisionRecord:
    division: Division
    flags: DivisionFlag | None
    county_level: bool
    has_boundary: bool


@dataclass(frozen=True)
class SearchFilters:
    q: str | None = None
    level: str | None = None
    division_class: str | None = None
    under: str | None = None  # significant digits of an ancestor, e.g. "1411"
    poverty_county: bool | None = None
    poor_village: bool | None = None
    demonstration: bool | None = None
    demonstration_year: int | None = None
    include_retired: bool = False


@dataclass(frozen=True)
class BoundaryRow:
    code: str
    name: str
    level: str
    source: str | None
    geometry: str | None  # GeoJSON text; None when no boundary is on file
    bbox: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class FlagValues:
    code: str
    poverty_county: bool
    poor_village: bool
    demonstration_year: int | None


def _county_level() -> ColumnElement[bool]:
    """County, or a prefecture-level city whose townships sit right below it (东莞 441900)."""
    child = aliased(Division)
    return case(
        (Division.level == "county", True),
        (
            Division.level == "prefecture",
            exists().where(child.parent_code == Division.code, child.level == "township"),
        ),
        else_=False,
    )


def _has_boundary() -> ColumnElement[bool]:
    return exists().where(CountyBoundary.county_code == Division.code)


def _record(row: Row[Any]) -> DivisionRecord:
    return DivisionRecord(
        division=row[0], flags=row[1], county_level=bool(row[2]), has_boundary=bool(row[3])
    )


def _records_stmt() -> Select[Any]:
    return select(Division, DivisionFlag, _county_level(), _has_boundary()).outerjoin(
        DivisionFlag, DivisionFlag.code == Division.code
    )


async def get_record(session: AsyncSession, code: str) -> DivisionRecord | None:
    row = (await session.execute(_records_stmt().where(Division.code == code))).first()
    return _record(row) if row else None


async def get_records(session: AsyncSession, codes: Sequence[str]) -> dict[str, DivisionRecord]:
    if not codes:
        return {}
    rows = (await session.execute(_records_stmt().where(Division.code.in_(codes)))).all()
    return {row[0].code: _record(row) for row in rows}


async def lock_flags(session: AsyncSession, codes: Sequence[str]) -> dict[str, DivisionFlag]:
    """The current flags of ``codes``, locked until commit (in code order: no deadlocks)."""
    if not codes:
        return {}
    stmt = (
        select(DivisionFlag)
        .where(DivisionFlag.code.in_(codes))
        .order_by(DivisionFlag.code)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {flag.code: flag for flag in (await session.scalars(stmt)).all()}


async def get_divisions(session: AsyncSession, codes: Sequence[str]) -> list[Division]:
    """The divisions among ``codes`` that exist, in code order (for ancestors: province first)."""
    if not codes:
        return []
    stmt = select(Division).where(Division.code.in_(codes)).order_by(Division.code)
    return list((await session.scalars(stmt)).all())


def _subtree(prefix: str) -> ColumnElement[bool]:
    """Strictly below the division whose significant digits are ``prefix``: one index range."""
    return (
        (Division.code >= prefix.ljust(12, "0"))
        & (Division.code <= prefix.ljust(12, "9"))
        & (Division.code != prefix.ljust(12, "0"))
    )


def _flag_is(column: Any, wanted: bool) -> ColumnElement[bool]:
    return column.is_(True) if wanted else func.coalesce(column, false()).is_(False)


async def search(
    session: AsyncSession, filters: SearchFilters, params: PageParams
) -> Sequence[Row[Any]]:
    """(Division, DivisionFlag | None) rows in code order, one more than a page."""
    stmt = select(Division, DivisionFlag).outerjoin(
        DivisionFlag, DivisionFlag.code == Division.code
    )
    if filters.q:
        stmt = stmt.where(Division.name.contains(filters.q, autoescape=True))
    if filters.level:
        stmt = stmt.where(Division.level == filters.level)
    if filters.division_class:
        stmt = stmt.where(Division.division_class == filters.division_class)
    if filters.under:
        stmt = stmt.where(_subtree(filters.under))
    if not filters.include_retired:
        stmt = stmt.where(Division.until_edition.is_(None))
    if filters.poverty_county is not None:
        stmt = stmt.where(_flag_is(DivisionFlag.poverty_county, filters.poverty_county))
    if filters.poor_village is not None:
        stmt = stmt.where(_flag_is(DivisionFlag.poor_village, filters.poor_village))
    if filters.demonstration is not None:
        year = DivisionFlag.demonstration_year
        stmt = stmt.where(year.is_not(None) if filters.demonstration else year.is_(None))
    if filters.demonstration_year is not None:
        stmt = stmt.where(DivisionFlag.demonstration_year == filters.demonstration_year)
    return (await session.execute(keyset(stmt, [Division.code], params))).all()


async def children(
    session: AsyncSession, code: str, *, include_retired: bool, params: PageParams
) -> Sequence[Row[Any]]:
    stmt = (
        select(Division, DivisionFlag)
        .outerjoin(DivisionFlag, DivisionFlag.code == Division.code)
        .where(Division.parent_code == code)
    )
    if not include_retired:
        stmt = stmt.where(Division.until_edition.is_(None))
    return (await session.execute(keyset(stmt, [Division.code], params))).all()


async def get_boundary(
    session: AsyncSession, code: str, *, simplify: float | None = None
) -> BoundaryRow | None:
    """The division and, when on file, its boundary as GeoJSON text (None: no such division)."""
    geom: Any = CountyBoundary.geom
    if simplify:
        geom = func.ST_SimplifyPreserveTopology(geom, simplify)
    stmt = (
        select(
            Division.code,
            Division.name,
            Division.level,
            CountyBoundary.source,
            func.ST_AsGeoJSON(geom, GEOJSON_DECIMALS),
            func.ST_XMin(CountyBoundary.geom),
            func.ST_YMin(CountyBoundary.geom),
            func.ST_XMax(CountyBoundary.geom),
            func.ST_YMax(CountyBoundary.geom),
        )
        .outerjoin(CountyBoundary, CountyBoundary.county_code == Division.code)
        .where(Division.code == code)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    bbox = None if row[5] is None else (row[5], row[6], row[7], row[8])
    return BoundaryRow(
        code=row[0], name=row[1], level=row[2], source=row[3], geometry=row[4], bbox=bbox
    )


async def upsert_flags(
    session: AsyncSession, values: Sequence[FlagValues], *, updated_by: str
) -> dict[str, tuple[datetime, int]]:
    """Write flags; returns each code's new ``updated_at`` and ``version``."""
    written: dict[str, tuple[datetime, int]] = {}
    for start in range(0, len(values), UPSERT_CHUNK):
        chunk = values[start : start + UPSERT_CHUNK]
        stmt = insert(DivisionFlag).values(
            [
                {
                    "code": v.code,
                    "poverty_county": v.poverty_county,
                    "poor_village": v.poor_village,
                    "demonstration_year": v.demonstration_year,
                    "updated_by": updated_by,
                    "version": 1,
                }
                for v in chunk
            ]
        )
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[DivisionFlag.code],
            set_={
                "poverty_county": excluded.poverty_county,
                "poor_village": excluded.poor_village,
                "demonstration_year": excluded.demonstration_year,
                "updated_by": excluded.updated_by,
                "updated_at": func.now(),
                "version": DivisionFlag.version + 1,
            },
        ).returning(DivisionFlag.code, DivisionFlag.updated_at, DivisionFlag.version)
        for code, updated_at, version in (await session.execute(stmt)).all():
            written[code] = (updated_at, version)
    return written


# The reference snapshot consumers load (common.reference.DIVISION_COLUMNS, in that order);
# one statement each, so each is consistent in itself without a transaction around it.
DIVISIONS_SNAPSHOT = """
SELECT d.code, d.name, d.level, d.division_class, d.parent_code, d.since_edition,
       d.until_edition, coalesce(f.poverty_county, false), coalesce(f.poor_village, false),
       f.demonstration_year, coalesce(f.version, 0)
FROM stations.division d LEFT JOIN stations.division_flag f ON f.code = d.code
"""
# geometry's text form is hex EWKB, which geometry's input reads back as it was.
BOUNDARIES_SNAPSHOT = "SELECT county_code, geom FROM stations.county_boundary"
