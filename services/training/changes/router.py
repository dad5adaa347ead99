"""``GET /v1/changes``: session, attendance-count and outcome events, with no personal field."""

from typing import Annotated

from fastapi import APIRouter, Query

from common.auth import PrincipalDep, Role
from common.authz import require_role
from common.changefeed import AfterQuery, ChangePage, LimitQuery, head_route, read_changes
from common.db import SessionDep
from common.errors import BadRequest, Forbidden, problem_responses
from services.training.changes.models import TrainingChangeEvent

router = APIRouter(prefix="/v1/changes", tags=["changes"])

TOPICS = ("session", "attendance", "outcome")
READERS = frozenset({Role.ADMIN, Role.OFFICIAL, Role.PLATFORM, Role.SERVICE})


@router.get(
    "",
    summary="Read the change feed",
    description="Events in an order that never skips a late commit: poll with `after` set to "
    "the `cursor` of the previous answer. Topics: " + ", ".join(TOPICS) + ". Attendance "
    "events carry a session's counts, never a person.",
    responses=problem_responses(
        (BadRequest, "the cursor is not one this feed handed out, or an unknown topic"),
        (Forbidden, "`role_forbidden`"),
    ),
)
async def list_changes(
    session: SessionDep,
    principal: PrincipalDep,
    after: AfterQuery = None,
    limit: LimitQuery = 100,
    topic: Annotated[list[str] | None, Query(description="only these topics")] = None,
) -> ChangePage:
    require_role(principal, READERS, doing="read the change feed", doing_zh="读取变更流")
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
    return await read_changes(session, TrainingChangeEvent, after=after, limit=limit, topics=topic)


head_route(router, TrainingChangeEvent)
