"""Depots on the wire."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from common.bulk import BulkResult, BulkRowResult
from common.cells import AmountCell, CountCell
from common.errors import invalid
from common.fields import CreditCode, DivisionCode, Name, Text
from common.locations import CrsField, Location, crs_needed
from services.logistics.coverage.schemas import CarrierName, StationCode
from services.logistics.depots.models import DepotKind, DepotStatus

_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
MAX_AREA_M2 = 1_000_000  # the largest e-commerce warehouses are ~ 300,000 m²
MAX_PARCELS_PER_DAY = 1_000_000


def _area(value: Decimal) -> Decimal:
    if value < 0:
        raise invalid("negative_capacity", "must not be negative", "不能为负数")
    if value > MAX_AREA_M2:
        raise invalid(
            "capacity_too_high",
            f"more than {MAX_AREA_M2:,} m²: a unit mix-up?",
            f"超过 {MAX_AREA_M2:,} 平方米:是否单位填错?",
        )
    return value.quantize(Decimal("0.1"))


def _per_day(value: int) -> int:
    if value < 0:
        raise invalid("negative_capacity", "must not be negative", "不能为负数")
    if value > MAX_PARCELS_PER_DAY:
        raise invalid(
            "capacity_too_high",
            f"more than {MAX_PARCELS_PER_DAY:,} parcels a day: a month's figure?",
            f"每天超过 {MAX_PARCELS_PER_DAY:,} 件:是否填成了月度数字?",
        )
    return value


DepotCode = Annotated[
    str,
    Field(
        pattern=_CODE,
        description="a stable code the sender chooses (letters, digits, _ . -), unique",
        examples=["ZTO-LS-001"],
    ),
]

DEPOT_EXAMPLE: dict[str, Any] = {
    "code": "LS-GX-01",
    "kind": "county_centre",
    "name": "离石区农村电商物流配送中心",
    "division_code": "141102000000",
    "location": {"lon": 111.1461, "lat": 37.5213},
    "crs": "gcj02",
    "address": "离石区城北物流园 8 号",
    "area_m2": "3200",
    "parcels_per_day": 18000,
    "operator_name": "吕梁市供销物流有限公司",
    "operator_credit_code": "91110000802100433B",
    "carriers": ["china_post", "zto", "yto", "yunda"],
}


class DepotIn(BaseModel):
    """A depot as a whole: sending it again replaces what was stored under its code."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [DEPOT_EXAMPLE]})

    code: DepotCode
    kind: DepotKind
    name: Name
    division_code: DivisionCode = Field(
        description="county_centre: the county; township_hub: the township; village_pickup: "
        "the village committee"
    )
    station_code: StationCode | None = Field(
        default=None, description="the station it is inside (a village pickup point in the point)"
    )
    location: Location | None = None
    crs: CrsField = Field(default=None, validate_default=True, description="required with location")
    confirm_location: bool = Field(
        default=False,
        description="true: keep a location our simplified county boundaries place just inside "
        "a neighbouring county (within 500 m of this one), after checking it on a map; "
        "without it such a location is refused (`in_other_county`). Not stored.",
    )
    address: Text | None = None
    area_m2: Annotated[AmountCell, AfterValidator(_area)] | None = None
    parcels_per_day: Annotated[CountCell, AfterValidator(_per_day)] | None = None
    operator_carrier: CarrierName | None = Field(
        default=None, description="the carrier that runs it (our or an aggregator's code)"
    )
    operator_name: Name | None = Field(
        default=None, description="or the company that runs it (a county logistics company, 供销社)"
    )
    operator_credit_code: CreditCode | None = None
    carriers: list[CarrierName] = Field(
        default_factory=list,
        max_length=30,
        description="carriers working out of it; two or more is shared delivery (共同配送)",
    )
    status: DepotStatus = DepotStatus.ACTIVE

    _crs = field_validator("crs")(crs_needed)


class PointOut(BaseModel):
    lon: float
    lat: float


class DepotOut(BaseModel):
    code: str
    kind: DepotKind
    name: str
    division_code: str
    station_code: str | None
    location: PointOut | None = Field(description="WGS-84")
    address: str | None
    area_m2: Decimal | None
    parcels_per_day: int | None
    operator_carrier: str | None
    operator_name: str | None
    operator_credit_code: str | None
    carriers: list[str]
    shared: bool = Field(description="two or more carriers: shared delivery (共同配送)")
    status: DepotStatus
    version: int
    updated_by: str
    updated_at: datetime


class DepotRowResult(BulkRowResult):
    depot: str | None = Field(default=None, description="the depot's code")
    version: int | None = Field(default=None, description="after this row (predicted on dry runs)")


DepotBulkResult = BulkResult[DepotRowResult]
Outcome = Literal["created", "updated", "unchanged", "rejected"]
