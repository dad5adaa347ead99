"""``GET /v1/changes``: station and monthly-report events in a cursor-safe order."""

from common.changefeed import changes_router
from services.stations.changes.models import StationsChangeEvent

TOPICS = ("station", "monthly_report", "division_flag")

router = changes_router(StationsChangeEvent, TOPICS)
