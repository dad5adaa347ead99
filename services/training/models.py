"""Every model of the training service, imported so that ``Base.metadata`` is complete."""

from services.training.attendance.models import Attendance
from services.training.base import Base
from services.training.changes.models import TrainingChangeEvent, TrainingIdempotencyRecord
from services.training.outcomes.models import Outcome
from services.training.reference.models import TrainingDivision, TrainingFeedCursor
from services.training.sessions.models import SessionSubsidy, TrainingSession
from services.training.subsidies.models import SubsidyPolicy
from services.training.tallies.models import (
    CountyDayTally,
    CountyPersonTally,
    SessionTally,
    TraineeActivity,
    VillageTally,
)
from services.training.trainees.models import Trainee

__all__ = [
    "Attendance",
    "Base",
    "CountyDayTally",
    "CountyPersonTally",
    "Outcome",
    "SessionSubsidy",
    "SessionTally",
    "SubsidyPolicy",
    "Trainee",
    "TraineeActivity",
    "TrainingChangeEvent",
    "TrainingDivision",
    "TrainingFeedCursor",
    "TrainingIdempotencyRecord",
    "TrainingSession",
    "VillageTally",
]
