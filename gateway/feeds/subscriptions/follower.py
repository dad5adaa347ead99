"""The reader that feeds every webhook subscription (ADR 0084): a pgqueuer schedule reads the
merged feed on from one stored position per service, and in one transaction per page
stores the events some subscription takes, their deliveries (queued on the delivery path
of ADR 0082) and the new positions. A worker that dies before that commit leaves the
positions where they were, so the page is read again; after it, nothing is read twice. An
event is handed to a subscription once (unique per subscription and event) and delivered
under one ``webhook-id``.
"""

import json
from collections.abc import Collection
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.errors import ServiceUnavailable
from gateway.feeds.cursor import SERVICES
from gateway.feeds.merge import read_merged
from gateway.feeds.schemas import FeedEvent
from gateway.feeds.scope import visible
from gateway.feeds.subscriptions import repository
from gateway.feeds.subscriptions.repository import Receiving
from gateway.feeds.topics import TOPICS, by_service
from gateway.jobs import JobContext
from gateway.registry.caller import Caller
from gateway.registry.upstream import PartFailed, Upstream, open_upstream
from gateway.reports.deliveries import repository as deliveries
from gateway.reports.deliveries import service as delivery

# The reader asks the services as the gateway itself: every event, whoever subscribed.
FEEDS_PRINCIPAL = Principal(subject="service:gateway-webhooks", role=Role.SERVICE)
PAGE = 500
# Pages one run reads at most; the next minute's run goes on from there.
PAGES_PER_RUN = 20

log = structlog.get_logger("gateway.feeds.subscriptions")


def event_body(event: FeedEvent) -> bytes:
    """What a subscriber is sent: Standard Webhooks' ``type``, ``timestamp`` and ``data``."""
    return json.dumps(
        {
            "id": event.id,
            "type": f"{event.service}.{event.topic}",
            "timestamp": event.occurred_at.isoformat(),
            "data": {
                "service": event.service,
                "topic": event.topic,
                "key": event.key,
                "action": event.action,
                "version": event.version,
                "division": event.division,
                "payload": event.payload,
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    ).encode()


def takers(event: FeedEvent, subscriptions: list[Receiving]) -> list[int]:
    """The subscriptions that take ``event``: its topic, a division under theirs (an event
    naming none: national ones only), and made before it happened (its service's
    transaction time, ``occurred_at``)."""
    name = f"{event.service}.{event.topic}"
    return [
        s.id
        for s in subscriptions
        if name in s.topics
        and visible(s.division, event.division)
        and event.occurred_at >= s.created_at
    ]


async def _heads(upstream: Upstream, caller: Caller, services: list[str]) -> dict[str, str]:
    """Where each feed is now (those that answer): a feed first wanted starts there, not at
    its beginning."""
    found = {}
    for service in services:
        try:
            answer = await upstream.get(caller, service, "/v1/changes/head", part=f"{service}.head")
        except PartFailed as e:
            log.warning("feed head not read", service=service, code=e.error.code)
            continue
        found[service] = str(answer["cursor"])
    return found


async def start_from_now(
    session: AsyncSession, upstream: Upstream, request_id: str, topics: Collection[str]
) -> datetime:
    """Before a subscription is made, or given topics, in ``session``'s transaction: the
    time it starts from (after this, so no event the reader has already passed is newer).

    It holds the reader's position row until the transaction ends, so the reader's next
    page, which locks that row, sees the subscription and never moves past events of it
    without handing them over. A feed it wants that the reader has never read is started
    at its head now, so every event from now on is read, even before the reader's first
    run; 503 ``feed_unavailable`` when that feed does not answer.
    """
    services = {TOPICS[t].service for t in topics}
    known = await repository.positions(session)
    missing = [s for s in SERVICES if s in services and s not in known]
    known = await repository.positions(session, lock=bool(missing), share=not missing)
    missing = [s for s in missing if s not in known]
    if missing:
        caller = Caller(FEEDS_PRINCIPAL, None, request_id, None)
        heads = await _heads(upstream, caller, missing)
        down = [s for s in missing if s not in heads]
        if down:
            raise ServiceUnavailable(
                f"the change feed of {', '.join(down)} does not answer; try again shortly",
                detail_zh=f"{', '.join(down)} 的变更流暂不可用,请稍后重试",
                code="feed_unavailable",
            )
        await repository.start(session, heads, datetime.now(UTC))
    return datetime.now(UTC)


def _covers(planned: dict[str, set[str]], subscriptions: list[Receiving]) -> bool:
    """Whether a page read for ``planned`` topics holds everything ``subscriptions`` want."""
    wanted = by_service({t for s in subscriptions for t in s.topics})
    return all(topics <= planned.get(service, set()) for service, topics in wanted.items())


async def _store(
    session: AsyncSession, events: list[FeedEvent], subscriptions: list[Receiving], now: datetime
) -> int:
    handed = 0
    for event in events:
        ids = takers(event, subscriptions)
        if not ids:
            continue
        stored = await repository.store_event(
            session,
            event.id,
            f"{event.service}.{event.topic}",
            event.division,
            event.occurred_at,
            event_body(event),
        )
        new = await deliveries.insert_event_deliveries(session, ids, stored, now)
        await delivery.queue_first_attempts(session, new)
        handed += len(new)
    return handed


async def follow(ctx: JobContext) -> int:
    """One run: pages until caught up (or ``PAGES_PER_RUN``); the deliveries it queued.

    A feed some subscription wants is read on from its position, only the topics wanted
    (the service then moves the position past the other topics' events). A feed nobody
    wants is not read: its position moves to its head. The page is stored under the
    position row's lock with the subscriptions as they are then (one being made holds
    that row until it commits, ``start_from_now``); if they want a topic the page was not
    read for, the page is read again for them, so none misses an event from its start.
    """
    handed = 0
    caller = Caller(FEEDS_PRINCIPAL, None, f"job-{ctx.job_id}-webhooks", None)
    async with open_upstream(ctx.settings) as upstream:
        for _ in range(PAGES_PER_RUN):
            async with ctx.session() as session:
                subscriptions = await repository.receiving(session)
                read_from = await repository.positions(session)
            planned = by_service({t for s in subscriptions for t in s.topics})
            reading = [s for s in SERVICES if s in planned and s in read_from]
            heads = await _heads(upstream, caller, [s for s in SERVICES if s not in reading])
            events: list[FeedEvent] = []
            moved = dict(read_from)
            if reading:
                merged = await read_merged(
                    upstream, caller, read_from, limit=PAGE, scope=None, services=reading,
                    topics=planned,
                )  # fmt: skip
                events = merged.items
                moved.update({s: p for s, p in merged.positions.items() if p is not None})
            moved.update(heads)
            now = ctx.clock()
            async with ctx.session() as session:
                if await repository.positions(session, lock=True) != read_from:
                    return handed  # another run moved on meanwhile: its turn
                subscriptions = await repository.receiving(session)
                if not _covers(planned, subscriptions):
                    continue  # a subscription came or changed meanwhile: read for it
                handed += await _store(session, events, subscriptions, now)
                await repository.move(session, moved, now)
            if len(events) < PAGE:
                break
    if handed:
        log.info("webhook events handed on", deliveries=handed)
    return handed
