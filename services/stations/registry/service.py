"""Rules of the station registry (see docs/adr/0007-station-registry.md for the choices).

- Placement: a tier sits on a current division of its level; village points only on village
  committees (村委会, sequence 200–399). Codes are ``<division>-<NN>``, NN one more than the
  highest ever used at that division, never reused (stations are never deleted).
- Parents: a township station's parent is its county centre; a village point's is its
  township's station, or the county centre while the township has none; with no candidate
  the parent is empty. "Has" means a station that is not closed. Omitted, the parent is
  derived (the oldest candidate); given, it must be a candidate. When a county centre or a
  township station is registered or closed, the parents of the stations below it are
  re-derived so the rule keeps holding, each move a new version on the change feed.
- Location: WGS-84 stored; inside the county's boundary (``common.placement``: within
  ``COUNTY_TOLERANCE_M`` unless the point lies in another county's boundary).
- Lifecycle: ``TRANSITIONS``; acceptance (验收) checks completeness and lists every gap.
- Every write takes the county's advisory lock, then the row lock, and records a change
  event in the same transaction.
"""

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from geoalchemy2 import WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.authz import require_division_writer
from common.changefeed import record_change
from common.coords import CRS, from_wgs84, outside_china, to_wgs84
from common.errors import (
    Conflict,
    Forbidden,
    InvalidValue,
    NotFound,
    Unprocessable,
    field_problem,
)
from common.etag import check_if_match
from common.identifiers import (
    PREFIX_LENGTH,
    DivisionClass,
    DivisionLevel,
    county_code,
    division_prefix,
    mask_name,
    mask_phone,
    normalize_credit_code,
    normalize_division_code,
    parent_code,
)
from common.months import CHINA_TZ, add_months, china_today
from common.pagination import PageParams, cursor_key
from common.placement import (
    COUNTY_TOLERANCE_M,
    county_distances_m,
    county_name,
    outside_county_problem,
    place_in_county,
)
from services.stations.authz import is_station_operator, manages_station, require_station_reader
from services.stations.changes.models import StationsChangeEvent
from services.stations.divisions.models import CountyBoundary, Division
from services.stations.registry import repository
from services.stations.registry.models import (
    Station,
    StationService,
    StationStatus,
    StationTier,
    StationTransition,
)
from services.stations.registry.repository import StationQuery, StationRow
from services.stations.registry.schemas import (
    STATION_CODE_PATTERN,
    CompanyOut,
    Location,
    LocationOut,
    OperatorOut,
    StationCreate,
    StationFeedPayload,
    StationOut,
    StationPatch,
    TransitionIn,
    TransitionOut,
)

MAX_SEQUENCE = 99
COORDINATE_DECIMALS = 7  # about 1 cm

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

S = StationStatus
# The lifecycle. suspended → accepted only resumes a station suspended while accepted
# (acceptance is not re-checked); one suspended while operating resumes as operating and is
# accepted later. closed is final: a village committee may then get a new point.
TRANSITIONS: dict[StationStatus, frozenset[StationStatus]] = {
    S.PLANNED: frozenset({S.BUILDING, S.CLOSED}),
    S.BUILDING: frozenset({S.OPERATING, S.CLOSED}),
    S.OPERATING: frozenset({S.ACCEPTED, S.SUSPENDED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.SUSPENDED, S.CLOSED}),
    S.SUSPENDED: frozenset({S.OPERATING, S.ACCEPTED, S.CLOSED}),
    S.CLOSED: frozenset(),
}
REASON_REQUIRED = frozenset({S.SUSPENDED, S.CLOSED})
_ORDER = list(StationStatus)


# --- authorization -------------------------------------------------------------------

OPERATOR_FIELDS = frozenset({"operator"})


def authorize_registry_write(principal: Principal, division_code: str) -> None:
    """Create and transition: admins, and officials whose subtree holds the division."""
    require_division_writer(principal, division_code)


def authorize_update(principal: Principal, station: Station, patch: StationPatch) -> None:
    """Officials inside their subtree edit everything; an operator only the operator fields
    of their own station; everyone else reads only."""
    if principal.role is Role.OPERATOR:
        if not is_station_operator(principal, station.code):
            raise Forbidden(
                f"operators may edit only their own station ({principal.station})",
                detail_zh="运营人员只能修改自己的站点",
                code="not_your_station",
            )
        others = sorted(patch.model_fields_set - OPERATOR_FIELDS)
        if others:
            raise Forbidden(
                f"operators may edit only the operator fields; not {', '.join(others)}",
                detail_zh=f"运营人员只能修改站长信息,不能修改 {', '.join(others)}",
                code="operator_fields_only",
                errors=[
                    field_problem(
                        name,
                        "operator_fields_only",
                        "operators may not edit this",
                        detail_zh="运营人员不能修改此项",
                    )
                    for name in others
                ],
            )
        return
    require_division_writer(principal, station.division_code)


# --- presentation ----------------------------------------------------------------------


def wgs84_point(geom: WKBElement | WKTElement | None) -> tuple[float, float] | None:
    if geom is None:
        return None
    point = to_shape(geom)
    return point.x, point.y


def _location_out(point: tuple[float, float] | None, crs: CRS) -> LocationOut | None:
    if point is None:
        return None
    lon, lat = from_wgs84(point[0], point[1], crs)
    return LocationOut(lon=round(lon, COORDINATE_DECIMALS), lat=round(lat, COORDINATE_DECIMALS))


def station_out(row: StationRow, principal: Principal, crs: CRS = CRS.WGS84) -> StationOut:
    station = row.station
    operator = None
    if station.operator_name or station.operator_phone:
        sees = manages_station(principal, station.code, station.division_code)
        operator = OperatorOut(
            name=station.operator_name if sees else mask_name(station.operator_name),
            phone=station.operator_phone if sees else mask_phone(station.operator_phone),
            masked=not sees,
        )
    company = None
    if station.company_name or station.company_credit_code:
        company = CompanyOut(name=station.company_name, credit_code=station.company_credit_code)
    return StationOut(
        code=station.code,
        tier=StationTier(station.tier),
        name=station.name,
        division_code=station.division_code,
        division_name=row.division_name,
        county_code=county_code(station.division_code),
        parent=row.parent_code,
        status=StationStatus(station.status),
        location=_location_out(wgs84_point(station.location), crs),
        crs=crs,
        address=station.address,
        operator=operator,
        company=company,
        services=[StationService(s) for s in station.services],
        operating_since=station.operating_since,
        version=station.version,
        created_at=station.created_at,
        updated_at=station.updated_at,
    )


def transition_out(transition: StationTransition) -> TransitionOut:
    return TransitionOut.model_validate(
        {
            "id": transition.id,
            "from": transition.from_status,
            "to": transition.to_status,
            "reason": transition.reason,
            "actor": transition.actor,
            "at": transition.at,
        }
    )


def feature(out: StationOut) -> dict[str, object]:
    """A station as an RFC 7946 Feature; its location becomes the geometry."""
    geometry = None
    if out.location is not None:
        geometry = {"type": "Point", "coordinates": [out.location.lon, out.location.lat]}
    return {
        "type": "Feature",
        "id": out.code,
        "geometry": geometry,
        "properties": out.model_dump(mode="json", exclude={"location"}),
    }


def feature_collection(outs: Sequence[StationOut], next_url: str | None) -> dict[str, object]:
    """An RFC 7946 FeatureCollection of stations rendered in WGS-84 (GeoJSON allows no other
    system: a map library reading it would put GCJ-02 points 500 m off). The
    ``coordinate_system`` foreign member says so for readers of our JSON answers."""
    collection: dict[str, object] = {
        "type": "FeatureCollection",
        "coordinate_system": CRS.WGS84.value,
        "features": [feature(out) for out in outs],
    }
    if next_url is not None:
        collection["next"] = next_url
    return collection


def _publish(session: AsyncSession, station: Station, parent: str | None, action: str) -> None:
    """The station as a read-only consumer (logistics) needs it, in this transaction."""
    township = (
        None if station.tier == StationTier.COUNTY else station.division_code[:9].ljust(12, "0")
    )
    payload = StationFeedPayload(
        code=station.code,
        tier=StationTier(station.tier),
        name=station.name,
        division_code=station.division_code,
        county_code=county_code(station.division_code),
        township_code=township,
        parent=parent,
        status=StationStatus(station.status),
        location=_location_out(wgs84_point(station.location), CRS.WGS84),
        address=station.address,
        services=[StationService(s) for s in station.services],
        operating_since=station.operating_since,
        version=station.version,
    )
    record_change(
        session,
        StationsChangeEvent,
        topic="station",
        key=station.code,
        action=action,
        version=station.version,
        payload=payload.model_dump(mode="json"),
    )


# --- reading -------------------------------------------------------------------------------


def _not_found(code: str) -> NotFound:
    return NotFound(
        f"no station {code}",
        detail_zh=f"没有站点 {code}",
        code="station_not_found",
        field="code",
        location="path",
    )


async def get_station(session: AsyncSession, code: str) -> StationRow:
    row = await repository.row_by_code(session, code)
    if row is None:
        raise _not_found(code)
    return row


async def read_station(session: AsyncSession, code: str) -> StationRow:
    """``get_station`` for a plain read (GET): the same row, without loading an entity."""
    row = await repository.read_row(session, code)
    if row is None:
        raise _not_found(code)
    return row


async def _locked_station(session: AsyncSession, code: str) -> StationRow:
    await repository.lock_county(session, code[:6])
    row = await repository.row_by_code(session, code, for_update=True)
    if row is None:
        raise _not_found(code)
    return row


def _station_code_key(value: Any) -> str:
    if not (isinstance(value, str) and re.fullmatch(STATION_CODE_PATTERN, value)):
        raise ValueError("not a station code")
    return value


def _row_id_key(value: Any) -> int:
    if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63):
        raise ValueError("not a row id")
    return value


async def list_stations(
    session: AsyncSession, query: StationQuery, params: PageParams
) -> list[StationRow]:
    cursor_key(params, _station_code_key)  # a forged cursor is a 400, not a database error
    return await repository.list_rows(session, query, params)


async def list_transitions(
    session: AsyncSession, code: str, params: PageParams, principal: Principal
) -> list[StationTransition]:
    cursor_key(params, _row_id_key)
    row = await get_station(session, code)
    require_station_reader(principal, row.station.code, row.station.division_code)
    return await repository.transitions(session, row.station.id, params)


def _query_problem(field: str, code: str, detail: str, detail_zh: str) -> Unprocessable:
    return Unprocessable(detail, detail_zh=detail_zh, code=code, field=field, location="query")


def _numbers(raw: str, count: int, field: str, shape: str) -> list[float]:
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != count or any(v != v or v in (float("inf"), float("-inf")) for v in values):
        raise _query_problem(
            field,
            f"invalid_{field}",
            f"{field} must be {shape}",
            f"{field} 的格式应为 {shape}",
        )
    return values


def _check_lon_lat(lon: float, lat: float, field: str) -> None:
    if outside_china(lon, lat) and not outside_china(lat, lon):
        raise _query_problem(
            field,
            "lat_lon_swapped",
            f"{field} looks like lat,lon: send lon (about 73–135 in China) first, then lat",
            f"{field} 似乎把纬度写在了前面:请先写经度(中国约 73–135),再写纬度",
        )
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _query_problem(
            field,
            f"invalid_{field}",
            f"{field} has a longitude outside ±180 or a latitude outside ±90 (order: lon,lat)",
            f"{field} 经度或纬度超出范围(顺序:经度,纬度)",
        )


def station_query(
    *,
    under: str | None,
    tiers: Sequence[StationTier],
    statuses: Sequence[StationStatus],
    services: Sequence[StationService],
    poor_village: bool | None,
    demonstration_county: bool | None,
    near: str | None,
    radius_m: float | None,
    bbox: str | None,
    crs: CRS,
) -> StationQuery:
    """The list's filters, with ``near`` and ``bbox`` read in the request's ``crs``."""
    prefix = None
    if under is not None:
        try:
            prefix = division_prefix(normalize_division_code(under))
        except ValueError:
            raise _query_problem(
                "under",
                "invalid_division_code",
                "under must be a division code or prefix of 2, 4, 6, 9 or 12 digits",
                "under 应为 2、4、6、9 或 12 位区划代码",
            ) from None
    circle = None
    if (near is None) != (radius_m is None):
        missing = "radius_m" if near is not None else "near"
        raise _query_problem(
            missing,
            "near_needs_radius",
            "near and radius_m go together",
            "near 与 radius_m 需同时提供",
        )
    if near is not None and radius_m is not None:
        lon, lat = _numbers(near, 2, "near", "lon,lat")
        _check_lon_lat(lon, lat, "near")
        lon, lat = to_wgs84(lon, lat, crs)
        circle = (lon, lat, radius_m)
    box = None
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = _numbers(
            bbox, 4, "bbox", "minlon,minlat,maxlon,maxlat"
        )
        _check_lon_lat(min_lon, min_lat, "bbox")
        _check_lon_lat(max_lon, max_lat, "bbox")
        if min_lon >= max_lon or min_lat >= max_lat:
            raise _query_problem(
                "bbox",
                "invalid_bbox",
                "bbox must be minlon,minlat,maxlon,maxlat with min < max",
                "bbox 应为 最小经度,最小纬度,最大经度,最大纬度,且最小值小于最大值",
            )
        # The GCJ-02 offset varies slowly, so converting the corners is exact to well under a
        # metre over a county-sized box.
        min_lon, min_lat = to_wgs84(min_lon, min_lat, crs)
        max_lon, max_lat = to_wgs84(max_lon, max_lat, crs)
        box = (min_lon, min_lat, max_lon, max_lat)
    return StationQuery(
        prefix=prefix,
        tiers=[t.value for t in tiers],
        statuses=[s.value for s in statuses],
        services=[s.value for s in services],
        poor_village=poor_village,
        demonstration_county=demonstration_county,
        near=circle,
        bbox=box,
    )


# --- placement -------------------------------------------------------------------------------


async def _placed_division(session: AsyncSession, tier: StationTier, code: str) -> None:
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
        _publish(session, child, parent.code if parent is not None else None, "reparented")


def _hierarchy_prefix(station: Station) -> str | None:
    """Where parents may need re-deriving when this station appears or closes."""
    if station.tier == StationTier.COUNTY:
        return station.division_code[: PREFIX_LENGTH[DivisionLevel.COUNTY]]
    if station.tier == StationTier.TOWNSHIP:
        return station.division_code[: PREFIX_LENGTH[DivisionLevel.TOWNSHIP]]
    return None


# --- create and update -------------------------------------------------------------------


def _catalogue_order(services: Sequence[StationService]) -> list[str]:
    wanted = set(services)
    return [s.value for s in StationService if s in wanted]


async def create_station(
    session: AsyncSession, body: StationCreate, principal: Principal
) -> StationRow:
    """Register a station (status planned). The caller has been authorized."""
    tier = body.tier
    await _placed_division(session, tier, body.division_code)
    location = None
    if body.location is not None and body.crs is not None:
        location = await place(
            session,
            body.location,
            body.crs,
            body.division_code,
            confirmed=body.confirm_location,
        )
    await repository.lock_county(session, body.division_code)
    if tier is StationTier.VILLAGE:
        first = await repository.open_village_point(session, body.division_code)
        if first is not None:
            raise Conflict(
                f"village committee {body.division_code} already has village point "
                f"{first.code} ({first.status}); close it before registering another",
                detail_zh=f"该村委会已有村级服务点 {first.code},须先关闭才能另设",
                code="village_point_exists",
                field="division_code",
                first_station=first.code,
            )
    parent = await resolve_parent(session, tier, body.division_code, body.parent)
    sequence = await repository.last_sequence(session, body.division_code) + 1
    if sequence > MAX_SEQUENCE:
        raise Conflict(
            f"division {body.division_code} has used all {MAX_SEQUENCE} station codes",
            detail_zh=f"区划 {body.division_code} 的 {MAX_SEQUENCE} 个站点编号已用完",
            code="station_codes_exhausted",
            field="division_code",
        )
    operator, company = body.operator, body.company
    station = Station(
        code=f"{body.division_code}-{sequence:02d}",
        tier=tier.value,
        name=body.name,
        division_code=body.division_code,
        parent_id=parent.id if parent is not None else None,
        status=StationStatus.PLANNED.value,
        location=location,
        address=body.address,
        operator_name=operator.name if operator else None,
        operator_phone=operator.phone if operator else None,
        company_name=company.name if company else None,
        company_credit_code=company.credit_code if company else None,
        services=_catalogue_order(body.services),
        version=1,
        created_by=principal.subject,
    )
    session.add(station)
    await session.flush()
    session.add(
        StationTransition(
            station_id=station.id,
            from_status=None,
            to_status=StationStatus.PLANNED.value,
            reason="registered",
            actor=principal.subject,
        )
    )
    prefix = _hierarchy_prefix(station)
    if prefix is not None:
        await realign_parents(session, prefix)
    await session.flush()
    row = await get_station(session, station.code)
    _publish(session, station, row.parent_code, "created")
    return row


async def update_station(
    session: AsyncSession,
    code: str,
    patch: StationPatch,
    principal: Principal,
    if_match: str | None,
) -> StationRow:
    row = await _locked_station(session, code)
    station = row.station
    authorize_update(principal, station, patch)
    if station.status == StationStatus.CLOSED:
        # Closed is final: the record stays as it was when the station closed (a village
        # committee gets a new point, with a new code, instead).
        raise Conflict(
            f"station {station.code} is closed; a closed station's record is not edited",
            detail_zh=f"站点 {station.code} 已关闭,关闭的站点不能再修改",
            code="station_closed",
            field="code",
            location="path",
            station_status=station.status,
        )
    check_if_match(if_match, station.version)
    fields = patch.model_fields_set
    changes: dict[str, object] = {}
    if "name" in fields and patch.name is not None:
        changes["name"] = patch.name
    if "address" in fields:
        changes["address"] = patch.address
    if "operator" in fields:
        given = patch.operator
        if given is None:
            changes.update(operator_name=None, operator_phone=None)
        else:
            for name in given.model_fields_set:
                changes[f"operator_{name}"] = getattr(given, name)
    if "company" in fields:
        given_company = patch.company
        if given_company is None:
            changes.update(company_name=None, company_credit_code=None)
        else:
            if "name" in given_company.model_fields_set:
                changes["company_name"] = given_company.name
            if "credit_code" in given_company.model_fields_set:
                changes["company_credit_code"] = given_company.credit_code
    if "services" in fields and patch.services is not None:
        changes["services"] = _catalogue_order(patch.services)
    if "location" in fields:
        if patch.location is None:
            changes["location"] = None
        elif patch.crs is not None:
            changes["location"] = await place(
                session,
                patch.location,
                patch.crs,
                station.division_code,
                confirmed=patch.confirm_location,
            )
    if "parent" in fields:
        parent = await resolve_parent(
            session, StationTier(station.tier), station.division_code, patch.parent
        )
        changes["parent_id"] = parent.id if parent is not None else None
    changed = False
    for attribute, value in changes.items():
        current = getattr(station, attribute)
        if attribute == "location":
            same = wgs84_point(current) == wgs84_point(value)  # type: ignore[arg-type]
        else:
            same = current == value
        if not same:
            setattr(station, attribute, value)
            changed = True
    if not changed:
        return row
    station.version += 1
    await session.flush()
    row = await get_station(session, code)
    _publish(session, station, row.parent_code, "updated")
    return row


# --- lifecycle ------------------------------------------------------------------------------


def _suspended_from(history: Sequence[StationTransition]) -> StationStatus | None:
    for transition in reversed(history):
        if transition.to_status == StationStatus.SUSPENDED:
            return StationStatus(transition.from_status) if transition.from_status else None
    return None


def allowed_next(
    current: StationStatus, history: Sequence[StationTransition]
) -> list[StationStatus]:
    allowed = set(TRANSITIONS[current])
    if current is S.SUSPENDED and _suspended_from(history) is not S.ACCEPTED:
        allowed.discard(S.ACCEPTED)
    return sorted(allowed, key=_ORDER.index)


def required_report_months(
    operating_since: date | None, history: Sequence[StationTransition], today: date
) -> list[date]:
    """Months that need a monthly report before acceptance: every month from the month it
    began operating up to the last completed month (the current month is never required),
    except months it spent wholly suspended."""
    if operating_since is None:
        return []
    last = add_months(today.replace(day=1), -1)
    suspensions: list[tuple[datetime, datetime | None]] = []
    for index, transition in enumerate(history):
        if transition.to_status == StationStatus.SUSPENDED:
            ended = history[index + 1].at if index + 1 < len(history) else None
            suspensions.append((transition.at, ended))
    months = []
    month = operating_since.replace(day=1)
    while month <= last:
        start = datetime(month.year, month.month, 1, tzinfo=CHINA_TZ)
        following = add_months(month, 1)
        end = datetime(following.year, following.month, 1, tzinfo=CHINA_TZ)
        if not any(s <= start and (e is None or e >= end) for s, e in suspensions):
            months.append(month)
        month = following
    return months


# What acceptance asks for, in the words of the officials who check it (验收).
_ACCEPTANCE_ITEMS = {
    "location": ("the location", "站点位置"),
    "operator.name": ("the operator's name", "站长姓名"),
    "operator.phone": ("the operator's phone", "站长电话"),
    "company.name": ("the operating company", "承办企业"),
    "company.credit_code": ("the company's credit code", "承办企业统一社会信用代码"),
    "services": ("the services offered", "服务项目"),
}


def acceptance_item(field: str) -> tuple[str, str]:
    """An acceptance gap's field as words: ("the operator's phone", "站长电话"),
    ("the monthly report for 2026-03", "2026年3月月报")."""
    if field.startswith("monthly_reports."):
        month = date.fromisoformat(field.removeprefix("monthly_reports.") + "-01")
        return f"the monthly report for {month:%Y-%m}", f"{month.year}年{month.month}月月报"
    return _ACCEPTANCE_ITEMS.get(field, (field, field))


async def acceptance_gaps(
    session: AsyncSession, station: Station, history: Sequence[StationTransition]
) -> list[dict[str, str]]:
    """Everything acceptance (验收) needs that the station lacks: one item per gap."""

    def gap(field: str, code: str, detail: str, detail_zh: str) -> dict[str, str]:
        return field_problem(field, code, detail, detail_zh=detail_zh, location="station")

    gaps = []
    point = wgs84_point(station.location)
    if point is None:
        gaps.append(gap("location", "missing_location", "no location", "未填写站点位置"))
    else:
        county = county_code(station.division_code)
        [distance] = await county_distances_m(session, CountyBoundary, [(county, *point)])
        if distance is None and outside_china(*point):
            gaps.append(
                gap(
                    "location", "outside_china", "the location is outside China", "位置不在中国境内"
                )
            )
        elif distance is not None and distance > COUNTY_TOLERANCE_M:
            name = await county_name(session, Division, county)
            problem = outside_county_problem(county, name, distance, what="station", what_zh="站点")
            gaps.append(gap("location", "outside_county", problem.detail, problem.detail_zh or ""))
    if not station.operator_name:
        gaps.append(
            gap("operator.name", "missing_operator_name", "no operator name", "未填写站长姓名")
        )
    if not station.operator_phone:
        gaps.append(
            gap("operator.phone", "missing_operator_phone", "no operator phone", "未填写站长电话")
        )
    if not station.company_name:
        gaps.append(
            gap("company.name", "missing_company_name", "no operating company", "未填写承办企业")
        )
    if not station.company_credit_code:
        gaps.append(
            gap(
                "company.credit_code",
                "missing_company_credit_code",
                "no unified social credit code of the operating company",
                "未填写承办企业统一社会信用代码",
            )
        )
    else:
        try:
            normalize_credit_code(station.company_credit_code)
        except InvalidValue as e:
            gaps.append(gap("company.credit_code", e.code, e.message, e.message_zh))
    if not station.services:
        gaps.append(gap("services", "missing_services", "offers no service", "未填写服务项目"))
    months = required_report_months(station.operating_since, history, china_today())
    if months:
        reported = await repository.reported_months(session, station.id, months[0], months[-1])
        for month in months:
            if month not in reported:
                gaps.append(
                    gap(
                        f"monthly_reports.{month:%Y-%m}",
                        "missing_monthly_report",
                        f"no monthly report for {month:%Y-%m}",
                        f"缺少 {month.year}年{month.month}月的月度报表",
                    )
                )
    return gaps


async def transition_station(
    session: AsyncSession,
    code: str,
    body: TransitionIn,
    principal: Principal,
    if_match: str | None,
) -> tuple[StationTransition, StationRow]:
    """Move a station along its lifecycle; the caller has been authorized. ``If-Match`` is
    optional here (a transition names its start state), checked when sent."""
    row = await _locked_station(session, code)
    station = row.station
    if if_match is not None:
        check_if_match(if_match, station.version)
    current, target = StationStatus(station.status), body.to
    history = await repository.transitions(session, station.id)
    allowed = allowed_next(current, history)
    if target not in allowed:
        names = ", ".join(a.value for a in allowed) or "nothing (closed is final)"
        hint = ""
        if current is S.SUSPENDED and target is S.ACCEPTED:
            hint = "; it was suspended while operating: resume to operating, then accept"
        raise Conflict(
            f"a {current.value} station cannot become {target.value}; from {current.value} "
            f"it may become: {names}{hint}",
            detail_zh=f"站点状态不能从 {current.value} 变为 {target.value}",
            code="illegal_transition",
            field="to",
            from_status=current.value,
            to_status=target.value,
            allowed=[a.value for a in allowed],
        )
    if target in REASON_REQUIRED and not body.reason:
        raise Unprocessable(
            f"say why the station is {target.value}",
            detail_zh="暂停或关闭站点须说明原因",
            code="reason_required",
            field="reason",
        )
    today = china_today()
    first_operation = target is S.OPERATING and station.operating_since is None
    if body.operating_since is not None:
        if not first_operation:
            raise Unprocessable(
                "operating_since is set once, with the first transition to operating",
                detail_zh="operating_since 只能在首次转为运营时填写",
                code="operating_since_not_applicable",
                field="operating_since",
            )
        if body.operating_since.replace(day=1) > today.replace(day=1):
            raise Unprocessable(
                f"{body.operating_since:%Y-%m} is in the future",
                detail_zh=f"{body.operating_since:%Y-%m} 是未来的月份",
                code="future_month",
                field="operating_since",
            )
    if target is S.ACCEPTED and current is S.OPERATING:
        gaps = await acceptance_gaps(session, station, history)
        if gaps:
            items = [acceptance_item(g["field"]) for g in gaps]
            raise Unprocessable(
                f"acceptance refused: {len(gaps)} item{'s' if len(gaps) != 1 else ''} missing "
                "or wrong: " + ", ".join(en for en, _ in items),
                detail_zh=f"验收未通过,{len(gaps)} 项缺失或不符:"
                + "、".join(zh for _, zh in items),
                code="acceptance_incomplete",
                errors=gaps,
            )
    if first_operation:
        station.operating_since = (body.operating_since or today).replace(day=1)
    station.status = target.value
    station.version += 1
    transition = StationTransition(
        station_id=station.id,
        from_status=current.value,
        to_status=target.value,
        reason=body.reason,
        actor=principal.subject,
    )
    session.add(transition)
    await session.flush()
    if target is S.CLOSED:
        prefix = _hierarchy_prefix(station)
        if prefix is not None:
            await realign_parents(session, prefix)
    await session.refresh(transition)
    row = await get_station(session, code)
    _publish(session, station, row.parent_code, "transitioned")
    return transition, row


async def get_transition(session: AsyncSession, transition_id: int) -> StationTransition:
    """A transition by id (an idempotent replay renders the one it made)."""
    transition = await repository.transition(session, transition_id)
    assert transition is not None, "transitions are never deleted"
    return transition


def lifecycle_rules() -> list[tuple[StationStatus, list[StationStatus]]]:
    return [(status, sorted(TRANSITIONS[status], key=_ORDER.index)) for status in StationStatus]
