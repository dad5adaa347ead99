"""Is a point where it claims to be? The check every component applies to a place it is
sent (a station, a depot): inside China, and inside its county's boundary.

Up to ``COUNTY_TOLERANCE_M`` outside its county is accepted — the boundaries are simplified —
but not a point that lies inside *another* county's boundary: that is what GCJ-02
coordinates (AMap, Tencent) sent as WGS-84 do near a border, shifted 550–600 m, most of
them into the neighbouring county. Such a point is ``in_other_county`` (422) naming both
counties and, when the numbers read in another coordinate system lie inside the place's
county, the likely mix-up ("send crs=gcj02"); a place that really stands there is kept when
the client confirms it (``confirmed``) after checking a map. Beyond the tolerance it is
``outside_county``, naming the other county too. Counties without a boundary (development
zones, which lie inside other counties) get the China-wide check only.

It works on any table of county boundaries with ``county_code`` and ``geom`` (stations'
own ``county_boundary``, or a component's reference copy, docs/adr/0020) and names the
county from any table of divisions with ``code`` and ``name``.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from geoalchemy2 import Geography, WKTElement
from sqlalchemy import Float, Text, cast, column, func, select, true, values
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


@dataclass(frozen=True, slots=True)
class SentPoint:
    """A place as a client sent it: its division's county, and the numbers in ``crs``;
    ``confirmed``: the client checked on a map that a point our boundaries put just across
    the border is right."""

    county: str
    lon: float
    lat: float
    crs: CRS
    confirmed: bool = False

    def wgs84(self) -> tuple[float, float]:
        return to_wgs84(self.lon, self.lat, self.crs)


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


async def county_placements(
    session: AsyncSession, boundaries: type[Any], points: Sequence[tuple[str, float, float]]
) -> list[tuple[float | None, str | None]]:
    """For each (county code, lon, lat) WGS-84 point, in one query: the geodesic distance in
    metres to that county's boundary (0 inside; None without a boundary), and another county
    whose boundary holds the point (None when none does, or when it is inside its own)."""
    if not points:
        return []
    sent = values(
        column("n", Float), column("county", Text), column("lon", Float), column("lat", Float),
        name="sent",
    ).data([(i, c, lon, lat) for i, (c, lon, lat) in enumerate(points)])  # fmt: skip
    geometry = func.ST_SetSRID(func.ST_MakePoint(sent.c.lon, sent.c.lat), 4326)
    own = boundaries.__table__.alias("own")
    other = (
        select(boundaries.county_code.label("other"))
        .where(boundaries.county_code != sent.c.county, func.ST_Covers(boundaries.geom, geometry))
        .order_by(boundaries.county_code)
        .limit(1)
        .lateral("other")
    )
    distance = func.ST_Distance(cast(own.c.geom, Geography), cast(geometry, Geography))
    stmt = (
        select(sent.c.n, distance, other.c.other)
        .select_from(sent)
        .outerjoin(own, own.c.county_code == sent.c.county)
        .outerjoin(other, true())
    )
    found = {int(n): (d, None if d == 0 else o) for n, d, o in await session.execute(stmt)}
    return [found.get(i, (None, None)) for i in range(len(points))]


CRS_ZH = {
    CRS.WGS84: "WGS-84(GPS)",
    CRS.GCJ02: "GCJ-02(高德、腾讯地图)",
    CRS.BD09: "BD-09(百度地图)",
}


async def likely_crs(
    session: AsyncSession, boundaries: type[Any], points: Sequence[SentPoint]
) -> list[CRS | None]:
    """For each point, the coordinate system in which its numbers lie inside its county, if
    another than the one it was sent in; one query for all."""
    tried = [(point, other) for point in points for other in CRS if other is not point.crs]
    distances = await county_distances_m(
        session,
        boundaries,
        [(point.county, *to_wgs84(point.lon, point.lat, other)) for point, other in tried],
    )
    likely: dict[int, CRS] = {}
    for n, ((_, other), distance) in enumerate(zip(tried, distances, strict=True)):
        if distance == 0:
            likely.setdefault(n // (len(CRS) - 1), other)
    return [likely.get(n) for n in range(len(points))]


def in_other_county_problem(
    county: str,
    name: str,
    other: str,
    other_name: str,
    distance: float,
    *,
    crs: CRS,
    likely: CRS | None,
    field: str = "location",
) -> Unprocessable:
    """The point lies in ``other``'s boundary: ``in_other_county`` within the tolerance (the
    client may confirm it), ``outside_county`` beyond it; both say which crs would fit."""
    detail = (
        f"the point lies in {other_name} ({other}), {distance:,.0f} m outside {name} ({county})."
    )
    detail_zh = (
        f"该位置落在{other_name}({other})境内,距所在的{name}({county})边界 {distance:,.0f} 米。"
    )
    if likely is not None:
        detail += (
            f" Read as {likely.value} it lies inside {name}: were {likely.value} coordinates "
            f"sent as crs={crs.value}? Send crs={likely.value}."
        )
        detail_zh += (
            f"按 {CRS_ZH[likely]} 坐标解读则位于{name}内:是否把 {CRS_ZH[likely]} 坐标当作 "
            f"{crs.value} 发送了?请将 crs 设为 {likely.value}。"
        )
    within = distance <= COUNTY_TOLERANCE_M
    if within:
        detail += (
            " If it really stands there (the county boundaries are simplified), check it on "
            "a map and send confirm_location: true."
        )
        detail_zh += (
            "如确实位于此处(县界数据经过简化),请核对地图后加上 confirm_location: true 重新提交。"
        )
    return Unprocessable(
        detail,
        detail_zh=detail_zh,
        code="in_other_county" if within else "outside_county",
        field=field,
        county_code=county,
        county_name=name,
        other_county_code=other,
        other_county_name=other_name,
        distance_m=round(distance),
        tolerance_m=COUNTY_TOLERANCE_M,
        likely_crs=likely.value if likely else None,
    )


async def county_names(
    session: AsyncSession, divisions: type[Any], codes: Iterable[str]
) -> dict[str, str]:
    wanted = set(codes)
    if not wanted:
        return {}
    stmt = select(divisions.code, divisions.name).where(divisions.code.in_(wanted))
    return {row.code: row.name for row in await session.execute(stmt)}


async def county_name(session: AsyncSession, divisions: type[Any], county: str) -> str:
    return (await county_names(session, divisions, [county])).get(county, county)


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


async def placement_problems(
    session: AsyncSession,
    points: Sequence[SentPoint],
    *,
    boundaries: type[Any],
    divisions: type[Any],
    what: str,
    what_zh: str,
    field: str = "location",
) -> list[Problem | None]:
    """The rule of this module for each point (None: it may be stored): ``outside_china``,
    ``lat_lon_swapped``, ``in_other_county``, ``outside_county``. Three queries however many
    points (a bulk upload): where each lies, then for those refused their counties' names and
    the coordinate system that would put their numbers in their county."""
    problems = [outside_china_problem(p.lon, p.lat, field=field) for p in points]
    in_china = [n for n, problem in enumerate(problems) if problem is None]
    placed = await county_placements(
        session, boundaries, [(points[n].county, *points[n].wgs84()) for n in in_china]
    )
    refused = [
        (n, distance, other)
        for n, (distance, other) in zip(in_china, placed, strict=True)
        if distance is not None
        and distance > 0
        and (distance > COUNTY_TOLERANCE_M or (other is not None and not points[n].confirmed))
    ]
    if not refused:
        return problems
    names = await county_names(
        session,
        divisions,
        [points[n].county for n, _, _ in refused] + [o for _, _, o in refused if o is not None],
    )
    likely = await likely_crs(session, boundaries, [points[n] for n, _, _ in refused])
    for (n, distance, other), crs in zip(refused, likely, strict=True):
        point = points[n]
        name = names.get(point.county, point.county)
        if other is None:
            problem = outside_county_problem(
                point.county, name, distance, what=what, what_zh=what_zh, field=field
            )
            problem.extensions["likely_crs"] = crs.value if crs else None
        else:
            problem = in_other_county_problem(
                point.county,
                name,
                other,
                names.get(other, other),
                distance,
                crs=point.crs,
                likely=crs,
                field=field,
            )
        problems[n] = problem
    return problems


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
    confirmed: bool = False,
) -> WKTElement:
    """The WGS-84 point to store, or the problem ``placement_problems`` finds."""
    point = SentPoint(county_code(division_code), lon, lat, crs, confirmed)
    [problem] = await placement_problems(
        session, [point], boundaries=boundaries, divisions=divisions, what=what,
        what_zh=what_zh, field=field,
    )  # fmt: skip
    if problem is not None:
        raise problem
    wgs_lon, wgs_lat = point.wgs84()
    return WKTElement(f"POINT({wgs_lon!r} {wgs_lat!r})", srid=4326)
