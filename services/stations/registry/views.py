"""How a station is shown: its JSON, its GeoJSON feature, and the payload of its change event."""

from collections.abc import Sequence

from geoalchemy2 import WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.changefeed import record_change
from common.coords import CRS, from_wgs84
from common.geometry import point_of
from common.identifiers import (
    county_code,
    mask_name,
    mask_phone,
)
from services.stations.authz import manages_station
from services.stations.changes.models import StationsChangeEvent
from services.stations.registry.models import (
    Station,
    StationService,
    StationStatus,
    StationTier,
    StationTransition,
)
from services.stations.registry.repository import StationRow
from services.stations.registry.schemas import (
    CompanyOut,
    LocationOut,
    OperatorOut,
    StationFeedPayload,
    StationOut,
    TransitionOut,
)

COORDINATE_DECIMALS = 7  # about 1 cm

# --- presentation ----------------------------------------------------------------------


def wgs84_point(geom: bytes | WKBElement | WKTElement | None) -> tuple[float, float] | None:
    """A stored point as it is read (EWKB bytes, a ``WKBElement``) or written (WKT)."""
    if isinstance(geom, WKTElement):
        point = to_shape(geom)
        return point.x, point.y
    return point_of(geom)


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


def publish(session: AsyncSession, station: Station, parent: str | None, action: str) -> None:
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
