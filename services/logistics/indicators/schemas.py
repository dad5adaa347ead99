"""Logistics indicators on the wire (definitions: docs/adr/0022-logistics-indicators.md)."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class DivisionRef(BaseModel):
    code: str | None = Field(description="12-digit code; absent for the nation")
    name: str = Field(examples=["离石区"])
    level: str = Field(description="nation, province, prefecture, county or township")


class Share(BaseModel):
    reached: int
    total: int
    unreached: int
    rate: float | None = Field(description="reached ÷ total; null when total is 0", examples=[0.82])


class CarriersPerTownship(BaseModel):
    average: float | None = Field(description="distinct carriers per counted township")
    distribution: dict[str, int] = Field(
        description="townships by number of carriers: 0, 1, 2, 3+",
        examples=[{"0": 3, "1": 5, "2": 9, "3+": 14}],
    )


class Depots(BaseModel):
    active: int
    by_kind: dict[str, int] = Field(examples=[{"county_centre": 1, "township_hub": 12}])
    shared: int = Field(description="active depots with two or more carriers (共同配送)")
    shared_rate: float | None


class CoverageIndicators(BaseModel):
    division: DivisionRef
    as_of: date
    township_coverage: Share = Field(
        description="快递物流乡镇覆盖率: townships (not 街道) reached by at least one carrier"
    )
    frequent_township_coverage: Share = Field(
        description="the same, by a carrier delivering at least `min_deliveries` times a week"
    )
    min_deliveries: int
    townships_with_hub: Share = Field(description="townships with an active township hub depot")
    village_points_with_carrier: Share = Field(
        description="operating or accepted village points whose village a carrier covers"
    )
    village_points_by_mode: dict[str, Share] = Field(
        description="the same for each mode of service (a point may count under several)"
    )
    carriers_per_township: CarriersPerTownship
    depots: Depots


class MonthVolumes(BaseModel):
    month: str | None = Field(description="YYYY-MM; null on the total")
    rows: int = Field(description="carrier × place × day rows summed")
    outbound_parcels: int = Field(description="上行: sent from the places (farm produce)")
    outbound_weight_kg: Decimal
    inbound_parcels: int = Field(description="下行: delivered to the places (goods)")
    inbound_weight_kg: Decimal
    outbound_share: float | None = Field(description="outbound ÷ all parcels")


class VolumeIndicators(BaseModel):
    division: DivisionRef
    months: list[MonthVolumes]
    total: MonthVolumes


class ReportFigures(BaseModel):
    """Everything a report document reads of logistics for a division and period, in one
    answer: each part exactly what its own route answers."""

    coverage: CoverageIndicators = Field(
        description="as `/v1/indicators/coverage` answers on the period's last day"
    )
    volumes: VolumeIndicators = Field(
        description="as `/v1/indicators/volumes` answers for the period's months"
    )


class TownshipGap(BaseModel):
    code: str
    name: str
    county_code: str | None
    county_name: str | None


class PointGap(BaseModel):
    code: str
    name: str
    status: str
    village_code: str
    village_name: str | None


class PlaceCarriers(BaseModel):
    code: str = Field(examples=["141124100201"])
    carriers: int = Field(
        description="distinct carriers covering it on the day (a township: it or any of its "
        "villages)"
    )


class PlacesCoverage(BaseModel):
    as_of: date
    places: list[PlaceCarriers] = Field(description="every code asked for, by code")
