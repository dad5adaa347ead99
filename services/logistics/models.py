"""Every model of the logistics service, imported so that ``Base.metadata`` is complete."""

from services.logistics.base import Base
from services.logistics.changes.models import LogisticsChangeEvent, LogisticsIdempotencyRecord
from services.logistics.points.models import StationPoint
from services.logistics.reference.models import (
    LogisticsCountyBoundary,
    LogisticsDivision,
    LogisticsFeedCursor,
)

__all__ = [
    "Base",
    "LogisticsChangeEvent",
    "LogisticsCountyBoundary",
    "LogisticsDivision",
    "LogisticsFeedCursor",
    "LogisticsIdempotencyRecord",
    "StationPoint",
]
