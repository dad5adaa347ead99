"""Rules of the station registry (see docs/adr/0007-station-registry.md for the choices).

Registering, reading and editing are here; placement and parents in ``placement.py``, the
lifecycle and acceptance in ``lifecycle.py``, how a station is shown in ``views.py``.

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
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.authz import require_division_writer
from common.coords import CRS, outside_china, to_wgs84
from common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
    field_problem,
)
from common.etag import check_if_match
from common.identifiers import (
    division_prefix,
    normalize_division_code,
)
from common.pagination import PageParams, cursor_key
from services.stations.authz import is_station_operator, require_station_reader
from services.stations.registry import repository
from services.stations.registry.models import (
    Station,
    StationService,
    StationStatus,
    StationTier,
    StationTransition,
)
from services.stations.registry.placement import (
    hierarchy_prefix,
    place,
    placed_division,
    realign_parents,
    resolve_parent,
)
from services.stations.registry.repository import StationQuery, StationRow
from services.stations.registry.schemas import (
    STATION_CODE_PATTERN,
    StationCreate,
    StationPatch,
)
from services.stations.registry.views import publish, wgs84_point

MAX_SEQUENCE = 99


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


async def read_station(conn: asyncpg.Connection, code: str) -> StationRow:
    """``get_station`` for a plain read (GET): the same row, without loading an entity, on
    the asyncpg connection of ``common.db.read_connection``."""
    row = await repository.read_row(conn, code)
    if row is None:
        raise _not_found(code)
    return row


async def locked_station(session: AsyncSession, code: str) -> StationRow:
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


# --- create and update -------------------------------------------------------------------


def _catalogue_order(services: Sequence[StationService]) -> list[str]:
    wanted = set(services)
    return [s.value for s in StationService if s in wanted]


async def create_station(
    session: AsyncSession, body: StationCreate, principal: Principal
) -> StationRow:
    """Register a station (status planned). The caller has been authorized."""
    tier = body.tier
    await placed_division(session, tier, body.division_code)
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
    prefix = hierarchy_prefix(station)
    if prefix is not None:
        await realign_parents(session, prefix)
    await session.flush()
    row = await get_station(session, station.code)
    publish(session, station, row.parent_code, "created")
    return row


async def update_station(
    session: AsyncSession,
    code: str,
    patch: StationPatch,
    principal: Principal,
    if_match: str | None,
) -> StationRow:
    row = await locked_station(session, code)
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
    publish(session, station, row.parent_code, "updated")
    return row
