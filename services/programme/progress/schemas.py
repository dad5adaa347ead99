"""The programme's progress of a division on the wire."""

from datetime import date

from pydantic import BaseModel, Field

from common.fields import Money
from services.programme.ledger.schemas import SourceAmounts
from services.programme.statistics.schemas import StatisticsIndicators
from services.programme.targets.schemas import CountyTargets


class Allocated(BaseModel):
    central: Money = Field(description="中央财政资金 allocated to the demonstration counties")
    local: Money = Field(description="地方配套资金 they committed")


class Milestones(BaseModel):
    total: int = Field(description="milestones of the counted projects")
    due: int = Field(description="with a deadline on or before `to`")
    done: int = Field(description="done on or before `to`")
    overdue: int = Field(description="due by `to` and not done by then")


class CategoryProgress(BaseModel):
    category: str
    projects: int
    planned: SourceAmounts = Field(description="budgets of the category's projects")
    disbursed: SourceAmounts = Field(description="paid up to `to`")
    disbursed_in_period: Money = Field(description="paid from `from` to `to`")


class BreachCount(BaseModel):
    kind: str = Field(description="the rule's kind (ADR 0043)", examples=["station_cap"])
    basis: str = Field(description="plan or paid")
    breaches: int
    counties: int


class Breaches(BaseModel):
    total: int
    counties: int = Field(description="demonstration counties with at least one")
    by_rule: list[BreachCount]


class ProgrammeProgress(BaseModel):
    division: str | None = Field(description="the code prefix counted; null: the nation")
    period_from: date = Field(serialization_alias="from")
    period_to: date = Field(serialization_alias="to")
    demonstration_counties: int = Field(description="whose programme began by `to`")
    allocated: Allocated
    projects: dict[str, int] = Field(
        description="projects by their status now",
        examples=[{"in_progress": 4, "completed": 2}],
    )
    milestones: Milestones
    planned: SourceAmounts = Field(description="budgets of the projects not cancelled")
    disbursed: SourceAmounts = Field(description="payments not cancelled, paid up to `to`")
    disbursed_in_period: Money
    by_category: list[CategoryProgress]
    breaches: Breaches = Field(description="fund-rule breaches the last check holds")


class ReportFigures(BaseModel):
    """Everything a report document reads of programme for a division and period, in one
    answer: each part exactly what its own route answers."""

    progress: ProgrammeProgress = Field(
        description="as `/v1/indicators/programme` answers from the period's first day to its last"
    )
    statistics: StatisticsIndicators = Field(
        description="as `/v1/indicators/statistics` answers for the period"
    )
    targets: CountyTargets | None = Field(
        description="a county's: as `/v1/counties/{county}/targets` answers; null above a county"
    )
