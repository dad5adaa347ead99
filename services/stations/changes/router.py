"""``GET /v1/changes``: station and monthly-report events in a cursor-safe order."""

from common.changefeed import changes_router
from services.stations.changes.models import StationsChangeEvent

# division_list: an import changed the division list or the boundaries (docs/adr/0020).
TOPICS = ("station", "monthly_report", "division_flag", "division_list")

router = changes_router(StationsChangeEvent, TOPICS)
