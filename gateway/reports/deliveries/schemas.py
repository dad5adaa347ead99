from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # being delivered (or paused while its target is disabled)
    DELIVERED = "delivered"
    REJECTED = "rejected"  # the receiver refused it (4xx): its manager must look
    GONE = "gone"  # the receiver answered 410: its target or subscription was disabled
    FAILED = "failed"  # every attempt of the retry schedule failed


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    outcome: str = Field(
        description="in_flight, delivered, retry, rejected, gone, interrupted",
        examples=["retry"],
    )
    status_code: int | None
    latency_ms: int | None
    response_excerpt: str | None
    retry_after_seconds: int | None


class DeliveryState(BaseModel):
    """What every delivery says, a report document's or a feed event's."""

    id: int
    webhook_id: str = Field(
        description="the same on every attempt and replay", examples=["rev_42", "evt_stations_7"]
    )
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    receipt_status: int | None = Field(description="the status the receiver answered with")
    receipt: str | None = Field(description="what the receiver answered (its receipt), kept")
    last_error: str | None
    replays: int
    created_at: datetime


class DeliveryOut(DeliveryState):
    target_id: int
    revision_id: int
    document_type: str
    division: str
    period: str


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut]


class SecretOut(BaseModel):
    id: int
    hint: str = Field(description="the secret's first characters")
    created_at: datetime
    expires_at: datetime | None


class SecretRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_hours: int = Field(
        default=24,
        ge=0,
        le=24 * 30,
        description="how long the current secret keeps signing beside the new one",
    )


class NewSecret(SecretOut):
    signing_secret: str = Field(description="shown this once")
