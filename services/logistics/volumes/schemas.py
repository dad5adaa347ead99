"""Parcel volumes on the wire. Weights travel as strings ("12.5") like amounts: exact."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from common.bulk import BulkResult, BulkRowResult
from common.cells import AmountCell, CountCell, DateCell
from common.errors import invalid
from common.fields import DivisionCode
from services.logistics.coverage.schemas import CarrierName, StationCode

# A county distribution centre sorts up to ~100,000 parcels a day at the peak (双十一); a
# place above 200,000 a day is a unit mix-up (a month's figure, grams for kilograms).
MAX_PARCELS_PER_DAY = 200_000
MAX_KG_PER_DAY = 2_000_000


def _parcels(value: int) -> int:
    if value < 0:
        raise invalid("negative_volume", "must not be negative", "不能为负数")
    if value > MAX_PARCELS_PER_DAY:
        raise invalid(
            "volume_too_high",
            f"more than {MAX_PARCELS_PER_DAY:,} parcels a day at one place: a month's figure?",
            f"单个地点每天超过 {MAX_PARCELS_PER_DAY:,} 件:是否填成了月度数字?",
        )
    return value


def _kilograms(value: Decimal) -> Decimal:
    if value < 0:
        raise invalid("negative_volume", "must not be negative", "不能为负数")
    if value > MAX_KG_PER_DAY:
        raise invalid(
            "volume_too_high",
            f"more than {MAX_KG_PER_DAY:,} kg a day at one place: grams sent as kilograms?",
            f"单个地点每天超过 {MAX_KG_PER_DAY:,} 公斤:是否把克当成了公斤?",
        )
    return value.quantize(Decimal("0.1"))


Parcels = Annotated[CountCell, AfterValidator(_parcels), Field(examples=[120])]
Kilograms = Annotated[
    AmountCell, AfterValidator(_kilograms), Field(description="kg, one decimal", examples=["86.5"])
]

VOLUME_EXAMPLE: dict[str, Any] = {
    "carrier": "zhongtong",
    "day": "2026-11-11",
    "station_code": "141102100200-01",
    "outbound_parcels": 120,
    "outbound_weight_kg": "310.5",
    "inbound_parcels": 460,
    "inbound_weight_kg": "690.0",
}


class VolumeIn(BaseModel):
    """One carrier's parcels at one place on one day (China time): a station point, or a
    township (镇, 乡) where no point reports. Outbound is upward (农产品上行: sent from the
    place), inbound downward (工业品下行: delivered to it)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [VOLUME_EXAMPLE]})

    carrier: CarrierName
    day: DateCell
    station_code: StationCode | None = None
    township_code: DivisionCode | None = None
    outbound_parcels: Parcels
    outbound_weight_kg: Kilograms
    inbound_parcels: Parcels
    inbound_weight_kg: Kilograms


class VolumeOut(BaseModel):
    id: int
    carrier: str
    day: date
    place_code: str
    station_code: str | None
    township_code: str | None
    division_code: str
    outbound_parcels: int
    outbound_weight_kg: Decimal
    inbound_parcels: int
    inbound_weight_kg: Decimal
    revision: int
    submitted_by: str
    submitted_at: datetime


class VolumeRevisionOut(BaseModel):
    revision: int
    outbound_parcels: int
    outbound_weight_kg: Decimal
    inbound_parcels: int
    inbound_weight_kg: Decimal
    submitted_by: str
    submitted_at: datetime


class VolumeRevisions(BaseModel):
    volume: VolumeOut
    revisions: list[VolumeRevisionOut] = Field(description="oldest first")


Outcome = Literal["created", "updated", "unchanged", "rejected"]


class VolumeRowResult(BulkRowResult):
    carrier: str | None = None
    place_code: str | None = None
    day: str | None = None
    revision: int | None = Field(default=None, description="after this row (predicted on dry runs)")


VolumeBulkResult = BulkResult[VolumeRowResult]
