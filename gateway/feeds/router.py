"""``GET /feeds/v1/changes``: the four services' change feeds merged for the caller's
division scope (provincial platforms, MOFCOM), with one cursor safe across them."""

from typing import Annotated

from fastapi import APIRouter, Query

from common.auth import NATION, Role
from common.authz import require_role
from common.errors import BadRequest, Forbidden, Unauthorized, Unprocessable, problem_responses
from gateway.feeds import cursor
from gateway.feeds.merge import read_merged
from gateway.feeds.schemas import FeedPage
from gateway.feeds.topics import by_service, from_query, require_placed
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
    "its events for the next poll. `topics` (`<service>.<topic>`, as `GET /feeds/v1/topics` "
    "lists them, comma-separated or repeated) keeps only those: the services are asked for "
    "them alone, and the cursor moves past the other topics' events of the services asked, "
    "so keep one cursor per filter (a wider filter on an old cursor does not go back for "
    "the topics it adds).",
    response_model=FeedPage,
    responses=problem_responses(
        (Unauthorized, "`authentication_required`"),
        (Forbidden, "`role_forbidden`, `scope_missing`"),
        (BadRequest, "`invalid_cursor`"),
        (
            Unprocessable,
            "`unknown_topic` (`topics`), `national_only_topic` (`topics`: a topic whose "
            "events name no division, asked by a scope narrower than the nation)",
        ),
    ),
)
async def list_feed_changes(
    caller: SignedInCallerDep,
    registry: RegistryDep,
    after: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    topics: Annotated[
        list[str] | None,
        Query(description="only these topics, e.g. `stations.station,programme.disbursement`"),
    ] = None,
) -> FeedPage:
    principal = caller.principal
    require_role(
        principal, {Role.PLATFORM, Role.OFFICIAL, Role.ADMIN}, doing="follow the feeds",
        doing_zh="订阅变更",
    )  # fmt: skip
    scope = None if principal.role is Role.ADMIN else principal.division
    positions = cursor.decode(after)
    wanted = None
    services = cursor.SERVICES
    names = from_query(topics or [])
    if names:
        require_placed(names, scope or NATION, field="topics", location="query")
        wanted = by_service(names)
        services = tuple(s for s in cursor.SERVICES if s in wanted)
    merged = await read_merged(
        registry.upstream, caller, positions, limit=limit, scope=scope, services=services,
        topics=wanted,
    )  # fmt: skip
    return FeedPage(
        items=merged.items,
        cursor=cursor.encode(merged.positions),
        partial=bool(merged.errors),
        errors=merged.errors,
    )
