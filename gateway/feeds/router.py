"""``GET /feeds/v1/changes``: the four services' change feeds merged for the caller's
division scope (provincial platforms, MOFCOM), with one cursor safe across them."""

from typing import Annotated

from fastapi import APIRouter, Query

from common.auth import Role
from common.authz import require_role
from common.errors import BadRequest, Forbidden, Unauthorized, problem_responses
from gateway.feeds import cursor
from gateway.feeds.merge import read_merged
from gateway.feeds.schemas import FeedPage
from gateway.registry.caller import SignedInCallerDep
from gateway.registry.context import RegistryDep

router = APIRouter(prefix="/feeds/v1", tags=["feeds"])


@router.get(
    "/changes",
    summary="Changes of every service within your division",
    description="Events of stations, logistics, training and programme, merged by time, "
    "only those about a division under yours (events naming no place: national scopes "
    "only). Poll with `after` set to the previous answer's `cursor`: no event is skipped "
    "even when transactions commit late (each service's feed is cursor-safe, and the cursor "
    "keeps each one's position). A service that does not answer leaves `partial: true` and "
    "its events for the next poll.",
    response_model=FeedPage,
    responses=problem_responses(
        (Unauthorized, "`authentication_required`"),
        (Forbidden, "`role_forbidden`, `scope_missing`"),
        (BadRequest, "`invalid_cursor`"),
    ),
)
async def list_feed_changes(
    caller: SignedInCallerDep,
    registry: RegistryDep,
    after: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> FeedPage:
    principal = caller.principal
    require_role(
        principal, {Role.PLATFORM, Role.OFFICIAL, Role.ADMIN}, doing="follow the feeds",
        doing_zh="订阅变更",
    )  # fmt: skip
    scope = None if principal.role is Role.ADMIN else principal.division
    merged = await read_merged(
        registry.upstream, caller, cursor.decode(after), limit=limit, scope=scope
    )
    return FeedPage(
        items=merged.items,
        cursor=cursor.encode(merged.positions),
        partial=bool(merged.errors),
        errors=merged.errors,
    )
