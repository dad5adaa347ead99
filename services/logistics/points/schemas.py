"""What logistics reads of stations' ``station`` events (their payload carries more)."""

from datetime import date

from pydantic import BaseModel, ConfigDict


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
