"""Every model of the stations service, imported so that ``Base.metadata`` is complete."""

from services.stations.base import Base
from services.stations.changes.models import StationsChangeEvent, StationsIdempotencyRecord
from services.stations.divisions.models import CountyBoundary, Division, DivisionFlag
from services.stations.registry.models import Station, StationTransition
from services.stations.reports.models import MonthlyReport, MonthlyReportRevision

__all__ = [
    "Base",
    "CountyBoundary",
    "Division",
    "DivisionFlag",
    "MonthlyReport",
    "MonthlyReportRevision",
    "Station",
    "StationTransition",
    "StationsChangeEvent",
    "StationsIdempotencyRecord",
]
