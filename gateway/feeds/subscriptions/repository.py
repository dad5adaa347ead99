import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import PageParams, keyset
from gateway.feeds.subscriptions.models import FeedFollower, WebhookEvent, WebhookSubscription

FOLLOWER = "subscriptions"


async def get(
    session: AsyncSession, subscription_id: int, *, lock: bool = False
) -> WebhookSubscription | None:
    stmt = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def page(
    session: AsyncSession, owner: str | None, params: PageParams
) -> Sequence[WebhookSubscription]:
    stmt = select(WebhookSubscription)
    if owner is not None:
        stmt = stmt.where(WebhookSubscription.owner == owner)
    stmt = keyset(stmt, [WebhookSubscription.id], params)
    return (await session.execute(stmt)).scalars().all()


@dataclass(frozen=True)
class Receiving:
    """A subscription as the feed's reader matches events against it."""

    id: int
    division: str
    topics: frozenset[str]
    created_at: datetime


# Active subscriptions whose owner may still have them: a machine client that is disabled,
# lost the scope, or was moved to a division that no longer holds the subscription's
# receives nothing (ADR 0084).
_RECEIVING = text(
    """SELECT s.id, s.division, s.topics, s.created_at
       FROM gateway.webhook_subscription s
       LEFT JOIN gateway.machine_client c ON c.client_id = s.owner_client
       WHERE s.status = 'active'
         AND (s.owner_client IS NULL
              OR (c.status = 'active' AND 'webhooks:manage' = ANY(c.scopes)
                  AND (c.division = 'nation'
                       OR (s.division <> 'nation' AND s.division LIKE c.division || '%'))))
       ORDER BY s.id"""
)


async def receiving(session: AsyncSession) -> list[Receiving]:
    rows = (await session.execute(_RECEIVING)).all()
    return [Receiving(r.id, r.division, frozenset(r.topics), r.created_at) for r in rows]


async def positions(
    session: AsyncSession, *, lock: bool = False, share: bool = False
) -> dict[str, Any]:
    """Where the reader is in each feed (a service missing: not started). ``lock``: the
    reader's own lock, to move them; ``share``: a subscription being made or changed holds
    the reader back until it commits, so the reader's next page sees it."""
    if lock or share:
        await session.execute(
            insert(FeedFollower)
            .values(name=FOLLOWER, positions={})
            .on_conflict_do_nothing(index_elements=["name"])
        )
    stmt = select(FeedFollower).where(FeedFollower.name == FOLLOWER)
    if lock:
        stmt = stmt.with_for_update()
    elif share:
        stmt = stmt.with_for_update(read=True)
    row = (await session.execute(stmt)).scalar_one_or_none()
    return {} if row is None else dict(row.positions)


async def start(session: AsyncSession, heads: dict[str, str], now: datetime) -> None:
    """Positions for feeds the reader has not read yet (those it has stay as they are)."""
    await session.execute(
        text(
            """UPDATE gateway.feed_follower
               SET positions = CAST(:heads AS jsonb) || positions, updated_at = :now
               WHERE name = :name"""
        ).bindparams(heads=json.dumps(heads), now=now, name=FOLLOWER)
    )


async def move(session: AsyncSession, moved: dict[str, str], now: datetime) -> None:
    await session.execute(
        FeedFollower.__table__.update()  # type: ignore[attr-defined]
        .where(FeedFollower.name == FOLLOWER)
        .values(positions=moved, updated_at=now)
    )


async def store_event(
    session: AsyncSession,
    webhook_id: str,
    event_type: str,
    division: str | None,
    occurred_at: datetime,
    body: bytes,
) -> WebhookEvent:
    """The event as its deliveries send it; the one already stored under its id, if any."""
    stmt = (
        insert(WebhookEvent)
        .values(
            webhook_id=webhook_id,
            event_type=event_type,
            division=division,
            occurred_at=occurred_at,
            body=body,
        )
        .on_conflict_do_nothing(index_elements=["webhook_id"])
    )
    await session.execute(stmt)
    found = select(WebhookEvent).where(WebhookEvent.webhook_id == webhook_id)
    return (await session.execute(found)).scalar_one()
