"""Training's copy of stations' division list and its feed position (common.reference,
docs/adr/0020): residences, session places and policy regions are judged against it, and
the villages of a division counted, without a call to stations per code."""

from common.feedconsumer import FeedCursorMixin
from common.reference import ReferenceDivisionMixin
from services.training.base import Base


class TrainingDivision(ReferenceDivisionMixin, Base):
    """The NBS division list with officials' flags, as stations has it."""


class TrainingFeedCursor(FeedCursorMixin, Base):
    """How far training has followed the stations feed."""
