from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from common.auth import NATION
from common.errors import invalid
from common.fields import Name
from gateway.feeds.topics import TOPICS
from gateway.identity.users.schemas import _scope
from gateway.reports.deliveries.schemas import AttemptOut, DeliveryState, SecretOut
from gateway.reports.targets.schemas import EndpointUrl, _distinct, _endpoint


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


def _topic(value: Any) -> Any:
    if isinstance(value, str) and value not in TOPICS:
        raise invalid(
            "unknown_topic",
            f"unknown topic {value!r}; GET /feeds/v1/topics lists them",
            f"未知的主题 {value!r},可选主题见 GET /feeds/v1/topics",
        )
    return value


TopicName = Annotated[
    str, BeforeValidator(_topic), Field(examples=["stations.station", "programme.disbursement"])
]
Topics = Annotated[list[TopicName], Field(min_length=1, max_length=len(TOPICS))]
_DIVISION = Field(
    default=None,
    description="the subtree whose events it takes: a division code (2, 4, 6, 9 or 12 digits) "
    f"inside your own scope, or '{NATION}'; yours when left out",
    examples=["14", "141124"],
)


class SubscriptionCreate(BaseModel):
    """A webhook subscription: events of ``topics`` about divisions under ``division``, POSTed
    to ``endpoint_url`` and signed as Standard Webhooks do it."""

    model_config = ConfigDict(extra="forbid")

    endpoint_url: EndpointUrl = Field(examples=["https://ec.shanxi.example.gov.cn/hooks/ruralnet"])
    topics: Topics
    division: str | None = _DIVISION
    description: Name | None = Field(default=None, examples=["山西省平台:站点与拨付"])

    _url = field_validator("endpoint_url", mode="before")(_endpoint)
    _division = field_validator("division", mode="before")(_scope)
    _topics = field_validator("topics")(_distinct)


class SubscriptionPatch(BaseModel):
    """Change what is given; ``status: disabled`` stops deliveries (they wait, not lost) and
    ``active`` resumes them and clears the alert."""

    model_config = ConfigDict(extra="forbid")

    endpoint_url: EndpointUrl | None = None
    topics: Topics | None = None
    division: str | None = None
    description: Name | None = None
    status: SubscriptionStatus | None = None

    _url = field_validator("endpoint_url", mode="before")(_endpoint)
    _division = field_validator("division", mode="before")(_scope)
    _topics = field_validator("topics")(_distinct)


class SubscriptionOut(BaseModel):
    id: int
    description: str | None
    endpoint_url: str
    division: str
    topics: list[str]
    status: SubscriptionStatus
    disabled_reason: str | None = Field(description="`gone` (the URL answered 410) or `owner`")
    alert: str | None = Field(description="the last problem to look at (a 4xx, retries used up)")
    alert_at: datetime | None
    secrets: list[SecretOut]
    owner: str
    version: int
    created_at: datetime
    updated_at: datetime


class SubscriptionWithSecret(SubscriptionOut):
    signing_secret: str = Field(
        description="the Standard Webhooks `whsec_` secret your receiver verifies every "
        "delivery with; shown this once"
    )


class TopicOut(BaseModel):
    name: str = Field(examples=["stations.station"])
    service: str
    description: str
    description_zh: str
    national_only: bool = Field(
        description="its events name no division: only national subscriptions receive them"
    )


class EventDeliveryOut(DeliveryState):
    subscription_id: int
    event_type: str = Field(examples=["stations.station", "ping"])
    division: str | None


class EventDeliveryDetail(EventDeliveryOut):
    attempt_log: list[AttemptOut]
