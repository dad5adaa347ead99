"""What the divisions API reads and answers (kept apart from the SQLAlchemy models)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from common.bulk import BulkResult, BulkRowResult
from common.identifiers import DivisionClass, DivisionLevel

CODE_EXAMPLE = "141124000000"
_FLAGS_EXAMPLE = {
    "poverty_county": True,
    "poor_village": False,
    "demonstration_year": 2017,
    "version": 184502113,
    "updated_by": "user:42",
    "updated_at": "2025-11-06T08:15:13Z",
}


class DivisionRef(BaseModel):
    """An ancestor: enough to show the path 山西省 › 吕梁市 › 临县."""

    code: str = Field(examples=["141100000000"])
    name: str = Field(examples=["吕梁市"])
    level: DivisionLevel


class DivisionFlags(BaseModel):
    """Flags no public list carries, set by officials."""

    poverty_county: bool = Field(
        default=False, description="国家级贫困县 national poverty county (county level)"
    )
    poor_village: bool = Field(
        default=False, description="建档立卡贫困村 registered poor village (village level)"
    )
    demonstration_year: int | None = Field(
        default=None,
        description="batch year of the 电子商务进农村综合示范县 demonstration county "
        "(county level); null when not one",
        examples=[2019],
    )
    version: int = Field(
        default=0, description="rises with every change; the ETag of the flags; 0 = never set"
    )
    updated_by: str | None = Field(default=None, examples=["user:42"])
    updated_at: datetime | None = None


class DivisionSummary(BaseModel):
    """One division as lists show it."""

    model_config = ConfigDict(populate_by_name=True)

    code: str = Field(description="12-digit NBS statistical code", examples=[CODE_EXAMPLE])
    name: str = Field(examples=["临县"])
    level: DivisionLevel
    division_class: DivisionClass | None = Field(
        default=None,
        alias="class",
        description="township level: subdistrict 街道 / town 镇 / township 乡 / township_like; "
        "village level: residents_committee 居委会 / village_committee 村委会 / other; "
        "null above the township level",
    )
    parent_code: str | None = Field(examples=["141100000000"])
    since_edition: int = Field(
        description="first NBS edition that listed the code", examples=[2023]
    )
    until_edition: int | None = Field(
        description="last edition that listed the code; null while it is current", examples=[None]
    )
    current: bool = Field(description="listed by the newest edition imported")
    flags: DivisionFlags


class DivisionDetail(DivisionSummary):
    """A division with its ancestors, province first."""

    ancestors: list[DivisionRef] = Field(description="province → … → parent")
    county_level: bool = Field(
        description="a county-level unit: a county, or a prefecture-level city without "
        "counties (东莞 441900, 中山 442000, 儋州 460400) whose townships sit right below it"
    )
    has_boundary: bool = Field(description="a county boundary is on file")

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "code": "141124000000",
                    "name": "临县",
                    "level": "county",
                    "class": None,
                    "parent_code": "141100000000",
                    "since_edition": 2023,
                    "until_edition": None,
                    "current": True,
                    "flags": _FLAGS_EXAMPLE,
                    "ancestors": [
                        {"code": "140000000000", "name": "山西省", "level": "province"},
                        {"code": "141100000000", "name": "吕梁市", "level": "prefecture"},
                    ],
                    "county_level": True,
                    "has_boundary": True,
                }
            ]
        },
    )


class FlagsUpdate(BaseModel):
    """The whole flag set of one division: a flag left out is false (or, for the year, none).

    Only the flags of the division's level can be set: ``poverty_county`` and
    ``demonstration_year`` on county-level units, ``poor_village`` on villages.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"poverty_county": True, "demonstration_year": 2017},
                {"poor_village": True},
            ]
        },
    )

    poverty_county: bool = False
    poor_village: bool = False
    demonstration_year: int | None = Field(
        default=None, description="from 2014 (the programme's first batch) to this year"
    )


class FlagRow(BaseModel):
    """One row of a bulk update: only the flags it names change (others keep their value).
    ``demonstration_year: null`` clears the year; ``name`` is ignored (for the reader)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="12-digit or short (2, 4, 6, 9 digits) code")
    name: str | None = None
    poverty_county: bool | None = None
    poor_village: bool | None = None
    demonstration_year: int | None = None


class FlagRowResult(BulkRowResult):
    """What became of one row of a flag upload (status ``updated``: a flag changed)."""

    division_code: str | None = Field(
        default=None, description="the code as normalized, or as sent when invalid"
    )
    flags: DivisionFlags | None = Field(
        default=None, description="accepted rows: the flags after this row (or as they would be)"
    )


class FlagsBulkResult(BulkResult[FlagRowResult]):
    """The answer to a flag upload."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dry_run": False,
                    "counts": {
                        "rows": 2,
                        "created": 0,
                        "updated": 1,
                        "unchanged": 0,
                        "rejected": 1,
                    },
                    "results": [
                        {
                            "index": 1,
                            "status": "updated",
                            "division_code": "141124000000",
                            "flags": _FLAGS_EXAMPLE,
                        },
                        {
                            "index": 2,
                            "status": "rejected",
                            "division_code": "14112",
                            "http_status": 422,
                            "code": "invalid_division_code",
                            "field": "code",
                            "message": "'14112' is not a 12-digit statistical division code",
                        },
                    ],
                }
            ]
        }
    )
