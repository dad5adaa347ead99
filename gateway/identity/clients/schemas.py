from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from common.auth import CARRIER_CODE, NATION
from common.errors import invalid
from common.fields import CreditCode, Name
from gateway.identity.users.models import UserStatus
from gateway.identity.users.schemas import _scope


class ClientRole(StrEnum):
    CARRIER = "carrier"  # a logistics company, bound to its carrier code
    PLATFORM = "platform"  # a provincial platform or MOFCOM's receiver, bound to a division
    ORGANISER = "organiser"  # a training organiser (承办单位), bound to its credit code


CarrierCode = Annotated[
    str,
    StringConstraints(pattern=CARRIER_CODE.pattern, max_length=40),
    Field(description="kuaidi100-style carrier code", examples=["zhongtong"]),
]
ScopeName = Annotated[str, StringConstraints(max_length=40), Field(examples=["coverage:write"])]


def _scopes(value: list[str] | None) -> list[str] | None:
    """After the items are validated (a list of lists is their error, not a crash here)."""
    if value is not None and len(set(value)) != len(value):
        raise invalid("duplicate_scope", "a scope is listed twice", "权限范围重复")
    return value


class ClientCreate(BaseModel):
    """A machine client. Carriers need ``carrier``, platforms ``division``, organisers
    ``organiser``; ``scopes`` from ``GET /auth/scopes``."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["中通快递 吕梁分公司"])
    role: ClientRole
    carrier: CarrierCode | None = None
    division: str | None = Field(
        default=None,
        description=f"platforms: the division subtree they receive, or '{NATION}' (MOFCOM)",
        examples=["14"],
    )
    organiser: CreditCode | None = None
    scopes: list[ScopeName] = Field(min_length=1, max_length=20)

    _division = field_validator("division", mode="before")(_scope)
    _unique = field_validator("scopes")(_scopes)


class ClientPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    scopes: list[ScopeName] | None = Field(default=None, min_length=1, max_length=20)
    status: UserStatus | None = Field(
        default=None, description="`disabled` refuses its secrets and its tokens at once"
    )

    _unique = field_validator("scopes")(_scopes)


class SecretRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_hours: int = Field(
        default=168,
        ge=0,
        le=24 * 30,
        description="how long the secrets in use stay valid beside the new one (0: not at all)",
    )


class SecretOut(BaseModel):
    id: int
    hint: str = Field(description="the first characters of the secret", examples=["cs_Xk3f"])
    created_at: datetime
    expires_at: datetime | None


class ClientOut(BaseModel):
    client_id: str = Field(examples=["rn-3f9a1c2b7d4e5f60"])
    name: str
    role: ClientRole
    carrier: str | None
    division: str | None
    organiser: str | None
    scopes: list[str]
    status: UserStatus
    secrets: list[SecretOut] = Field(description="the secrets valid now")
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class ClientWithSecret(ClientOut):
    client_secret: str = Field(description="shown this once; store it where the system reads it")


class ScopeOut(BaseModel):
    name: str
    description: str
    roles: list[str]
