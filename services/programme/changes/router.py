"""``GET /v1/changes``: programme events in a cursor-safe order, for the gateway's reports
and provincial feeds. Payloads never carry personal fields (responsible persons)."""

from common.changefeed import changes_router
from services.programme.changes.models import ProgrammeChangeEvent

TOPICS = (
    "target_set",
    "adoption",
    "county_statistic",
    "demonstration_county",
    "project",
    "milestone",
    "disbursement",
)

router = changes_router(ProgrammeChangeEvent, TOPICS)
