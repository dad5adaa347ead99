"""Queries of the station registry. Only flushes; the request scope commits."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import asyncpg
from geoalchemy2 import Geography
from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from common.db import RawStatement
from common.pagination import PageParams, keyset
from services.stations.divisions.models import Division, DivisionFlag
from services.stations.registry.models import Station, StationStatus, StationTier, StationTransition
from services.stations.reports.models import MonthlyReport

_Parent = aliased(Station, name="parent_station")
_CLOSED = StationStatus.CLOSED.value


@dataclass
class StationRow:
    """A station with what its representation needs from other rows. ``station`` is the
    entity, or for a plain read (``read_row``) a Core row with the same attributes."""

    station: Station
    division_name: str
    parent_code: str | None


@dataclass
class StationQuery:
    """Filters of the station list; coordinates already in WGS-84."""

    prefix: str | None = None
    tiers: Sequence[str] = ()
    statuses: Sequence[str] = ()
    services: Sequence[str] = ()
    poor_village: bool | None = None
    demonstration_county: bool | None = None
    near: tuple[float, float, float] | None = None  # lon, lat, radius in metres
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat


def _box_around(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """A lon/lat box that surely holds the circle (5 % margin; a degree of latitude is at
    least 110,574 m, a degree of longitude 111,320 m × cos(latitude))."""
    dlat = radius_m / 110_574 * 1.05
    edge = min(89.0, abs(lat) + dlat)
    dlon = min(180.0, radius_m / (111_320 * math.cos(math.radians(edge))) * 1.05)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def _rows() -> Select[tuple[Station, str, str | None]]:
    return (
        select(Station, Division.name, _Parent.code)
        .join(Division, Division.code == Station.division_code)
        .outerjoin(_Parent, _Parent.id == Station.parent_id)
        # Re-read columns the database set (updated_at, location as WKB) after a flush.
        .execution_options(populate_existing=True)
    )


async def lock_county(session: AsyncSession, county: str) -> None:
    """Serialise registry writes within one county (codes, parents, one point per village).

    Registry writes are rare (officials, a few per minute per county), so one transaction-
    level advisory lock per county is simpler and safer than reasoning about each race.
    """
    await lock_counties(session, [county])


async def lock_counties(
    session: AsyncSession, counties: Iterable[str], *, shared: bool = False
) -> None:
    """The counties' advisory locks, in ascending code order, before any station row.

    The one lock order of the stations schema: the request's idempotency key, then county
    locks in code order, then station rows in id order. Registry writes take their county
    exclusively (closing a township station re-parents the village points below it);
    report writers take theirs shared, so they run side by side but never hold a station
    row a registry write of their county waits for while waiting for one it holds — the
    deadlock a county's upload and a township's closing met otherwise.
    """
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    # OFFSET 0 keeps the sorted subquery apart, so the locks are taken in its order.
    await session.execute(
        text(
            f"SELECT count({function}(hashtextextended('stations:county:' || county, 0)))"
            " FROM (SELECT DISTINCT county FROM unnest(CAST(:counties AS text[])) AS county"
            " ORDER BY county OFFSET 0) AS ordered"
        ),
        {"counties": sorted({county[:6] for county in counties})},
    )


async def division(session: AsyncSession, code: str) -> Division | None:
    return await session.get(Division, code)


async def last_sequence(session: AsyncSession, division_code: str) -> int:
    """The highest sequence ever used at a division: stations are never deleted, so a code
    once given is never given again."""
    highest = await session.scalar(
        select(func.max(cast(func.split_part(Station.code, literal("-"), 2), Integer))).where(
            Station.division_code == division_code
        )
    )
    return int(highest or 0)


async def open_village_point(session: AsyncSession, division_code: str) -> Station | None:
    return await session.scalar(
        select(Station)
        .where(
            Station.division_code == division_code,
            Station.tier == StationTier.VILLAGE.value,
            Station.status != _CLOSED,
        )
        .limit(1)
    )


async def open_stations_at(
    session: AsyncSession, tier: StationTier, division_code: str
) -> list[Station]:
    """Stations of a tier at one division that are not closed, oldest first."""
    rows = await session.scalars(
        select(Station)
        .where(
            Station.tier == tier.value,
            Station.division_code == division_code,
            Station.status != _CLOSED,
        )
        .order_by(Station.id)
    )
    return list(rows)


async def open_stations_under(
    session: AsyncSession, tier: StationTier, prefix: str
) -> list[Station]:
    rows = await session.scalars(
        select(Station)
        .where(
            Station.tier == tier.value,
            Station.division_code.startswith(prefix),
            Station.status != _CLOSED,
        )
        .order_by(Station.id)
    )
    return list(rows)


async def children_under(
    session: AsyncSession, prefix: str
) -> list[tuple[int, str, str, int | None]]:
    """(id, tier, division code, parent id) of open township stations and village points
    under a division prefix: cheap columns only, to find the few whose parent must change."""
    rows = await session.execute(
        select(Station.id, Station.tier, Station.division_code, Station.parent_id).where(
            Station.division_code.startswith(prefix),
            Station.tier != StationTier.COUNTY.value,
            Station.status != _CLOSED,
        )
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def stations_for_update(session: AsyncSession, ids: Sequence[int]) -> list[Station]:
    if not ids:
        return []
    rows = await session.scalars(
        select(Station).where(Station.id.in_(ids)).order_by(Station.id).with_for_update()
    )
    return list(rows)


async def station_by_code(session: AsyncSession, code: str) -> Station | None:
    return await session.scalar(select(Station).where(Station.code == code))


# One station by code, for GET: a Core statement made once, so a read neither rebuilds the
# query nor loads an ORM entity (identity map, instance state, ``populate_existing``). The
# same SELECT as ``_rows`` (``station`` columns, division name, parent code) with labels.
_station = Station.__table__
_parent = _station.alias("parent_station")
_division = Division.__table__
READ_BY_CODE = (
    select(
        *_station.columns,
        _division.c.name.label("division_name"),
        _parent.c.code.label("parent_code"),
    )
    .join(_division, _division.c.code == _station.c.division_code)
    .outerjoin(_parent, _parent.c.id == _station.c.parent_id)
    .where(_station.c.code == bindparam("code"))
)


_READ_BY_CODE = RawStatement(READ_BY_CODE)


async def read_row(conn: asyncpg.Connection, code: str) -> StationRow | None:
    """The station ``row_by_code`` finds, to show and not to change, read on the asyncpg
    connection (``common.db.read_connection``): its ``station`` has the row's columns as
    attributes (``code``, ``location`` as EWKB bytes, …), it is not an entity."""
    found = await _READ_BY_CODE.fetchrow(conn, code=code)
    if found is None:
        return None
    return StationRow(SimpleNamespace(**found), found["division_name"], found["parent_code"])  # type: ignore[arg-type]


async def row_by_code(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> StationRow | None:
    stmt = _rows().where(Station.code == code)
    if for_update:
        stmt = stmt.with_for_update(of=Station)
    found = (await session.execute(stmt)).first()
    return StationRow(found[0], found[1], found[2]) if found else None


async def list_rows(
    session: AsyncSession, query: StationQuery, params: PageParams
) -> list[StationRow]:
    stmt = _rows()
    if query.prefix:
        stmt = stmt.where(Station.division_code.startswith(query.prefix))
    if query.tiers:
        stmt = stmt.where(Station.tier.in_(list(query.tiers)))
    if query.statuses:
        stmt = stmt.where(Station.status.in_(list(query.statuses)))
    if query.services:
        # The model's ARRAY is the generic type; ``@>`` needs PostgreSQL's.
        offered = type_coerce(Station.services, PG_ARRAY(String(24)))
        stmt = stmt.where(offered.contains(list(query.services)))
    if query.poor_village is not None:
        # 建档立卡贫困村 flags sit on the village committee a village point stands on.
        flagged = exists().where(
            DivisionFlag.code == Station.division_code, DivisionFlag.poor_village.is_(True)
        )
        stmt = stmt.where(flagged if query.poor_village else ~flagged)
    if query.demonstration_county is not None:
        demonstration = exists().where(
            DivisionFlag.code == func.rpad(func.left(Station.division_code, 6), 12, "0"),
            DivisionFlag.demonstration_year.is_not(None),
        )
        stmt = stmt.where(demonstration if query.demonstration_county else ~demonstration)
    if query.bbox is not None:
        stmt = stmt.where(
            func.ST_Intersects(Station.location, func.ST_MakeEnvelope(*query.bbox, 4326))
        )
    if query.near is not None:
        lon, lat, radius = query.near
        point = cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography)
        # The box lets the planner use the geometry index; the geodesic test decides.
        box = func.ST_MakeEnvelope(*_box_around(lon, lat, radius), 4326)
        stmt = stmt.where(
            Station.location.op("&&")(box),
            func.ST_DWithin(cast(Station.location, Geography), point, radius),
        )
    stmt = keyset(stmt, [Station.code], params)
    return [StationRow(r[0], r[1], r[2]) for r in (await session.execute(stmt)).all()]


async def transition(session: AsyncSession, transition_id: int) -> StationTransition | None:
    return await session.get(StationTransition, transition_id)


async def transitions(
    session: AsyncSession, station_id: int, params: PageParams | None = None
) -> list[StationTransition]:
    stmt = select(StationTransition).where(StationTransition.station_id == station_id)
    if params is None:
        stmt = stmt.order_by(StationTransition.id)
    else:
        stmt = keyset(stmt, [StationTransition.id], params)
    return list(await session.scalars(stmt))


async def reported_months(
    session: AsyncSession, station_id: int, first: date, last: date
) -> set[date]:
    rows = await session.scalars(
        select(MonthlyReport.month).where(
            MonthlyReport.station_id == station_id,
            MonthlyReport.month >= first,
            MonthlyReport.month <= last,
        )
    )
    return set(rows)
