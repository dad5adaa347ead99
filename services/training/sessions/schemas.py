"""Shapes of training sessions on the wire."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from common.coords import CRS
from services.training.sessions.models import (
    DurationKind,
    FundingSource,
    SessionLevel,
    SessionStatus,
)

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class OrganiserIn(BaseModel):
    """承办企业: the company contracted to run the session."""

    model_config = ConfigDict(extra="forbid")

    name: Text100 = Field(examples=["临县电子商务发展有限公司"])
    credit_code: str = Field(
        max_length=18,
        description="统一社会信用代码 (GB 32100), 18 characters",
        examples=["91110000802100433B"],
    )


class LocationIn(BaseModel):
    """A point and the coordinate system it is given in (AMap/Tencent: gcj02, Baidu: bd09)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    lon: float = Field(ge=-180, le=180, examples=[110.99])
    lat: float = Field(ge=-90, le=90, examples=[37.96])
    crs: CRS = Field(description="wgs84, gcj02 or bd09", examples=["gcj02"])


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    division_code: str = Field(
        max_length=12,
        description="where the session is held: a 12-digit division code (or 6/9-digit prefix)",
        examples=["141124100000"],
    )
    address: Text200 = Field(examples=["临泉镇电商服务站二楼培训室"])
    location: LocationIn | None = None


_CREATE_EXAMPLE = {
    "level": "basic",
    "topic": "农产品网店开设与运营",
    "organiser": {"name": "临县电子商务发展有限公司", "credit_code": "91110000802100433B"},
    "place": {
        "division_code": "141124100000",
        "address": "临泉镇电商服务站二楼培训室",
        "location": {"lon": 110.99, "lat": 37.96, "crs": "gcj02"},
    },
    "starts_on": "2026-10-12",
    "ends_on": "2026-10-12",
    "duration_kind": "half_day",
    "meals": True,
    "computer_practice": True,
    "lodging": False,
    "capacity": 60,
    "funding_source": "central",
}


class SessionCreate(BaseModel):
    """A new session; it starts ``planned``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    level: SessionLevel = Field(
        description="basic 普及 / advanced 提升 / senior 高级 / incubation 孵化"
    )
    topic: Text200
    organiser: OrganiserIn
    place: PlaceIn
    starts_on: date
    ends_on: date
    duration_kind: DurationKind = Field(
        description="half_day and one_day: ends_on = starts_on; several_days: ends later"
    )
    meals: bool = False
    computer_practice: bool = False
    lodging: bool = False
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    funding_source: FundingSource


class SessionPatch(BaseModel):
    """Changes to a planned session; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    level: SessionLevel | None = None
    topic: Text200 | None = None
    organiser: OrganiserIn | None = None
    place: PlaceIn | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    duration_kind: DurationKind | None = None
    meals: bool | None = None
    computer_practice: bool | None = None
    lodging: bool | None = None
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    funding_source: FundingSource | None = None


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["held", "cancelled"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class OrganiserOut(BaseModel):
    name: str
    credit_code: str


class LocationOut(BaseModel):
    lon: float
    lat: float
    crs: CRS


class PlaceOut(BaseModel):
    division_code: str
    address: str
    location: LocationOut | None = None


class StatusOut(BaseModel):
    status: SessionStatus
    changed_by: str | None = Field(None, description="who changed it; null for the public")
    changed_at: datetime | None = None
    reason: str | None = None


class SubsidyRateOut(BaseModel):
    """What the session earns per trainee (unit person) or per person-day (person_day)."""

    policy_key: str
    policy_version: int
    rule: str | None = Field(description="the rule that produced the amount; null: none fits")
    unit: Literal["person", "person_day"]
    unit_amount: Decimal
    breakdown: list[dict[str, str]]
    min_age: int | None = None


class SessionOut(BaseModel):
    id: int
    level: SessionLevel
    topic: str
    organiser: OrganiserOut
    place: PlaceOut
    starts_on: date
    ends_on: date
    duration_kind: DurationKind
    meals: bool
    computer_practice: bool
    lodging: bool
    capacity: int | None
    funding_source: FundingSource
    status: StatusOut
    version: int
    created_by: str | None = Field(description="who created it; null for the public")
    created_at: datetime
