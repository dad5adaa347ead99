"""Projects of a demonstration county's ledger (项目台账) on the wire.

The responsible person is personal data: shown in full to those who manage the county
(its officials and those above, admins), masked to everyone else, never in the change feed
or the public disclosure. Amounts are yuan as strings with two decimals.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from common.fields import CreditCode, DivisionCode, Money, Name, Phone, Text, Yuan
from common.identifiers import STATION_CODE_PATTERN
from services.programme.ledger.models import (
    FundUse,
    MilestoneStatus,
    ProjectCategory,
    ProjectStatus,
)
from services.programme.ledger.schemas import SourceAmounts

PROJECT_CODE_PATTERN = r"^[0-9]{6}-[0-9]{3,4}$"
StationCode = Annotated[str, StringConstraints(pattern=STATION_CODE_PATTERN)]


class CompanyIn(BaseModel):
    """承办单位: the company that carries the project out."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(default=None, examples=["方山县电子商务运营有限公司"])
    credit_code: CreditCode | None = Field(default=None, examples=["91141128MA0K1XYZ3B"])


class ResponsibleIn(BaseModel):
    """项目责任人 (personal data)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(default=None, examples=["王建国"])
    phone: Phone | None = Field(default=None, examples=["13912345678"])


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    central: Yuan = Field(default=Decimal(0), description="中央财政资金")
    local: Yuan = Field(default=Decimal(0), description="地方配套")
    social: Yuan = Field(default=Decimal(0), description="企业自筹、社会资本")


_CREATE_EXAMPLE = {
    "county_code": "141128",
    "name": "村级电子商务服务点建设",
    "category": "village_points",
    "company": {"name": "方山县电子商务运营有限公司", "credit_code": "91141128MA0K1XYZ3B"},
    "responsible": {"name": "王建国", "phone": "13912345678"},
    "budget": {"central": "1800000.00", "local": "200000.00"},
    "uses": ["equipment", "renovation"],
}


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    county_code: DivisionCode = Field(description="a demonstration county")
    name: Name
    category: ProjectCategory
    description: Text | None = None
    company: CompanyIn | None = None
    responsible: ResponsibleIn | None = None
    budget: BudgetIn = Field(default_factory=BudgetIn)
    uses: list[FundUse] = Field(
        default_factory=list, max_length=14, description="what the funds buy"
    )


class ProjectPatch(BaseModel):
    """Only the fields sent change; ``company``, ``responsible`` and ``budget`` replace
    the whole object."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    category: ProjectCategory | None = None
    description: Text | None = None
    company: CompanyIn | None = None
    responsible: ResponsibleIn | None = None
    budget: BudgetIn | None = None
    uses: list[FundUse] | None = Field(default=None, max_length=14)


class CompanyOut(BaseModel):
    name: str | None
    credit_code: str | None


class ResponsibleOut(BaseModel):
    name: str | None
    phone: str | None
    masked: bool = Field(description="true: shown masked (you do not manage this county)")


class EvidenceItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name = Field(examples=["村级服务点验收报告"])
    reference: Text = Field(
        description="where it is kept: a URL, an archive or document number",
        examples=["方商务〔2018〕23号"],
    )
    dated: date | None = None


class MilestoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["完成30个村级服务点建设"])
    deadline: date = Field(examples=["2018-06-30"])


class MilestonePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    deadline: date | None = None
    status: MilestoneStatus | None = None
    completed_on: date | None = Field(
        default=None, description="with status done; default today (China time)"
    )
    evidence: list[EvidenceItem] | None = Field(
        default=None, max_length=50, description="replaces the whole list"
    )


class MilestoneOut(BaseModel):
    id: int
    name: str
    deadline: date
    status: MilestoneStatus
    overdue: bool = Field(description="past its deadline and not done (China time)")
    completed_on: date | None
    evidence: list[EvidenceItem]
    version: int


class StationLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allocation: Yuan = Field(
        default=Decimal(0), description="central funds allocated to this station"
    )


class StationLinkOut(BaseModel):
    station_code: str
    tier: str
    allocation: Money
    disbursed: Money = Field(description="payments naming this station")


class ProjectOut(BaseModel):
    code: str = Field(examples=["141128-001"])
    county_code: str
    name: str
    category: ProjectCategory
    description: str | None
    company: CompanyOut | None
    responsible: ResponsibleOut | None
    budget: SourceAmounts
    disbursed: SourceAmounts
    remaining: SourceAmounts
    uses: list[FundUse]
    status: ProjectStatus
    status_reason: str | None
    milestones: list[MilestoneOut]
    stations: list[StationLinkOut]
    training_sessions: list[int] = Field(description="ids of the training service's sessions")
    version: int
    created_at: datetime
    updated_at: datetime


class ProjectSummary(BaseModel):
    """A project in a list: its figures without the milestones and stations themselves."""

    code: str
    county_code: str
    name: str
    category: ProjectCategory
    company: CompanyOut | None
    status: ProjectStatus
    budget: SourceAmounts
    disbursed: SourceAmounts
    remaining: SourceAmounts
    milestones: int
    milestones_done: int
    milestones_overdue: int
    stations: int
    version: int


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: ProjectStatus
    reason: Text | None = Field(default=None, description="required to cancel or reopen")
