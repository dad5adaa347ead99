"""``GET /feeds/v1/changes``: the four services' change feeds merged for the caller's
division scope (provincial platforms, MOFCOM), with one cursor safe across them."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query

from common.auth import Role
from common.authz import require_role
from common.errors import BadRequest, Forbidden, Unauthorized, problem_responses
from gateway.feeds import cursor
from gateway.feeds.schemas import FeedEvent, FeedPage
from gateway.feeds.scope import division_of, visible
from gateway.registry.caller import SignedInCallerDep
from gateway.registry.context import RegistryDep
from gateway.registry.upstream import PartFailed

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
    positions = cursor.decode(after)

    async def page(service: str) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if positions[service]:
            params["after"] = positions[service]
        return await registry.upstream.get(
            caller, service, "/v1/changes", params, part=f"{service}.changes"
        )

    answers = await asyncio.gather(*(page(s) for s in cursor.SERVICES), return_exceptions=True)
    queues: dict[str, list[dict[str, Any]]] = {}
    errors = []
    for service, answer in zip(cursor.SERVICES, answers, strict=True):
        if isinstance(answer, PartFailed):
            errors.append(answer.error)
        elif isinstance(answer, BaseException):
            raise answer
        else:
            queues[service] = list(answer["items"])
    items: list[FeedEvent] = []
    while len(items) < limit:
        ready = [s for s in queues if queues[s]]
        if not ready:
            break
        service = min(ready, key=lambda s: queues[s][0]["occurred_at"])
        event = queues[service].pop(0)
        positions[service] = event["cursor"]
        division = division_of(service, event["topic"], event["key"], event["payload"])
        if not visible(scope, division):
            continue
        items.append(
            FeedEvent(
                cursor=cursor.encode(positions),
                service=service,
                topic=event["topic"],
                key=event["key"],
                action=event["action"],
                version=event["version"],
                division=division,
                occurred_at=event["occurred_at"],
                payload=event["payload"],
            )
        )
    return FeedPage(
        items=items, cursor=cursor.encode(positions), partial=bool(errors), errors=errors
    )
