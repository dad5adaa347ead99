"""Request and response shapes of the station registry.

Field rules that need no database (division code format, mobile number, GB 32100 credit
code, the service catalogue, the coordinate system) are checked here, each with its own
error code (``invalid_phone``, ``invalid_credit_code``, ``unknown_service``, ``unknown_crs``,
``crs_required``, ``invalid_division_code``) so that a client learns every bad field of a
body in one 422 answer. Rules that need the database live in ``service.py``.
"""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from common.coords import CRS
from common.errors import invalid
from common.fields import CreditCode, DivisionCode, Name, Phone
from common.identifiers import STATION_CODE_PATTERN
from common.locations import CRS_NAMES, CrsField, Location, crs_needed
from services.stations.registry.models import StationService, StationStatus, StationTier

SERVICE_NAMES = ", ".join(s.value for s in StationService)


def _parse_service(value: Any) -> Any:
    if isinstance(value, StationService) or not isinstance(value, str):
        return value
    try:
        return StationService(value.strip())
    except ValueError:
        raise invalid(
            "unknown_service",
            f"unknown service {value!r}; one of {SERVICE_NAMES}",
            f"未知的服务项目 {value!r},应为:{'、'.join(s.value for s in StationService)}",
        ) from None


StationCode = Annotated[
    str,
    Field(
        pattern=STATION_CODE_PATTERN,
        description="station code: `<12-digit division code>-<2-digit sequence>`",
        examples=["141102100000-01"],
    ),
]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ServiceItem = Annotated[StationService, BeforeValidator(_parse_service)]


class OperatorIn(BaseModel):
    """站长: the person who runs the station (personal data: shown masked to outsiders)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(default=None, examples=["张小明"])
    phone: Phone | None = Field(default=None, examples=["13812345678"])


class CompanyIn(BaseModel):
    """承办企业: the company that runs the station under contract."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(default=None, examples=["吕梁市电子商务发展有限公司"])
    credit_code: CreditCode | None = Field(default=None, examples=["91110000802100433B"])


_CREATE_EXAMPLE = {
    "tier": "village",
    "division_code": "141102100200",
    "name": "吴城镇街上村电商服务点",
    "location": {"lon": 111.1461, "lat": 37.5213},
    "crs": "gcj02",
    "address": "吴城镇街上村主街 12 号",
    "operator": {"name": "张小明", "phone": "13812345678"},
    "company": {"name": "吕梁市电子商务发展有限公司", "credit_code": "91110000802100433B"},
    "services": ["online_purchase", "produce_sales", "parcels"],
}


class StationCreate(BaseModel):
    """A new station. It starts ``planned``; the parent is derived when omitted."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    tier: StationTier = Field(
        description="county: county centre on a county-level division; township: station on "
        "a township-level division; village: point on a village committee"
    )
    division_code: DivisionCode
    name: Name = Field(examples=["吴城镇街上村电商服务点"])
    parent: StationCode | None = Field(
        default=None,
        description="parent station code; omitted or null: derived (the township's station, "
        "else the county centre)",
    )
    location: Location | None = None
    crs: CrsField = Field(
        default=None,
        validate_default=True,
        description=f"coordinate system of `location`, required with it: {CRS_NAMES}",
    )
    address: Address | None = None
    operator: OperatorIn | None = None
    company: CompanyIn | None = None
    services: list[ServiceItem] = Field(
        default_factory=list, max_length=len(StationService), description="from the catalogue"
    )
    confirm_location: bool = Field(
        default=False,
        description="true: keep a location our simplified county boundaries place just inside "
        "a neighbouring county (within 500 m of this one), after checking it on a map; "
        "without it such a location is refused (`in_other_county`)",
    )

    _crs = field_validator("crs")(crs_needed)


class StationPatch(BaseModel):
    """Changes to a station: only the fields sent change; ``null`` clears an optional one.

    Tier, division and code never change (the code is derived from the division); the
    status changes through transitions. Operators may send only ``operator``.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"operator": {"phone": "13987654321"}},
                {"location": {"lon": 111.1468, "lat": 37.5209}, "crs": "gcj02"},
                {"services": ["parcels", "bill_payment"], "address": "街上村 3 号"},
            ]
        },
    )

    name: Name | None = None
    parent: StationCode | None = Field(
        default=None, description="another valid parent; null re-derives the default"
    )
    location: Location | None = None
    crs: CrsField = Field(default=None, validate_default=True)
    address: Address | None = None
    operator: OperatorIn | None = None
    company: CompanyIn | None = None
    services: list[ServiceItem] | None = Field(default=None, max_length=len(StationService))
    confirm_location: bool = Field(
        default=False,
        description="true: keep a location our simplified county boundaries place just inside "
        "a neighbouring county (within 500 m of this one), after checking it on a map; "
        "without it such a location is refused (`in_other_county`)",
    )

    _crs = field_validator("crs")(crs_needed)

    @field_validator("name", "services")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise invalid("null_not_allowed", "may not be null", "不能为 null")
        return value


class LocationOut(BaseModel):
    lon: float = Field(examples=[111.1461])
    lat: float = Field(examples=[37.5213])


class OperatorOut(BaseModel):
    name: str | None = Field(examples=["张*明"])
    phone: str | None = Field(examples=["138****5678"])
    masked: bool = Field(description="true when the caller does not manage the station")


class CompanyOut(BaseModel):
    name: str | None = Field(examples=["吕梁市电子商务发展有限公司"])
    credit_code: str | None = Field(examples=["91110000802100433B"])


class StationOut(BaseModel):
    """A station as the API shows it. Operator fields are masked for callers who do not
    manage the station (admins, officials over its division and its own operator do)."""

    code: str = Field(examples=["141102100200-01"])
    tier: StationTier
    name: str = Field(examples=["吴城镇街上村电商服务点"])
    division_code: str = Field(examples=["141102100200"])
    division_name: str = Field(examples=["街上村委会"])
    county_code: str = Field(examples=["141102000000"])
    parent: str | None = Field(description="parent station code", examples=["141102100000-01"])
    status: StationStatus
    location: LocationOut | None
    crs: CRS = Field(description="coordinate system of `location` in this answer")
    address: str | None
    operator: OperatorOut | None
    company: CompanyOut | None
    services: list[StationService]
    operating_since: date | None = Field(
        description="first day of the month it first began operating", examples=["2024-03-01"]
    )
    version: int = Field(description="bumped on every change; the ETag is its quoted value")
    created_at: datetime
    updated_at: datetime


class StationFeedPayload(BaseModel):
    """What the change feed carries about a station: what a read-only consumer such as
    logistics needs, never the operator's personal fields. Location in WGS-84."""

    code: str
    tier: StationTier
    name: str
    division_code: str
    county_code: str
    township_code: str | None
    parent: str | None
    status: StationStatus
    location: LocationOut | None
    address: str | None
    services: list[StationService]
    operating_since: date | None
    version: int


class TransitionIn(BaseModel):
    """Move a station along its lifecycle (see ``GET /v1/stations/lifecycle``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"to": "building", "reason": "施工队已进场"},
                {"to": "operating", "operating_since": "2024-03-01"},
                {"to": "accepted", "reason": "县商务局 2024 年第二批验收"},
                {"to": "suspended", "reason": "站长外出务工,暂停营业"},
            ]
        },
    )

    to: StationStatus
    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = Field(default=None, description="why; required for suspended and closed")
    operating_since: date | None = Field(
        default=None,
        description="only with `to: operating` the first time: the month it began operating "
        "when recorded after the fact (any day of it); default the current month",
    )


class TransitionOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    from_status: StationStatus | None = Field(alias="from", description="null for registration")
    to_status: StationStatus = Field(alias="to")
    reason: str | None
    actor: str = Field(description="subject of the principal who made it", examples=["user:42"])
    at: datetime


class TransitionResult(BaseModel):
    transition: TransitionOut
    station: StationOut


class LifecycleRule(BaseModel):
    status: StationStatus
    next: list[StationStatus]


class Lifecycle(BaseModel):
    rules: list[LifecycleRule]
    reason_required: list[StationStatus]
    notes: list[str]
