"""The public disclosure (政务公开) on the wire: what a county publishes of its programme.

Nothing here is personal or banking data: no responsible person, no payee, no voucher, no
account — only the plan, the projects with their company and progress, and the money by
source and category.
"""

from datetime import date, datetime

from pydantic import BaseModel, Field

from common.fields import Money
from services.programme.ledger.models import ProjectCategory, ProjectStatus
from services.programme.ledger.schemas import CategoryFunds, SourceAmounts
from services.programme.projects.schemas import CompanyOut
from services.programme.targets.schemas import TargetSetOut


class PublishedCounty(BaseModel):
    county_code: str
    county_name: str
    batch_year: int
    central_funds: Money
    local_funds: Money
    programme_start: date
    programme_end: date | None
    published_at: datetime | None


class Disclosure(BaseModel):
    """综合示范专栏: the plan, the fund arrangements and what was paid."""

    county: PublishedCounty
    targets: list[TargetSetOut] = Field(description="the target sets the county adopted")
    planned: SourceAmounts = Field(description="budgets of the projects not cancelled")
    disbursed: SourceAmounts = Field(description="payments made, in total")
    remaining: SourceAmounts
    by_category: list[CategoryFunds]
    projects: int


class PublicProject(BaseModel):
    code: str
    name: str
    category: ProjectCategory
    company: CompanyOut | None
    status: ProjectStatus
    budget: SourceAmounts
    disbursed: SourceAmounts
    milestones: int
    milestones_done: int
    milestones_overdue: int
