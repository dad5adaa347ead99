"""Coverage on the wire: what a carrier or an official sends, what they read back."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from common.bulk import RowProblemWithErrors
from common.fields import DivisionCode
from common.identifiers import STATION_CODE
from services.logistics.coverage.models import MAX_PER_WEEK, CoverageMode, CoverageSource


def _per_week(value: int) -> int:
    if value < 0:
        raise PydanticCustomError("negative_frequency", "must not be negative")
    if value > MAX_PER_WEEK:
        raise PydanticCustomError(
            "frequency_too_high",
            f"at most {MAX_PER_WEEK} a week (twice a day); a figure per month or year?",
        )
    return value


def _station_code(value: str) -> str:
    if not STATION_CODE.match(value):
        raise PydanticCustomError(
            "invalid_station_code", "must be a station code: 12-digit division code, '-', 2 digits"
        )
    return value


PerWeek = Annotated[int, AfterValidator(_per_week), Field(examples=[3])]
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
    valid_from: date | None = None
    valid_to: date | None = None


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


class CoverageRowResult(BaseModel):
    row: int
    line: int | None = None
    carrier: str | None = None
    division_code: str | None = None
    outcome: Outcome
    coverage_id: int | None = Field(
        default=None, description="the period this row created or left current (not on dry runs)"
    )
    problem: RowProblemWithErrors | None = None


class CoverageSummary(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


class CoverageBulkResult(BaseModel):
    dry_run: bool
    summary: CoverageSummary
    results: list[CoverageRowResult]
