"""Programme's copy of stations' division list and its feed position (common.reference,
docs/adr/0020): demonstration counties, statistics and target regions are judged against it
without a call to stations per code."""

from common.feedconsumer import FeedCursorMixin
from common.reference import ReferenceDivisionMixin
from services.programme.base import Base


class ProgrammeDivision(ReferenceDivisionMixin, Base):
    """The NBS division list with officials' flags, as stations has it."""


class ProgrammeFeedCursor(FeedCursorMixin, Base):
    """How far programme has followed the stations feed."""
