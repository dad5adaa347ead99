"""Shapes of monthly operating reports on the wire.

Amounts (yuan, two decimals) travel as strings ("1234.50") so no client loses a fen to
binary floating point; JSON numbers are accepted on the way in, and so is text as Excel
writes it ("1,234.50", full-width digits; months as 2026/8/1, 202608, 2026年8月: see
``common.cells``).
"""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from common.bulk import BulkResult, BulkRowResult
from common.cells import AmountCell, CountCell, MonthCell
from common.errors import Unprocessable, invalid
from common.identifiers import STATION_CODE

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
INT32_MAX = 2_147_483_647


def parse_month(raw: str, *, field: str = "month", location: str = "path") -> date:
    """``YYYY-MM`` → the first day of that month; 422 ``invalid_month`` otherwise."""
    match = _MONTH.match(raw.strip())
    if match is None or int(match.group(1)) < 1900:
        raise Unprocessable(
            f"{field} must be a month written YYYY-MM, like 2026-09; got {raw!r}",
            detail_zh=f"{field} 应为 YYYY-MM 格式的月份,例如 2026-09",
            code="invalid_month",
            field=field,
            location=location,
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def format_month(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


N = TypeVar("N", int, Decimal)


def _non_negative(value: N) -> N:
    if value < 0:
        raise invalid("negative_figure", "must not be negative", "不能为负数")
    return value


def _cents(value: Decimal) -> Decimal:
    """Amounts as stored: exactly two decimals, so 1234.5 is answered as "1234.50"."""
    return value.quantize(Decimal("0.01"))


def _station_code_text(value: str) -> str:
    if not STATION_CODE.match(value.strip()):
        raise invalid(
            "invalid_station_code",
            "must be a station code: 12-digit division code, '-', 2 digits",
            "应为站点编码:12 位区划代码、'-'、2 位序号,例如 141124100201-01",
        )
    return value.strip()


# Non-negativity is checked by a validator (not ``ge=0``) so the error says ``negative_figure``.
Amount = Annotated[
    AmountCell,
    Field(max_digits=16, decimal_places=2, json_schema_extra={"minimum": 0}),
    AfterValidator(_non_negative),
    AfterValidator(_cents),
]
Count = Annotated[
    CountCell, Field(le=INT32_MAX, json_schema_extra={"minimum": 0}), AfterValidator(_non_negative)
]
StationCodeText = Annotated[
    str, Field(examples=["141124100201-01"]), AfterValidator(_station_code_text)
]


FIGURES_EXAMPLE: dict[str, Any] = {
    "upward_amount": "18650.00",
    "upward_orders": 214,
    "downward_amount": "9320.50",
    "downward_orders": 388,
    "parcels_in": 1260,
    "parcels_out": 402,
    "households_served": 310,
    "poor_households_served": 42,
}


class ReportFigures(BaseModel):
    """What a station did in one month."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [FIGURES_EXAMPLE]})

    upward_amount: Amount = Field(description="农产品上行: farm produce sold online, yuan")
    upward_orders: Count = Field(description="orders of farm produce sold online")
    downward_amount: Amount = Field(
        description="工业品下行: goods bought online for villagers, yuan"
    )
    downward_orders: Count = Field(description="orders bought online for villagers")
    parcels_in: Count = Field(description="parcels received for villagers")
    parcels_out: Count = Field(description="parcels sent out")
    households_served: Count = Field(description="households served")
    poor_households_served: Count = Field(
        description="registered poor households (建档立卡贫困户) served; at most households_served"
    )


class BulkReportRow(ReportFigures):
    """One row of a bulk upload: which station, which month, and its figures."""

    station_code: StationCodeText
    month: MonthCell = Field(
        description="the month reported: 2026-09 (2026/9/1, 202609, 2026年9月 understood too)",
        json_schema_extra={"type": "string", "examples": ["2026-09"]},
    )


class MonthlyReportOut(BaseModel):
    station_code: str = Field(examples=["141124100201-01"])
    month: str = Field(examples=["2026-09"])
    revision: int = Field(description="1 for the first submission, +1 for each correction")
    upward_amount: Decimal
    upward_orders: int
    downward_amount: Decimal
    downward_orders: int
    parcels_in: int
    parcels_out: int
    households_served: int
    poor_households_served: int
    submitted_by: str = Field(examples=["user:42"])
    submitted_at: datetime


class MonthlyReportRevisionOut(BaseModel):
    revision: int
    upward_amount: Decimal
    upward_orders: int
    downward_amount: Decimal
    downward_orders: int
    parcels_in: int
    parcels_out: int
    households_served: int
    poor_households_served: int
    submitted_by: str
    submitted_at: datetime


class RevisionList(BaseModel):
    station_code: str
    month: str
    items: list[MonthlyReportRevisionOut] = Field(description="oldest first")


Outcome = Literal["created", "revised", "unchanged", "rejected"]


class ReportRowResult(BulkRowResult):
    """What became of one row of a report upload (status ``updated``: a new revision)."""

    station_code: str | None = Field(default=None, examples=["141124100201-01"])
    month: str | None = Field(default=None, examples=["2026-09"])
    revision: int | None = Field(
        default=None, description="the report's revision after this row (predicted on dry runs)"
    )


class ReportBulkResult(BulkResult[ReportRowResult]):
    """The answer to a report upload."""


def bulk_example() -> list[dict[str, Any]]:
    return [{"station_code": "141124100201-01", "month": "2026-09", **FIGURES_EXAMPLE}]
