"""Where a station may sit: its division by tier, and its parent (ADR 0007)."""

from geoalchemy2 import WKTElement
from sqlalchemy.ext.asyncio import AsyncSession

from common.coords import CRS
from common.errors import (
    Unprocessable,
)
from common.identifiers import (
    PREFIX_LENGTH,
    DivisionClass,
    DivisionLevel,
    county_code,
    parent_code,
)
from common.placement import (
    place_in_county,
)
from services.stations.divisions.models import CountyBoundary, Division
from services.stations.registry import repository
from services.stations.registry.models import (
    Station,
    StationTier,
)
from services.stations.registry.schemas import (
    Location,
)
from services.stations.registry.views import publish

TIER_LEVEL = {
    StationTier.COUNTY: DivisionLevel.COUNTY,
    StationTier.TOWNSHIP: DivisionLevel.TOWNSHIP,
    StationTier.VILLAGE: DivisionLevel.VILLAGE,
}
TIER_ZH = {
    StationTier.COUNTY: "县级中心",
    StationTier.TOWNSHIP: "乡镇服务站",
    StationTier.VILLAGE: "村级服务点",
}
LEVEL_ZH = {
    DivisionLevel.PROVINCE: "省级",
    DivisionLevel.PREFECTURE: "地级",
    DivisionLevel.COUNTY: "县级",
    DivisionLevel.TOWNSHIP: "乡级",
    DivisionLevel.VILLAGE: "村级",
}

# --- placement -------------------------------------------------------------------------------


async def placed_division(session: AsyncSession, tier: StationTier, code: str) -> None:
    division = await repository.division(session, code)
    if division is None:
        raise Unprocessable(
            f"no division {code} in the statistical division list",
            detail_zh=f"统计用区划代码中没有 {code}",
            code="unknown_division",
            field="division_code",
        )
    if division.until_edition is not None:
        raise Unprocessable(
            f"division {code} ({division.name}) is no longer current: the "
            f"{division.until_edition} edition was the last to list it",
            detail_zh=f"区划 {code}({division.name})已撤销,最后见于 {division.until_edition} 年版",
            code="division_not_current",
            field="division_code",
        )
    level = DivisionLevel(division.level)
    wanted = TIER_LEVEL[tier]
    if level is not wanted:
        raise Unprocessable(
            f"a {tier.value} station must sit on a {wanted.value}-level division; "
            f"{code} ({division.name}) is {level.value}-level",
            detail_zh=f"{TIER_ZH[tier]}必须设在{LEVEL_ZH[wanted]}区划上;"
            f"{code}({division.name})是{LEVEL_ZH[level]}区划",
            code="tier_level_mismatch",
            field="tier",
            division_level=level.value,
        )
    # Coverage counts administrative villages: village committees (村委会/嘎查, NBS
    # sequence 200–399). Residents' committees are urban communities the programme does not
    # target, and 400–599 units are unconfirmed or virtual.
    if tier is StationTier.VILLAGE and division.division_class != DivisionClass.VILLAGE_COMMITTEE:
        raise Unprocessable(
            f"village points stand on village committees (sequence 200–399); {code} "
            f"({division.name}) is a {division.division_class}",
            detail_zh=f"村级服务点只能设在村委会(代码末三位 200–399);{code}({division.name})不是村委会",
            code="not_village_committee",
            field="division_code",
            division_class=division.division_class,
        )


async def place(
    session: AsyncSession,
    location: Location,
    crs: CRS,
    division_code: str,
    *,
    confirmed: bool = False,
) -> WKTElement:
    """The stored WGS-84 point, checked against China and the county's boundary
    (``common.placement``: a point inside another county's boundary needs ``confirmed``)."""
    return await place_in_county(
        session,
        boundaries=CountyBoundary,
        divisions=Division,
        lon=location.lon,
        lat=location.lat,
        crs=crs,
        division_code=division_code,
        what="station",
        what_zh="站点",
        confirmed=confirmed,
    )


# --- parents -----------------------------------------------------------------------------


async def parent_candidates(
    session: AsyncSession, tier: StationTier, division_code: str
) -> list[Station]:
    """The stations that may be the parent, preferred (oldest) first; empty: no parent."""
    if tier is StationTier.COUNTY:
        return []
    if tier is StationTier.VILLAGE:
        township = parent_code(division_code)
        assert township is not None
        stations = await repository.open_stations_at(session, StationTier.TOWNSHIP, township)
        if stations:
            return stations
    return await repository.open_stations_at(
        session, StationTier.COUNTY, county_code(division_code)
    )


def _parent_rule(tier: StationTier) -> tuple[str, str]:
    if tier is StationTier.TOWNSHIP:
        return (
            "a township station's parent is its county centre",
            "乡镇服务站的上级是本县的县级中心",
        )
    return (
        "a village point's parent is its township's station, or the county centre when the "
        "township has none",
        "村级服务点的上级是本乡镇的服务站;乡镇没有服务站时为县级中心",
    )


async def resolve_parent(
    session: AsyncSession, tier: StationTier, division_code: str, given: str | None
) -> Station | None:
    candidates = await parent_candidates(session, tier, division_code)
    if given is None:
        return candidates[0] if candidates else None
    if tier is StationTier.COUNTY:
        raise Unprocessable(
            "a county centre has no parent",
            detail_zh="县级中心没有上级站点",
            code="wrong_parent",
            field="parent",
            allowed_parents=[],
        )
    parent = await repository.station_by_code(session, given)
    if parent is None:
        raise Unprocessable(
            f"no station {given}",
            detail_zh=f"没有站点 {given}",
            code="unknown_parent",
            field="parent",
        )
    if any(c.id == parent.id for c in candidates):
        return parent
    rule, rule_zh = _parent_rule(tier)
    allowed = [c.code for c in candidates]
    expected = ", ".join(allowed) if allowed else "none yet (leave parent empty)"
    raise Unprocessable(
        f"{given} cannot be the parent: {rule} (and not closed); expected {expected}",
        detail_zh=f"{given} 不能作为上级:{rule_zh}(且未关闭);应为 {', '.join(allowed) or '空'}",
        code="wrong_parent",
        field="parent",
        allowed_parents=allowed,
    )


async def realign_parents(session: AsyncSession, prefix: str) -> None:
    """Re-derive the parents below a county centre or township station that was just
    registered or closed, for every open station whose parent no longer follows the rule
    (e.g. village points that pointed at the county centre get their new township station)."""
    county = county_code(prefix.ljust(12, "0"))
    centres = await repository.open_stations_at(session, StationTier.COUNTY, county)
    townships = await repository.open_stations_under(session, StationTier.TOWNSHIP, prefix)
    by_township: dict[str, list[Station]] = {}
    for station in townships:
        by_township.setdefault(station.division_code[:9], []).append(station)
    moves: dict[int, Station | None] = {}
    for station_id, tier, division_code, parent_id in await repository.children_under(
        session, prefix
    ):
        valid = (
            centres
            if tier == StationTier.TOWNSHIP
            else (by_township.get(division_code[:9]) or centres)
        )
        if valid and parent_id not in {s.id for s in valid}:
            moves[station_id] = valid[0]
        elif not valid and parent_id is not None:
            moves[station_id] = None
    children = await repository.stations_for_update(session, list(moves))
    for child in children:
        parent = moves[child.id]
        child.parent_id = parent.id if parent is not None else None
        child.version += 1
    await session.flush()
    for child in children:
        parent = moves[child.id]
        publish(session, child, parent.code if parent is not None else None, "reparented")


def hierarchy_prefix(station: Station) -> str | None:
    """Where parents may need re-deriving when this station appears or closes."""
    if station.tier == StationTier.COUNTY:
        return station.division_code[: PREFIX_LENGTH[DivisionLevel.COUNTY]]
    if station.tier == StationTier.TOWNSHIP:
        return station.division_code[: PREFIX_LENGTH[DivisionLevel.TOWNSHIP]]
    return None
