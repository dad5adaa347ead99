"""Every model of the programme service, imported so that ``Base.metadata`` is complete."""

from services.programme.base import Base
from services.programme.changes.models import ProgrammeChangeEvent, ProgrammeIdempotencyRecord
from services.programme.funds.models import FundBreach, FundRule, FundRuleSet
from services.programme.ledger.models import (
    DemonstrationCounty,
    Disbursement,
    Milestone,
    Project,
    ProjectStation,
    ProjectTrainingSession,
)
from services.programme.reference.models import ProgrammeDivision, ProgrammeFeedCursor
from services.programme.statistics.models import (
    CountyStatistic,
    CountyStatisticRevision,
    MainProduct,
)
from services.programme.targets.models import PolicyTarget, TargetAdoption, TargetSet

__all__ = [
    "Base",
    "CountyStatistic",
    "CountyStatisticRevision",
    "DemonstrationCounty",
    "Disbursement",
    "FundBreach",
    "FundRule",
    "FundRuleSet",
    "MainProduct",
    "Milestone",
    "PolicyTarget",
    "ProgrammeChangeEvent",
    "ProgrammeDivision",
    "ProgrammeFeedCursor",
    "ProgrammeIdempotencyRecord",
    "Project",
    "ProjectStation",
    "ProjectTrainingSession",
    "TargetAdoption",
    "TargetSet",
]
