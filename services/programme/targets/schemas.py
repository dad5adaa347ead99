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

from common.fields import Text
from common.indicators import IndicatorUnit
from services.programme.documents import DocumentIn, DocumentOut, DocumentPatch
from services.programme.targets.models import Comparator, TargetPeriod

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


class TargetSetCreate(DocumentIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SET_EXAMPLE]})

    targets: list[TargetIn] = Field(min_length=1, max_length=100)


class TargetSetPatch(DocumentPatch):
    """Only the fields sent change; ``targets`` replaces the whole list."""

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


class TargetSetOut(DocumentOut):
    targets: list[TargetOut]


class AdoptionOut(BaseModel):
    county_code: str
    target_set: TargetSetOut
    adopted_by: str
    adopted_at: datetime


class CountyTargets(BaseModel):
    """What a county is measured against: every set it adopted, with its targets."""

    county_code: str
    adoptions: list[AdoptionOut]
