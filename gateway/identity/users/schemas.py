from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from common.auth import NATION, normalize_scope
from common.errors import invalid
from common.fields import Name, Phone
from common.identifiers import STATION_CODE_PATTERN
from gateway.identity.passwords import MAX_LENGTH
from gateway.identity.users.models import UserRole, UserStatus

Password = Annotated[
    str,
    StringConstraints(max_length=MAX_LENGTH),
    Field(description="at least 8 characters, not a common password, not the phone number"),
]
StationCode = Annotated[
    str, StringConstraints(pattern=STATION_CODE_PATTERN), Field(examples=["141124100201-01"])
]


def _scope(value: Any) -> Any:
    if value is None:
        return None
    try:
        return normalize_scope(value)
    except ValueError as e:
        raise invalid(
            "invalid_scope",
            str(e),
            "管辖范围应为省、市、县或乡级区划代码(2、4、6、9 位或 12 位),或 nation(全国)",
        ) from None


_DIVISION = Field(
    default=None,
    description="officials: the division subtree they administer — a province, prefecture, "
    f"county or township code (significant digits or 12 digits), or '{NATION}'",
    examples=["141124"],
)


class UserCreate(BaseModel):
    """A new account. Officials need ``division``, operators ``station``, admins neither."""

    model_config = ConfigDict(extra="forbid")

    phone: Phone = Field(examples=["13800138000"])
    display_name: Name = Field(examples=["张明"])
    role: UserRole
    division: str | None = _DIVISION
    station: StationCode | None = None
    password: Password = Field(examples=["qingshan village 2024"])

    _division = field_validator("division", mode="before")(_scope)


class UserPatch(BaseModel):
    """What may change; the phone may not (create a new account for a new phone)."""

    model_config = ConfigDict(extra="forbid")

    display_name: Name | None = None
    status: UserStatus | None = Field(
        default=None, description="`disabled` ends every session of the user at once"
    )
    division: str | None = _DIVISION
    station: StationCode | None = None

    _division = field_validator("division", mode="before")(_scope)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, StringConstraints(max_length=MAX_LENGTH)]
    new_password: Password


class UserOut(BaseModel):
    """An account as its managers see it (the phone masked: it is personal data)."""

    id: int
    phone: str = Field(description="masked", examples=["138****8000"])
    display_name: str
    role: UserRole
    division: str | None = Field(examples=["141124"])
    station: str | None
    status: UserStatus
    created_by: str = Field(examples=["user:1"])
    created_at: datetime
    updated_at: datetime
    password_changed_at: datetime
    version: int = Field(description="the ETag; send it back as If-Match to change the account")
