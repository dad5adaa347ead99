"""A division's dashboard against its targets, on the wire."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from common.indicators import IndicatorKind, IndicatorUnit
from gateway.registry.dashboards.status import TargetStatus
from gateway.registry.schemas import PartError


class IndicatorInfo(BaseModel):
    code: str = Field(examples=["village_point_coverage"])
    name_zh: str = Field(examples=["建制村电子商务服务点覆盖率"])
    unit: IndicatorUnit
    kind: IndicatorKind
    service: str = Field(examples=["stations"])


class TargetRow(BaseModel):
    target_set: str = Field(examples=["shanxi-2017"])
    target_set_title: str
    indicator: str = Field(examples=["village_point_coverage"])
    indicator_name_zh: str
    unit: IndicatorUnit
    comparator: str = Field(examples=["ge"], description="ge ≥, gt >, le ≤, lt <, eq =")
    target: Decimal = Field(description="in the indicator's unit (percent as 0–100)")
    deadline: date | None
    per_year: bool = Field(description="the target is for each calendar year (`period: year`)")
    clause: str | None
    counted_from: date = Field(description="the days the value counts (flows) or its date")
    counted_to: date
    value: Decimal | None = Field(description="in the indicator's unit; null: no figure")
    gap: Decimal | None = Field(description="still to go: positive while not met, ≤ 0 once met")
    status: TargetStatus = Field(
        description="met / on_track / behind / overdue / no_data (ADR 0071)"
    )
    status_zh: str = Field(examples=["进度滞后"])


class DivisionRow(BaseModel):
    code: str = Field(examples=["141100000000"])
    name: str = Field(examples=["吕梁市"])
    level: str = Field(examples=["prefecture"])
    values: dict[str, Decimal | None] = Field(
        description="every indicator of the vocabulary computed for this division and period, "
        "in its unit, by code; null where the service has no figure; absent where it was not "
        "asked (programme statistics below a county) or its service failed (see `errors`)"
    )
    targets: list[TargetRow] = Field(description="every target the division is measured against")
    worst: TargetStatus | None = Field(description="its worst target status; null without targets")
    statuses: dict[TargetStatus, int] = Field(description="how many targets in each status")


class PeriodOut(BaseModel):
    label: str = Field(examples=["2026"])
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to", description="the period's last day, or today")


class Dashboard(BaseModel):
    generated_at: datetime
    period: PeriodOut
    partial: bool = Field(description="true when a figure or target list is missing: see `errors`")
    errors: list[PartError]
    indicators: list[IndicatorInfo] = Field(description="the vocabulary (ADR 0040), in order")
    division: DivisionRow
    sort: str = Field(description="how `children` are ordered")
    children: list[DivisionRow] = Field(
        description="a province's prefectures, a prefecture's counties, a county's townships"
    )
