"""Fund rule sets, their rules and the breaches found, on the wire."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.fields import Money, Text, Yuan
from services.programme.documents import DocumentIn, DocumentOut, DocumentPatch
from services.programme.funds.models import RuleKind
from services.programme.ledger.models import FundUse, ProjectCategory

StationTier = Literal["township", "village"]


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RuleKind = Field(
        description="share_min / share_max (percent of the county's central funds), "
        "category_cap, project_cap, station_cap (amount), investment_share_cap (percent of a "
        "project's investment), forbidden_use (uses)"
    )
    categories: list[ProjectCategory] = Field(
        default_factory=list, max_length=10, description="the projects it is about; empty: all"
    )
    station_tier: StationTier | None = Field(default=None, description="station_cap only")
    amount: Yuan | None = Field(default=None, description="the cap, yuan")
    percent: Decimal | None = Field(default=None, max_digits=5, decimal_places=2)
    uses: list[FundUse] = Field(
        default_factory=list, max_length=14, description="forbidden_use only"
    )
    clause: Text | None = Field(default=None, description="the policy's own words")


_SET_EXAMPLE = {
    "code": "fangshan-funds-2018",
    "title": "方山县电子商务进农村综合示范项目资金管理办法",
    "issuer": "方山县财政局",
    "year": 2018,
    "region_code": "141128",
    "rules": [
        {"kind": "station_cap", "station_tier": "village", "amount": "25000",
         "clause": "每个村级服务点补助不超过2.5万元"},
        {"kind": "share_min", "categories": ["upward_branding", "cold_chain"], "percent": 50},
        {"kind": "forbidden_use", "uses": ["buying_traffic", "buildings"]},
    ],
}  # fmt: skip


class RuleSetCreate(DocumentIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SET_EXAMPLE]})

    rules: list[RuleIn] = Field(min_length=1, max_length=100)


class RuleSetPatch(DocumentPatch):
    """Only the fields sent change; ``rules`` replaces the whole list."""

    rules: list[RuleIn] | None = Field(default=None, min_length=1, max_length=100)


class RuleOut(BaseModel):
    id: int
    kind: RuleKind
    categories: list[ProjectCategory]
    station_tier: StationTier | None
    amount: Money | None
    percent: Decimal | None
    uses: list[FundUse]
    clause: str | None


class RuleSetOut(DocumentOut):
    rules: list[RuleOut]


class BreachOut(BaseModel):
    rule_set: str = Field(examples=["jinghong-2016"])
    rule: RuleOut
    basis: Literal["plan", "paid"] = Field(
        description="plan: budgets and allocations; paid: payments not cancelled"
    )
    subject_kind: Literal["county", "project", "station", "disbursement"]
    subject: str = Field(
        description="the county, project code, station code or voucher number at fault",
        examples=["141128100201-01"],
    )
    project: str | None = Field(description="the project it concerns, when one")
    figure: Money = Field(description="what the ledger holds", examples=["42000.00"])
    limit: Money = Field(description="what the rule allows", examples=["30000.00"])
    message: str = Field(examples=["village point 141128100201-01: ¥42,000 > ¥30,000 cap"])
    message_zh: str = Field(examples=["村级服务点 141128100201-01:¥42,000 超过 ¥30,000 上限"])
    detected_at: datetime | None = Field(
        default=None, description="stored breaches: when the check first found it"
    )


class CountyCheck(BaseModel):
    county_code: str
    rule_set: str | None = Field(description="the rule set its funds are checked on")
    breaches: list[BreachOut]


class FundCheck(BaseModel):
    """A check run now over every demonstration county under a division."""

    division: str = Field(description="the code prefix checked", examples=["14"])
    counties: list[CountyCheck]
    breaches: int
