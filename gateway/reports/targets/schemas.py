import datetime as dt
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from common.auth import NATION
from common.errors import invalid
from common.fields import Name
from gateway.identity.users.schemas import _scope
from gateway.reports.deliveries.schemas import SecretOut
from gateway.reports.targets.schedule import PERIOD_KINDS


class TargetKind(StrEnum):
    MOFCOM = "mofcom"  # 商务部农村电子商务信息系统
    PROVINCE = "province"  # a provincial platform


class TargetStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


def _endpoint(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(
            "invalid_endpoint_url",
            "endpoint_url must be an http:// or https:// URL with a host",
            "endpoint_url 应为带主机名的 http:// 或 https:// 地址",
        )
    if parts.username or parts.password:
        raise invalid(
            "invalid_endpoint_url",
            "endpoint_url must not carry credentials: deliveries are signed instead",
            "endpoint_url 不得包含用户名或密码:投递以签名认证",
        )
    return value.strip()


def _timezone(value: Any) -> Any:
    if isinstance(value, str):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid(
                "unknown_timezone", f"unknown time zone {value!r}", "未知时区,例如 Asia/Shanghai"
            ) from None
    return value


def _distinct(value: list[str] | None) -> list[str] | None:
    """After the items are validated: a list of anything else is their error, not ours."""
    if value is not None and len(set(value)) != len(value):
        raise invalid("duplicate_value", "a value is listed twice", "有重复的值")
    return value


DocumentType = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,59}$"), Field(examples=["county-report"])
]
PeriodKind = Annotated[
    str, StringConstraints(pattern=f"^({'|'.join(PERIOD_KINDS)})$"), Field(examples=["month"])
]
EndpointUrl = Annotated[str, StringConstraints(max_length=2000)]


class Schedule(BaseModel):
    """Once a month, after the periods it reports have ended."""

    model_config = ConfigDict(extra="forbid")

    day: int = Field(default=5, ge=1, le=28, description="day of the month")
    time: dt.time = Field(default=dt.time(2, 0), description="local time of day")
    timezone: str = Field(default="Asia/Shanghai", max_length=60)

    _tz = field_validator("timezone", mode="before")(_timezone)


class TargetCreate(BaseModel):
    """A delivery target. ``division``: the subtree whose documents it takes (``nation`` for
    MOFCOM). ``periods``: which kinds of period (month, quarter, year)."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["商务部农村电子商务信息系统"])
    kind: TargetKind
    endpoint_url: EndpointUrl = Field(examples=["https://nc.mofcom.gov.cn/api/reports"])
    division: str = Field(examples=[NATION, "14"])
    document_types: list[DocumentType] = Field(min_length=1, max_length=20)
    periods: list[PeriodKind] = Field(default=["month"], min_length=1, max_length=3)
    schedule: Schedule = Field(default_factory=Schedule)

    _url = field_validator("endpoint_url", mode="before")(_endpoint)
    _division = field_validator("division", mode="before")(_scope)
    _lists = field_validator("document_types", "periods")(_distinct)


class TargetPatch(BaseModel):
    """Change what is given; ``status: active`` re-enables a disabled target (its paused
    deliveries resume) and clears its alert."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    endpoint_url: EndpointUrl | None = None
    division: str | None = None
    document_types: list[DocumentType] | None = Field(default=None, min_length=1, max_length=20)
    periods: list[PeriodKind] | None = Field(default=None, min_length=1, max_length=3)
    schedule: Schedule | None = None
    status: TargetStatus | None = None

    _url = field_validator("endpoint_url", mode="before")(_endpoint)
    _division = field_validator("division", mode="before")(_scope)
    _lists = field_validator("document_types", "periods")(_distinct)


class TargetOut(BaseModel):
    id: int
    name: str
    kind: TargetKind
    endpoint_url: str
    division: str
    document_types: list[str]
    periods: list[str]
    schedule: Schedule
    next_run_at: datetime
    status: TargetStatus
    disabled_reason: str | None
    alert: str | None = Field(description="the last problem an admin must look at")
    alert_at: datetime | None
    secrets: list[SecretOut]
    version: int
    created_at: datetime


class TargetWithSecret(TargetOut):
    signing_secret: str = Field(
        description="the Standard Webhooks `whsec_` secret the receiver verifies with; shown "
        "this once"
    )
