"""Carriers on the wire."""

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from common.errors import invalid
from common.fields import CreditCode, Name
from services.logistics.carriers.models import AliasScheme, CarrierKind

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
_ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_HOTLINE = re.compile(r"^[0-9][0-9-]{2,19}$")


def _code(value: str) -> str:
    if not _CODE.match(value):
        raise invalid(
            "invalid_carrier_code",
            "2–40 lower-case letters, digits, '_' or '-', like 'zto'",
            "应为 2–40 位小写字母、数字、'_' 或 '-',如 'zto'",
        )
    return value


def _alias(value: str) -> str:
    if not _ALIAS.match(value):
        raise invalid(
            "invalid_alias",
            "1–40 letters, digits, '_' or '-'",
            "应为 1–40 位字母、数字、'_' 或 '-'",
        )
    return value


def _hotline(value: str) -> str:
    if not _HOTLINE.match(value):
        raise invalid(
            "invalid_hotline",
            "a company hotline such as 95311 or 400-…",
            "应为企业客服电话,如 95311 或 400-…",
        )
    return value


CarrierCode = Annotated[str, AfterValidator(_code), Field(examples=["zto"])]
Alias = Annotated[str, AfterValidator(_alias), Field(examples=["zhongtong"])]
Hotline = Annotated[str, AfterValidator(_hotline), Field(examples=["95311"])]
Website = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S{3,200}$")]
Aliases = Annotated[
    dict[AliasScheme, Annotated[list[Alias], Field(max_length=10)]],
    Field(description="codes per aggregator scheme", examples=[{"kuaidi100": ["zhongtong"]}]),
]

_EXAMPLE = {
    "code": "zto",
    "name_zh": "中通快递",
    "name_en": "ZTO Express",
    "kind": "express",
    "credit_code": None,
    "service_phone": "95311",
    "website": "https://www.zto.com",
    "active": True,
    "aliases": {"kuaidi100": ["zhongtong"], "kdniao": ["ZTO"]},
    "version": 1,
    "updated_at": "2026-11-22T08:00:00+08:00",
}


class CarrierOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    code: str = Field(description="ours, stable: what carrier credentials and rows name")
    name_zh: str
    name_en: str
    kind: CarrierKind
    credit_code: str | None = Field(description="统一社会信用代码, when known")
    service_phone: str | None
    website: str | None
    active: bool
    aliases: dict[AliasScheme, list[str]]
    version: int
    updated_at: datetime


class CarrierCreate(BaseModel):
    """A carrier an admin adds (a county co-operative fleet, a regional express company)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "lx_gxs",
                    "name_zh": "临县供销社配送队",
                    "name_en": "Lin County Supply and Marketing Co-operative fleet",
                    "kind": "local",
                    "service_phone": "0358-4420000",
                }
            ]
        },
    )

    code: CarrierCode
    name_zh: Name
    name_en: Name
    kind: CarrierKind
    credit_code: CreditCode | None = None
    service_phone: Hotline | None = None
    website: Website | None = None
    aliases: Aliases = Field(default_factory=dict)


class CarrierPatch(BaseModel):
    """Changes to a carrier: only the fields sent change. A carrier's own integration may
    change its names, credit code, hotline and website; ``kind``, ``active`` and ``aliases``
    (which replace the whole alias set) are for admins."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"credit_code": "91310000MA1K35H72F"}]},
    )

    name_zh: Name | None = None
    name_en: Name | None = None
    credit_code: CreditCode | None = None
    service_phone: Hotline | None = None
    website: Website | None = None
    kind: CarrierKind | None = None
    active: bool | None = None
    aliases: Aliases | None = None


ADMIN_FIELDS = frozenset({"kind", "active", "aliases"})
