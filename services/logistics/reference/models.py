"""Logistics' copy of stations' division reference data and its feed position
(common.reference, docs/adr/0020)."""

from common.feedconsumer import FeedCursorMixin
from common.reference import ReferenceBoundaryMixin, ReferenceDivisionMixin
from services.logistics.base import Base


class LogisticsDivision(ReferenceDivisionMixin, Base):
    """The NBS division list with officials' flags, as stations has it."""


class LogisticsCountyBoundary(ReferenceBoundaryMixin, Base):
    """County boundaries, as stations has them: depots are checked against them."""


class LogisticsFeedCursor(FeedCursorMixin, Base):
    """How far logistics has followed each feed it reads (stations)."""
