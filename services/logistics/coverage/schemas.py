"""Coverage on the wire: what a carrier or an official sends, what they read back."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from common.bulk import BulkResult, BulkRowResult
from common.cells import CountCell, DateCell
from common.errors import invalid
from common.fields import DivisionCode
from common.identifiers import STATION_CODE
from services.logistics.coverage.models import MAX_PER_WEEK, CoverageMode, CoverageSource


def _per_week(value: int) -> int:
    if value < 0:
        raise invalid("negative_frequency", "must not be negative", "不能为负数")
    if value > MAX_PER_WEEK:
        raise invalid(
            "frequency_too_high",
            f"at most {MAX_PER_WEEK} a week (twice a day); a figure per month or year?",
            f"每周最多 {MAX_PER_WEEK} 次(每天两次);是否填成了每月或每年的次数?",
        )
    return value


def _station_code(value: str) -> str:
    if not STATION_CODE.match(value):
        raise invalid(
            "invalid_station_code",
            "must be a station code: 12-digit division code, '-', 2 digits",
            "应为站点编码:12 位区划代码、'-'、2 位序号",
        )
    return value


PerWeek = Annotated[CountCell, AfterValidator(_per_week), Field(examples=[3])]
StationCode = Annotated[str, AfterValidator(_station_code), Field(examples=["141102100200-01"])]
CarrierName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        description="our carrier code, or its kuaidi100 or kdniao code (any case)",
        examples=["zhongtong"],
    ),
]

COVERAGE_EXAMPLE: dict[str, Any] = {
    "carrier": "zhongtong",
    "division_code": "141102100200",
    "station_code": "141102100200-01",
    "mode": "direct",
    "pickups_per_week": 3,
    "deliveries_per_week": 6,
    "valid_from": "2026-09-01",
}


class CoverageIn(BaseModel):
    """A carrier's service of a township or village from ``valid_from`` (default today, China
    time) to ``valid_to`` (the last day served; omitted while it lasts)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [COVERAGE_EXAMPLE]})

    carrier: CarrierName
    division_code: DivisionCode = Field(
        description="a township (镇, 乡, township-like; not 街道) or a village committee"
    )
    station_code: StationCode | None = Field(
        default=None, description="the village point itself, when the carrier serves it"
    )
    mode: CoverageMode
    pickups_per_week: PerWeek
    deliveries_per_week: PerWeek
    valid_from: DateCell | None = Field(default=None, description="default today (China time)")
    valid_to: DateCell | None = Field(default=None, description="the last day served")


class CoverageOut(BaseModel):
    id: int
    carrier: str = Field(description="our carrier code", examples=["zto"])
    division_code: str
    division_name: str | None = None
    level: Literal["township", "village"]
    station_code: str | None
    mode: CoverageMode
    pickups_per_week: int
    deliveries_per_week: int
    valid_from: date
    valid_to: date | None
    source: CoverageSource
    recorded_by: str
    recorded_at: datetime
    superseded_at: datetime | None = Field(
        default=None, description="set when a correction from the same first day replaced it"
    )
    version: int


Outcome = Literal["created", "updated", "unchanged", "rejected"]


class CoverageRowResult(BulkRowResult):
    carrier: str | None = Field(default=None, description="our code, once resolved")
    division_code: str | None = None
    coverage_id: int | None = Field(
        default=None, description="the period the row created or left current (not on dry runs)"
    )


CoverageBulkResult = BulkResult[CoverageRowResult]
