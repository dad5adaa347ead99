"""Target sets and targets on the wire.

Values are exact decimals answered as strings ("55.00"), in the unit of the target's
indicator (percent as the policies write it: 55, not 0.55). Rules that need the vocabulary
(an unknown indicator, a unit that is not the indicator's, a share over 100 %) are checked
in ``service.py`` so that each has its own problem code.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from common.fields import DivisionCode, Name, Text
from common.indicators import IndicatorUnit
from services.programme.targets.models import Comparator, TargetPeriod

SET_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
SetCode = Annotated[
    str,
    StringConstraints(pattern=SET_CODE_PATTERN),
    Field(
        description="lower-case letters, digits and dashes, 3–64 characters",
        examples=["shanxi-2017"],
    ),
]
IndicatorText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=48),
    Field(
        description="a code of the indicator vocabulary (`GET /v1/indicators`)",
        examples=["township_station_coverage"],
    ),
]


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: IndicatorText
    comparator: Comparator = Field(examples=["ge"])
    value: Decimal = Field(
        max_digits=16, decimal_places=2, description="in the indicator's unit", examples=["55"]
    )
    unit: IndicatorUnit | None = Field(
        default=None, description="the indicator's unit; omitted: taken from the vocabulary"
    )
    deadline: date | None = Field(default=None, examples=["2017-12-31"])
    period: TargetPeriod | None = Field(
        default=None,
        description="`year`: the figure of each calendar year must meet the target (flow "
        "indicators only)",
    )
    clause: Text | None = Field(
        default=None,
        description="the policy's own words",
        examples=["示范县电子商务服务站点乡镇覆盖率达到 100%"],
    )


_SET_EXAMPLE = {
    "code": "lvliang-lishi-2018",
    "title": "离石区电子商务进农村三年行动计划",
    "issuer": "离石区人民政府",
    "document_number": "离政发〔2018〕12号",
    "year": 2018,
    "region_code": "141102",
    "targets": [
        {
            "indicator": "village_point_coverage",
            "comparator": "ge",
            "value": "80",
            "deadline": "2019-12-31",
        },
        {
            "indicator": "training_people_times",
            "comparator": "ge",
            "value": "2000",
            "period": "year",
            "deadline": "2020-12-31",
        },
    ],
}


class TargetSetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SET_EXAMPLE]})

    code: SetCode
    title: Name = Field(description="the document's title")
    issuer: Name = Field(examples=["离石区人民政府"])
    document_number: Name | None = Field(default=None, description="文号")
    year: int = Field(ge=2000, le=2100)
    region_code: DivisionCode = Field(description="the division the policy applies to")
    targets: list[TargetIn] = Field(min_length=1, max_length=100)


class TargetSetPatch(BaseModel):
    """Only the fields sent change; ``targets`` replaces the whole list."""

    model_config = ConfigDict(extra="forbid")

    title: Name | None = None
    issuer: Name | None = None
    document_number: Name | None = None
    year: int | None = Field(default=None, ge=2000, le=2100)
    targets: list[TargetIn] | None = Field(default=None, min_length=1, max_length=100)


class TargetOut(BaseModel):
    indicator: str
    indicator_name_zh: str = Field(examples=["乡镇电子商务服务站覆盖率"])
    comparator: Comparator
    value: Decimal
    unit: IndicatorUnit
    deadline: date | None
    period: TargetPeriod | None
    clause: str | None


class TargetSetOut(BaseModel):
    code: str
    title: str
    issuer: str
    document_number: str | None
    year: int
    region_code: str
    preset: bool = Field(description="bundled from a seed policy document; read-only")
    targets: list[TargetOut]
    version: int
    created_at: datetime
    updated_at: datetime


class AdoptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_set: SetCode


class AdoptionOut(BaseModel):
    county_code: str
    target_set: TargetSetOut
    adopted_by: str
    adopted_at: datetime


class CountyTargets(BaseModel):
    """What a county is measured against: every set it adopted, with its targets."""

    county_code: str
    adoptions: list[AdoptionOut]
