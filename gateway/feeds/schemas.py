from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from gateway.registry.schemas import PartError


class FeedEvent(BaseModel):
    id: str = Field(
        description="the event's id across every feed, and the `webhook-id` of its webhook "
        "deliveries: deduplicate by it",
        examples=["evt_stations_4211"],
    )
    cursor: str = Field(description="pass as `after` to read on from this event")
    service: str = Field(examples=["stations"])
    topic: str = Field(examples=["station"])
    key: str = Field(examples=["141124100201-01"])
    action: str = Field(examples=["transitioned"])
    version: int
    division: str | None = Field(description="the division the event is about, if it names one")
    occurred_at: datetime
    payload: dict[str, Any]


class FeedPage(BaseModel):
    items: list[FeedEvent]
    cursor: str = Field(description="where the next poll starts")
    partial: bool = Field(description="a service did not answer: its events come next time")
    errors: list[PartError] = Field(default_factory=list)
