"""What logistics reads of stations' ``station`` events (their payload carries more)."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class PointLocation(BaseModel):
    lon: float
    lat: float


class StationEventPayload(BaseModel):
    """A station as stations publishes it (WGS-84 location, no personal fields)."""

    model_config = ConfigDict(extra="ignore")

    code: str
    tier: str
    name: str
    division_code: str
    status: str
    location: PointLocation | None = None
    operating_since: date | None = None


class PointOut(BaseModel):
    code: str
    tier: str
    name: str
    division_code: str
    status: str
    lon: float | None = Field(default=None, description="WGS-84")
    lat: float | None = None


class ReachingCarrier(BaseModel):
    carrier: str
    name_zh: str
    name_en: str
    coverage_id: int
    division_code: str
    station_code: str | None = Field(description="set when the carrier serves the point itself")
    mode: str
    pickups_per_week: int
    deliveries_per_week: int
    valid_from: date
    valid_to: date | None
    village: bool = Field(description="covers the village (not only the township)")


class PointCarriers(BaseModel):
    point: PointOut
    as_of: date
    carriers: list[ReachingCarrier] = Field(description="reach the point's village")
    township_only: list[ReachingCarrier] = Field(description="reach only its township")
