"""The reader that feeds every webhook subscription (ADR 0084): a pgqueuer schedule reads the
merged feed on from one stored position per service, and in one transaction per page
stores the events some subscription takes, their deliveries (queued on the delivery path
of ADR 0082) and the new positions. A worker that dies before that commit leaves the
positions where they were, so the page is read again; after it, nothing is read twice. An
event is handed to a subscription once (unique per subscription and event) and delivered
under one ``webhook-id``.
"""

import json
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from gateway.feeds.cursor import SERVICES
from gateway.feeds.merge import read_merged
from gateway.feeds.schemas import FeedEvent
from gateway.feeds.scope import visible
from gateway.feeds.subscriptions import repository
from gateway.feeds.subscriptions.repository import Receiving
from gateway.feeds.topics import TOPICS
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
    naming none: national ones only), and made before it happened."""
    name = f"{event.service}.{event.topic}"
    return [
        s.id
        for s in subscriptions
        if name in s.topics
        and visible(s.division, event.division)
        and event.occurred_at >= s.created_at
    ]


async def _heads(upstream: Upstream, caller: Caller, services: list[str]) -> dict[str, str]:
    """Where each feed is now: a feed first wanted starts there, not at its beginning."""
    found = {}
    for service in services:
        try:
            answer = await upstream.get(caller, service, "/v1/changes/head", part=f"{service}.head")
        except PartFailed as e:
            log.warning("feed head not read", service=service, code=e.error.code)
            continue
        found[service] = str(answer["cursor"])
    return found


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

    A feed some subscription wants is read on from its position (every topic: a topic
    filter would leave the position behind the other topics' events). A feed nobody wants
    is not read: its position moves to its head, so when someone subscribes to it the
    reader starts there, behind nothing older than a run.
    """
    handed = 0
    caller = Caller(FEEDS_PRINCIPAL, None, f"job-{ctx.job_id}-webhooks", None)
    async with open_upstream(ctx.settings) as upstream:
        for _ in range(PAGES_PER_RUN):
            async with ctx.session() as session:
                subscriptions = await repository.receiving(session)
                read_from = await repository.positions(session)
            wanted = {TOPICS[t].service for s in subscriptions for t in s.topics}
            reading = [s for s in SERVICES if s in wanted and s in read_from]
            heads = await _heads(upstream, caller, [s for s in SERVICES if s not in reading])
            events: list[FeedEvent] = []
            moved = dict(read_from)
            if reading:
                merged = await read_merged(
                    upstream, caller, read_from, limit=PAGE, scope=None, services=reading
                )
                events = merged.items
                moved.update({s: p for s, p in merged.positions.items() if p is not None})
            moved.update(heads)
            now = ctx.clock()
            async with ctx.session() as session:
                if await repository.positions(session, lock=True) != read_from:
                    return handed  # another run moved on meanwhile: its turn
                handed += await _store(session, events, subscriptions, now)
                await repository.move(session, moved, now)
            if len(events) < PAGE:
                break
    if handed:
        log.info("webhook events handed on", deliveries=handed)
    return handed
