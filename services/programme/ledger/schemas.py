"""Demonstration counties and their fund totals on the wire. Amounts are yuan as strings
with two decimals ("1500000.00"); requests may send strings or numbers."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from common.fields import DivisionCode, Money, Yuan
from services.programme.documents import SetCode
from services.programme.ledger.models import ProjectCategory


class CountyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "county_code": "141128",
                    "batch_year": 2017,
                    "central_funds": "15000000.00",
                    "local_funds": "3000000.00",
                    "programme_start": "2017-09-01",
                    "programme_end": "2019-08-31",
                }
            ]
        },
    )

    county_code: DivisionCode
    batch_year: int = Field(ge=2014, le=2100, description="示范县批次 (year)")
    central_funds: Yuan = Field(description="中央财政资金 allocated to the county")
    local_funds: Yuan = Field(default=Decimal(0), description="地方配套资金")
    programme_start: date = Field(description="no milestone or payment may be dated before it")
    programme_end: date | None = None
    fund_rule_set: SetCode | None = Field(
        default=None,
        description="the fund rules it is checked on; omitted: the most specific set whose "
        "region holds the county, of its batch year or the latest before",
    )


class CountyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_year: int | None = Field(default=None, ge=2014, le=2100)
    central_funds: Yuan | None = None
    local_funds: Yuan | None = None
    programme_start: date | None = None
    programme_end: date | None = None
    fund_rule_set: SetCode | None = Field(
        default=None, description="null: back to the default set for the county"
    )


class CountyOut(BaseModel):
    county_code: str
    county_name: str = Field(examples=["方山县"])
    batch_year: int
    central_funds: Money
    local_funds: Money
    programme_start: date
    programme_end: date | None
    fund_rule_set: str | None = Field(description="the fund rules it is checked on")
    published: bool = Field(description="whether the public disclosure (政务公开) shows it")
    published_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class PublicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    published: bool = Field(description="true: the plan, projects and funds become public")


class SourceAmounts(BaseModel):
    central: Money
    local: Money
    social: Money
    total: Money


class CategoryFunds(BaseModel):
    category: ProjectCategory
    projects: int
    planned: SourceAmounts
    disbursed: SourceAmounts
    remaining: SourceAmounts


class FundsSummary(BaseModel):
    """资金安排与拨付: what a county planned, paid and has left, by source and category."""

    county_code: str
    central_funds: Money = Field(description="allocated to the county")
    local_funds: Money
    unplanned_central: Money = Field(
        description="central funds not yet planned in any project (negative: over-planned)"
    )
    planned: SourceAmounts = Field(description="budgets of the projects not cancelled")
    disbursed: SourceAmounts = Field(description="payments not cancelled")
    remaining: SourceAmounts = Field(description="planned − disbursed")
    by_category: list[CategoryFunds]
