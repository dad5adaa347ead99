"""Shapes of attendance on the wire: one sign-in, or a sign-in sheet in bulk."""

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from common.cells import CountCell, DateCell
from common.errors import invalid
from services.training.attendance.models import DayPart
from services.training.trainees.models import TraineeCategory
from services.training.trainees.schemas import TraineeIn

_PARTS = {
    "day": "day", "全天": "day", "全日": "day",
    "am": "am", "上午": "am", "morning": "am",
    "pm": "pm", "下午": "pm", "afternoon": "pm",
}  # fmt: skip
_CATEGORY_ZH = {
    "建档立卡贫困户": "poor_household",
    "贫困户": "poor_household",
    "农村青年": "rural_youth",
    "返乡大学生": "returning_graduate",
    "退役军人": "veteran",
    "村干部": "village_official",
    "第一书记": "first_secretary",
    "合作社成员": "cooperative_member",
    "站长": "station_operator",
    "网店店主": "online_shop_owner",
    "其他": "other",
}


def parse_part(value: Any) -> Any:
    if isinstance(value, str):
        part = _PARTS.get(value.strip().lower())
        if part is None:
            raise invalid(
                "invalid_part", "day, am or pm (全天、上午、下午)", "应为全天、上午或下午"
            )
        return part
    return value


def parse_categories(value: Any) -> Any:
    if isinstance(value, str):
        items = [p.strip() for p in re.split(r"[;,，；、|]", value) if p.strip()]
        return [_CATEGORY_ZH.get(item, item) for item in items]
    return value


Part = Annotated[DayPart | None, BeforeValidator(parse_part)]
Categories = Annotated[list[TraineeCategory], BeforeValidator(parse_categories)]


class AttendanceIn(BaseModel):
    """One sign-in: an existing trainee by id, or a person by ID number (created when new)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"trainee_id": 42, "day": "2026-10-12", "part": "day"}]},
    )

    trainee_id: int | None = Field(default=None, ge=1, le=2**62)
    trainee: TraineeIn | None = None
    day: DateCell
    part: Part = Field(
        default=None, description="day, am or pm; default: the whole day (am for half-day sessions)"
    )


class AttendanceRow(BaseModel):
    """One row of a sign-in sheet. A person not yet registered is created from the row
    (then name and residence_code are needed)."""

    model_config = ConfigDict(extra="forbid")

    session_id: Annotated[CountCell, Field(ge=1, le=2**62)]
    day: DateCell
    part: Part = None
    id_number: str = Field(max_length=32)
    name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=32)
    residence_code: str | None = Field(default=None, max_length=12)
    categories: Categories = Field(default_factory=list, max_length=10)


class AttendanceOut(BaseModel):
    session_id: int
    trainee_id: int
    day: date
    part: DayPart
    outcome: Literal["created", "unchanged"]
    trainee_created: bool = False


class SessionCounts(BaseModel):
    session_id: int
    people: int = Field(description="distinct persons who attended")
    person_days: float = Field(description="days attended, a half day counting 0.5")
    attendance_rows: int
