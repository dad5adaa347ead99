"""The four services' feeds merged by event time for one division scope: what
``GET /feeds/v1/changes`` answers and what webhook subscriptions are fed from (ADR 0083,
0084)."""

import asyncio
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from common.changefeed import decode_feed_cursor
from gateway.feeds import cursor
from gateway.feeds.schemas import FeedEvent
from gateway.feeds.scope import division_of, visible
from gateway.registry.caller import Caller
from gateway.registry.schemas import PartError
from gateway.registry.upstream import PartFailed, Upstream


def event_id(service: str, service_cursor: str) -> str:
    """An event's id across the feeds, the ``webhook-id`` of every delivery of it: the
    service and its own event id (the second half of the service's cursor)."""
    return f"evt_{service}_{decode_feed_cursor(service_cursor)[1]}"


@dataclass
class Merged:
    items: list[FeedEvent]
    positions: dict[str, str | None]
    errors: list[PartError]


async def read_merged(
    upstream: Upstream,
    caller: Caller,
    positions: Mapping[str, str | None],
    *,
    limit: int,
    scope: str | None,
    services: Sequence[str] = cursor.SERVICES,
    topics: Mapping[str, Collection[str]] | None = None,
) -> Merged:
    """Up to ``limit`` events of ``services`` after ``positions`` visible to ``scope``
    (None: all); with ``topics``, only those topics of each service (the service filters).

    An event moves only its own service's position, whether it was kept or filtered away;
    events beyond ``limit`` are left for the next read, so nothing is skipped whatever the
    merge order. A service whose page is used up moves to that page's cursor, which a
    filtered page sets past the other topics' events (``common.changefeed.read_changes``).
    """
    moved = dict(positions)

    async def page(service: str) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if moved.get(service):
            params["after"] = moved[service]
        if topics is not None:
            params["topic"] = sorted(topics[service])
        return await upstream.get(caller, service, "/v1/changes", params, part=f"{service}.changes")

    answers = await asyncio.gather(*(page(s) for s in services), return_exceptions=True)
    queues: dict[str, list[dict[str, Any]]] = {}
    ends: dict[str, str | None] = {}
    errors = []
    for service, answer in zip(services, answers, strict=True):
        if isinstance(answer, PartFailed):
            errors.append(answer.error)
        elif isinstance(answer, BaseException):
            raise answer
        else:
            queues[service] = list(answer["items"])
            ends[service] = answer["cursor"]
    items: list[FeedEvent] = []
    while len(items) < limit:
        for service in [s for s in queues if not queues[s]]:
            # Used up: on to where its page ended (beyond its last event when filtered).
            moved[service] = ends.pop(service) or moved.get(service)
            del queues[service]
        if not queues:
            break
        service = min(queues, key=lambda s: queues[s][0]["occurred_at"])
        event = queues[service].pop(0)
        moved[service] = event["cursor"]
        division = division_of(service, event["topic"], event["key"], event["payload"])
        if not visible(scope, division):
            continue
        items.append(
            FeedEvent(
                id=event_id(service, event["cursor"]),
                cursor=cursor.encode(moved),
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
    return Merged(items=items, positions=moved, errors=errors)
