"""``GET /v1/changes``: station and monthly-report events in a cursor-safe order."""

from typing import Annotated

from fastapi import APIRouter, Query

from common.changefeed import AfterQuery, ChangePage, LimitQuery, read_changes
from common.db import SessionDep
from common.errors import BadRequest
from services.stations.changes.models import StationsChangeEvent

router = APIRouter(prefix="/v1/changes", tags=["changes"])

# division_list: an import changed the division list or the boundaries (docs/adr/0020).
TOPICS = ("station", "monthly_report", "division_flag", "division_list")


@router.get(
    "",
    summary="Read the change feed",
    description="Events in an order that never skips a late commit: poll with `after` set to "
    "the `cursor` of the previous answer. Topics: " + ", ".join(TOPICS) + ".",
    responses=BadRequest.openapi("the cursor is not one this feed handed out"),
)
async def list_changes(
    session: SessionDep,
    after: AfterQuery = None,
    limit: LimitQuery = 100,
    topic: Annotated[list[str] | None, Query(description="only these topics")] = None,
) -> ChangePage:
    if topic:
        unknown = sorted(set(topic) - set(TOPICS))
        if unknown:
            raise BadRequest(
                f"unknown topic {', '.join(unknown)}; one of {', '.join(TOPICS)}",
                detail_zh=f"未知的主题 {', '.join(unknown)}",
                code="unknown_topic",
                field="topic",
                location="query",
            )
    return await read_changes(session, StationsChangeEvent, after=after, limit=limit, topics=topic)
