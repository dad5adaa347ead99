"""Shapes of network indicators on the wire."""

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field


class GapKind(StrEnum):
    TOWNSHIPS = "townships"  # 镇/乡/township-like units without an operating township station
    VILLAGES = "villages"  # village committees without an operating village point
    POOR_VILLAGES = "poor_villages"  # registered poor villages (建档立卡贫困村) without one


class IndicatorDivision(BaseModel):
    code: str | None = Field(
        description="12-digit code; absent for the nation", examples=["141100000000"]
    )
    name: str = Field(examples=["吕梁市"])
    level: str = Field(
        description="nation, province, prefecture, county, township or village",
        examples=["prefecture"],
    )


class Coverage(BaseModel):
    covered: int = Field(description="units with an operating or accepted station")
    total: int = Field(description="units the target counts (current divisions only)")
    uncovered: int
    rate: float | None = Field(description="covered ÷ total; null when total is 0", examples=[0.82])


class StationCounts(BaseModel):
    total: int
    by_tier: dict[str, dict[str, int]] = Field(
        description="tier → status → count, every tier and status present",
        examples=[{"village": {"planned": 3, "operating": 120, "accepted": 40}}],
    )
    by_status: dict[str, int]


class Reporting(BaseModel):
    month: str = Field(examples=["2026-09"])
    expected: int = Field(
        description="stations operating or accepted that began operating by that month"
    )
    reported: int = Field(description="of those, the ones with a report for the month")
    overdue: int
    rate: float | None = Field(description="reported ÷ expected; null when none is expected")


class ReportingRate(Reporting):
    division: IndicatorDivision


class NetworkIndicators(BaseModel):
    division: IndicatorDivision
    stations: StationCounts
    township_coverage: Coverage = Field(description="乡镇服务站覆盖率 (not counting 街道)")
    village_coverage: Coverage = Field(description="建制村 (village committee) coverage")
    poor_village_coverage: Coverage = Field(description="建档立卡贫困村 coverage")
    reporting: Reporting


class SalesFigures(BaseModel):
    reports: int = Field(description="monthly reports counted")
    upward_amount: Decimal = Field(description="农产品上行, yuan")
    upward_orders: int
    downward_amount: Decimal = Field(description="工业品下行, yuan")
    downward_orders: int
    parcels_in: int
    parcels_out: int
    households_served: int
    poor_households_served: int


class SalesMonth(SalesFigures):
    month: str = Field(examples=["2026-09"])


class Sales(BaseModel):
    division: IndicatorDivision
    first: str = Field(serialization_alias="from", examples=["2026-01"])
    last: str = Field(serialization_alias="to", examples=["2026-09"])
    months: list[SalesMonth] = Field(description="every month of the range, oldest first")
    total: SalesFigures


class ReportFigures(BaseModel):
    """Everything a report document reads of stations for a division and period, in one
    answer: each part exactly what its own route answers."""

    network: NetworkIndicators = Field(
        description="as `/v1/indicators/network` answers for the period's last month"
    )
    sales: Sales = Field(description="as `/v1/indicators/sales` answers for the period's months")
    reporting: list[ReportingRate] = Field(
        description="as `/v1/reports/rate` answers for each month of the period, oldest first"
    )


class Gap(BaseModel):
    code: str = Field(examples=["141124203212"])
    name: str
    division_class: str
    parent_code: str | None
    parent_name: str | None = Field(description="the township (or county) it belongs to")
    station_code: str | None = Field(
        description="a planned, building or suspended station already there, if any"
    )
    station_status: str | None


class OverdueStation(BaseModel):
    code: str = Field(examples=["141124100201-01"])
    name: str
    tier: str
    status: str
    division_code: str
    operating_since: str | None = Field(description="YYYY-MM")
    last_reported_month: str | None = Field(description="its latest report, YYYY-MM")
