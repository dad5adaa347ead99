"""``GET /v1/changes``: carrier, depot, coverage and parcel volume events."""

from common.changefeed import changes_router
from services.logistics.changes.models import LogisticsChangeEvent

TOPICS = ("carrier", "depot", "coverage", "parcel_volume")

router = changes_router(LogisticsChangeEvent, TOPICS)
