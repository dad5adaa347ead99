"""Is a point where it claims to be? The check every component applies to a place it is
sent (a station, a depot): inside China, and inside its county's boundary.

It works on any table of county boundaries with ``county_code`` and ``geom`` (stations'
own ``county_boundary``, or a component's reference copy, docs/adr/0020) and names the
county from any table of divisions with ``code`` and ``name``.
"""

from collections.abc import Sequence
from typing import Any

from geoalchemy2 import Geography, WKTElement
from sqlalchemy import Float, Text, cast, column, func, select, values
from sqlalchemy.ext.asyncio import AsyncSession

from common.coords import CRS, outside_china, to_wgs84
from common.errors import Problem, Unprocessable
from common.identifiers import county_code
from common.locations import swapped_message

# County boundaries are simplified (about 100–300 vertices per county), so a place on the
# real border can fall a few hundred metres outside the stored polygon. 500 m absorbs that
# and still catches the usual mistakes (GCJ-02 sent as WGS-84 is off by 250–620 m inside
# the county, but a point in the neighbouring county is kilometres out).
COUNTY_TOLERANCE_M = 500


def outside_china_problem(lon: float, lat: float, *, field: str = "location") -> Problem | None:
    """``outside_china``, or ``lat_lon_swapped`` when the other order would be in China."""
    if not outside_china(lon, lat):
        return None
    if not outside_china(lat, lon):
        detail, detail_zh = swapped_message(lon, lat)
        return Unprocessable(detail, detail_zh=detail_zh, code="lat_lon_swapped", field=field)
    return Unprocessable(
        f"({lon}, {lat}) is outside China; send lon then lat",
        detail_zh=f"({lon}, {lat}) 不在中国境内;请按 经度、纬度 顺序填写",
        code="outside_china",
        field=field,
    )


async def county_distances_m(
    session: AsyncSession, boundaries: type[Any], points: Sequence[tuple[str, float, float]]
) -> list[float | None]:
    """Geodesic distance in metres from each (county code, lon, lat) WGS-84 point to that
    county's boundary (0 inside it), in one query; None where the county has no boundary."""
    if not points:
        return []
    sent = values(
        column("n", Float), column("county", Text), column("lon", Float), column("lat", Float),
        name="sent",
    ).data([(i, c, lon, lat) for i, (c, lon, lat) in enumerate(points)])  # fmt: skip
    point = cast(func.ST_SetSRID(func.ST_MakePoint(sent.c.lon, sent.c.lat), 4326), Geography)
    stmt = select(sent.c.n, func.ST_Distance(cast(boundaries.geom, Geography), point)).join(
        boundaries, boundaries.county_code == sent.c.county
    )
    found = {int(n): distance for n, distance in await session.execute(stmt)}
    return [found.get(i) for i in range(len(points))]


async def county_name(session: AsyncSession, divisions: type[Any], county: str) -> str:
    name = await session.scalar(select(divisions.name).where(divisions.code == county))
    return name or county


def outside_county_problem(
    county: str, name: str, distance: float, *, what: str, what_zh: str, field: str = "location"
) -> Unprocessable:
    return Unprocessable(
        f"the point is {distance:,.0f} m outside {name} ({county}); a {what} must lie in its "
        f"county (tolerance {COUNTY_TOLERANCE_M} m)",
        detail_zh=f"该位置在{name}({county})边界外 {distance:,.0f} 米;{what_zh}必须位于本县域内"
        f"(容差 {COUNTY_TOLERANCE_M} 米)",
        code="outside_county",
        field=field,
        county_code=county,
        county_name=name,
        distance_m=round(distance),
        tolerance_m=COUNTY_TOLERANCE_M,
    )


async def place_in_county(
    session: AsyncSession,
    *,
    boundaries: type[Any],
    divisions: type[Any],
    lon: float,
    lat: float,
    crs: CRS,
    division_code: str,
    what: str,
    what_zh: str,
    field: str = "location",
) -> WKTElement:
    """The WGS-84 point to store, or the problem (``outside_china``, ``outside_county``);
    counties without a boundary get the China-wide check only."""
    problem = outside_china_problem(lon, lat, field=field)
    if problem is not None:
        raise problem
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    county = county_code(division_code)
    [distance] = await county_distances_m(session, boundaries, [(county, wgs_lon, wgs_lat)])
    if distance is not None and distance > COUNTY_TOLERANCE_M:
        name = await county_name(session, divisions, county)
        raise outside_county_problem(
            county, name, distance, what=what, what_zh=what_zh, field=field
        )
    return WKTElement(f"POINT({wgs_lon!r} {wgs_lat!r})", srid=4326)
