"""Where a station may stand: inside China, inside its own county (docs/adr/0007, 0015).

County boundaries are simplified (about 100–300 vertices per county), so a station on the
real border can fall a few hundred metres outside the stored polygon: up to
``COUNTY_TOLERANCE_M`` outside its county is accepted — but not when the point lies inside
another county's boundary. That is what GCJ-02 coordinates (AMap, Tencent) sent as WGS-84
do near a border: shifted 550–600 m, most of them into the neighbouring county, some across
a provincial border. Such a point is refused (``in_other_county``; beyond the tolerance
``outside_county`` as any point kilometres out) naming both counties and,
when reading the numbers in another coordinate system puts them inside the station's county,
the likely mix-up. A real station our simplified polygons place just across the border is
stored when the client confirms it (``confirm_location: true``) after checking a map.
Counties without a boundary (development zones, which lie inside other counties) only get
the China-wide check.
"""

from geoalchemy2 import WKTElement
from sqlalchemy.ext.asyncio import AsyncSession

from common.coords import CRS, outside_china, to_wgs84
from common.errors import Unprocessable
from common.identifiers import county_code
from services.stations.registry import repository
from services.stations.registry.schemas import Location, swapped_message

COUNTY_TOLERANCE_M = 500
CRS_ZH = {
    CRS.WGS84: "WGS-84(GPS)",
    CRS.GCJ02: "GCJ-02(高德、腾讯地图)",
    CRS.BD09: "BD-09(百度地图)",
}


def outside_county(county: str, name: str, distance: float) -> tuple[str, str]:
    return (
        f"the point is {distance:,.0f} m outside {name} ({county}); a station must lie in its "
        f"county (tolerance {COUNTY_TOLERANCE_M} m)",
        f"该位置在{name}({county})边界外 {distance:,.0f} 米;站点必须位于本县域内"
        f"(容差 {COUNTY_TOLERANCE_M} 米)",
    )


async def county_name(session: AsyncSession, county: str) -> str:
    division = await repository.division(session, county)
    return division.name if division is not None else county


def _check_china(location: Location) -> None:
    if not outside_china(location.lon, location.lat):
        return
    if not outside_china(location.lat, location.lon):
        detail, detail_zh = swapped_message(location.lon, location.lat)
        raise Unprocessable(detail, detail_zh=detail_zh, code="lat_lon_swapped", field="location")
    raise Unprocessable(
        f"({location.lon}, {location.lat}) is outside China; send lon then lat",
        detail_zh=f"({location.lon}, {location.lat}) 不在中国境内;请按 经度、纬度 顺序填写",
        code="outside_china",
        field="location",
    )


async def _likely_crs(
    session: AsyncSession, location: Location, crs: CRS, county: str
) -> CRS | None:
    """The coordinate system in which the numbers sent lie inside the county, if another."""
    for other in CRS:
        if other is crs:
            continue
        lon, lat = to_wgs84(location.lon, location.lat, other)
        if await repository.county_distance_m(session, county, lon, lat) == 0:
            return other
    return None


def _crs_hint(crs: CRS, likely: CRS | None, county_label: str) -> tuple[str, str]:
    if likely is None:
        return "", ""
    return (
        f" Read as {likely.value} the point lies inside {county_label}: were {likely.value} "
        f"coordinates sent as crs={crs.value}? Send crs={likely.value}.",
        f"按 {CRS_ZH[likely]} 坐标解读则位于{county_label}内:是否把 {CRS_ZH[likely]} 坐标当作 "
        f"{crs.value} 发送了?请将 crs 设为 {likely.value}。",
    )


async def place(
    session: AsyncSession,
    location: Location,
    crs: CRS,
    division_code: str,
    *,
    confirmed: bool = False,
) -> WKTElement:
    """The stored WGS-84 point, checked against China and the county's boundary."""
    _check_china(location)
    lon, lat = to_wgs84(location.lon, location.lat, crs)
    county = county_code(division_code)
    distance, other = await repository.county_placement(session, county, lon, lat)
    if distance is None or distance == 0:
        return WKTElement(f"POINT({lon!r} {lat!r})", srid=4326)
    if distance <= COUNTY_TOLERANCE_M and (other is None or confirmed):
        return WKTElement(f"POINT({lon!r} {lat!r})", srid=4326)
    name = await county_name(session, county)
    likely = await _likely_crs(session, location, crs, county)
    hint, hint_zh = _crs_hint(crs, likely, f"{name}({county})")
    facts = {
        "county_code": county,
        "county_name": name,
        "distance_m": round(distance),
        "tolerance_m": COUNTY_TOLERANCE_M,
        "likely_crs": likely.value if likely else None,
    }
    if other is None:
        detail, detail_zh = outside_county(county, name, distance)
        raise Unprocessable(
            detail + hint,
            detail_zh=detail_zh + hint_zh,
            code="outside_county",
            field="location",
            **facts,
        )
    other_name = await county_name(session, other)
    detail = (
        f"the point lies in {other_name} ({other}), {distance:,.0f} m outside {name} "
        f"({county}), the station's county.{hint}"
    )
    detail_zh = (
        f"该位置落在{other_name}({other})境内,距本站所在的{name}({county})边界 "
        f"{distance:,.0f} 米。{hint_zh}"
    )
    if distance > COUNTY_TOLERANCE_M:
        raise Unprocessable(
            detail,
            detail_zh=detail_zh,
            code="outside_county",
            field="location",
            other_county_code=other,
            other_county_name=other_name,
            **facts,
        )
    raise Unprocessable(
        detail + " If the station really stands there (our county boundaries are "
        "simplified), check it on a map and send confirm_location: true.",
        detail_zh=detail_zh + "如站点确实位于此处(县界数据经过简化),请核对地图后加上 "
        "confirm_location: true 重新提交。",
        code="in_other_county",
        field="location",
        other_county_code=other,
        other_county_name=other_name,
        **facts,
    )
