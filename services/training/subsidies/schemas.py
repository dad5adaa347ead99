"""Shapes of subsidy policies and computed subsidies on the wire. Amounts (yuan, two
decimals) travel as strings so no client loses a fen to binary floating point."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.training.sessions.models import DurationKind

Extra = Literal["meals", "computer_practice", "lodging"]
EXTRAS: tuple[Extra, ...] = ("meals", "computer_practice", "lodging")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


Amount = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2), AfterValidator(_cents)]


class SubsidyRule(BaseModel):
    """One rule: which sessions it fits, and what it pays per person or per person-day.
    The first rule of a policy that fits a session gives its rate."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    duration_kinds: list[DurationKind] = Field(min_length=1)
    requires: list[Extra] = Field(
        default_factory=list, description="what the session must provide for the rule to fit"
    )
    unit: Literal["person", "person_day"]
    amount: Amount
    extras: dict[Extra, Amount] = Field(
        default_factory=dict, description="added per unit when the session provides it"
    )


PolicyKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    region: str = Field(
        max_length=12,
        description="division prefix the policy covers (2, 4, 6 or 9 digits, or a 12-digit "
        "code); the most specific policy valid on a session's date applies",
        examples=["341504"],
    )
    valid_from: date
    valid_to: date | None = None
    min_age: int | None = Field(
        default=None, ge=0, le=100, description="trainees younger on the first day earn nothing"
    )
    rules: list[SubsidyRule] = Field(min_length=1, max_length=20)


class PolicyCreate(PolicyIn):
    key: PolicyKey = Field(examples=["yeji-2017"])


class PolicyOut(BaseModel):
    key: str
    version: int
    current: bool
    name: str
    source: str | None
    region: str
    valid_from: date
    valid_to: date | None
    min_age: int | None
    rules: list[SubsidyRule]
    created_by: str | None = Field(description="who created it; null for the public")
    created_at: datetime


class TraineeSubsidy(BaseModel):
    trainee_id: int
    days: Decimal = Field(description="days attended (a half day counts 0.5)")
    amount: Decimal
    reason: str | None = Field(default=None, description="why nothing, when amount is 0")


class SessionSubsidyOut(BaseModel):
    session_id: int
    status: str
    policy_key: str | None
    policy_version: int | None
    rule: str | None
    unit: Literal["person", "person_day"] | None
    unit_amount: Decimal | None
    breakdown: list[dict[str, str]]
    trainees: int
    total: Decimal
    items: list[TraineeSubsidy]


class SubsidyGroup(BaseModel):
    key: str = Field(description="the organiser's credit code, or the county code")
    name: str | None = None
    sessions: int
    trainees: int = Field(description="people-times paid for")
    amount: Decimal


class SubsidyReport(BaseModel):
    division: str | None
    period_from: date
    period_to: date
    group_by: Literal["organiser", "county"]
    total: Decimal
    groups: list[SubsidyGroup]
