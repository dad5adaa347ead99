"""Every model of the logistics service, imported so that ``Base.metadata`` is complete."""

from services.logistics.base import Base
from services.logistics.carriers.models import Carrier, CarrierAlias
from services.logistics.changes.models import LogisticsChangeEvent, LogisticsIdempotencyRecord
from services.logistics.coverage.models import Coverage
from services.logistics.depots.models import Depot, DepotCarrier
from services.logistics.points.models import StationPoint
from services.logistics.reference.models import (
    LogisticsCountyBoundary,
    LogisticsDivision,
    LogisticsFeedCursor,
)
from services.logistics.volumes.models import ParcelVolume, ParcelVolumeRevision

__all__ = [
    "Base",
    "Carrier",
    "CarrierAlias",
    "Coverage",
    "Depot",
    "DepotCarrier",
    "LogisticsChangeEvent",
    "LogisticsCountyBoundary",
    "LogisticsDivision",
    "LogisticsFeedCursor",
    "LogisticsIdempotencyRecord",
    "ParcelVolume",
    "ParcelVolumeRevision",
    "StationPoint",
]
