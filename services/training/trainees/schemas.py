"""Shapes of trainees on the wire. Personal fields are masked outside the trainee's scope."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.training.trainees.models import TraineeCategory

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]

_CREATE_EXAMPLE = {
    "id_number": "14112419900307123X",
    "name": "王小甲",
    "phone": "13900000001",
    "residence_code": "141124100201",
    "categories": ["poor_household", "rural_youth"],
}


class TraineeIn(BaseModel):
    """A person to register. The ID number is checked (check digit, birth date), stored only
    encrypted and never repeated in an error."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    id_number: str = Field(
        max_length=32, description="resident ID number (GB 11643), 18 characters"
    )
    name: Name
    phone: str | None = Field(default=None, max_length=32, description="mobile or fixed line")
    residence_code: str = Field(
        max_length=12, description="village-level division code of the residence"
    )
    categories: list[TraineeCategory] = Field(default_factory=list, max_length=10)


class TraineePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    phone: str | None = Field(default=None, max_length=32)
    residence_code: str | None = Field(default=None, max_length=12)
    categories: list[TraineeCategory] | None = Field(default=None, max_length=10)


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(max_length=32)


class TraineeOut(BaseModel):
    id: int
    masked: bool = Field(description="true: name, phone and ID number are masked for you")
    id_number: str | None = Field(examples=["141124********123X"])
    name: str | None = Field(examples=["王*甲"])
    phone: str | None = Field(examples=["139****0001"])
    sex: str | None = None
    birth_year: int | None = None
    residence_code: str
    categories: list[TraineeCategory]
    version: int
    created_at: datetime
    erased: bool = False
    warnings: list[dict[str, str]] | None = Field(
        default=None, description="advice that did not refuse the record (unknown birthplace)"
    )


class AttendanceItem(BaseModel):
    session_id: int
    day: date
    part: str
    recorded_by: str
    recorded_at: datetime


class OutcomeItem(BaseModel):
    id: int
    kind: str
    occurred_on: date
    source: str
    details: dict[str, Any]


class SubsidyItem(BaseModel):
    session_id: int
    amount: Decimal


class TraineeExport(BaseModel):
    """Everything held about one person (PIPL art. 45): the record in clear, attendance,
    outcomes, what sessions earned for them, and who recorded what."""

    trainee: TraineeOut
    birth_date: date | None
    created_by: str
    updated_at: datetime
    attendance: list[AttendanceItem]
    outcomes: list[OutcomeItem]
    subsidies: list[SubsidyItem]
    exported_at: datetime


class ErasureOut(BaseModel):
    id: int
    erased_at: datetime
    kept: list[str] = Field(description="what is kept, anonymous, so that indicators do not change")
