"""Change feeds: events written in the same transaction as the change they describe, read in
an order that never skips an event whose transaction commits late.

Why not ``id > cursor``: an id is taken from a sequence before commit, so a transaction that
took id 5 and commits after the one that took id 6 would be skipped by a consumer already
past 6. Instead every event records its transaction id (``pg_current_xact_id()``) and the
feed is ordered by ``(txid, id)`` and hands out only events of transactions older than the
oldest one still running that could write this feed (see ``_HORIZON``): every such
transaction has finished, so no event can later appear before the cursor.
The order is per transaction, not strictly by commit time; each event carries the entity's
``version`` so a consumer keeps the newest state whatever order two writers of one entity
are seen in.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, DateTime, Index, Integer, String, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from common.auth import require_signed_in
from common.db import SessionDep
from common.errors import BadRequest

MAX_FEED_PAGE = 1000


# The oldest transaction that may still add an event to this feed: the oldest one in flight
# in our snapshot, leaving out those that pg_stat_activity shows cannot write this feed —
# running in another database, or on a connection another ruralnet component opened (each
# names itself ``ruralnet-<component>`` or ``ruralnet-<component>:<purpose>`` in
# ``application_name``, and a component writes only its own schema). A long transaction of
# training or of a report run must not hold the stations feed back. A transaction it cannot
# place (ended meanwhile, another role's without pg_read_all_stats, a connection that does
# not name itself: psql, an import script) counts as ours, which only delays delivery.
# Evaluated once per query, in the query's own snapshot.
_HORIZON = """(
    SELECT LEAST(
        pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
        (SELECT min(x::text::bigint)
         FROM pg_snapshot_xip(pg_current_snapshot()) AS x
         WHERE NOT EXISTS (
             SELECT 1 FROM pg_stat_activity a
             WHERE a.backend_xid = xid(x)
               AND (a.datname IS DISTINCT FROM current_database()
                    OR (left(a.application_name, 9) = 'ruralnet-'
                        AND split_part(substr(a.application_name, 10), ':', 1)
                            <> :feed_component))
         ))
    )
)"""


def application_name(component: str, purpose: str | None = None) -> str:
    """What a connection of ``component`` says it is, so that feeds can tell whose
    transactions may write them (see ``_HORIZON``)."""
    return f"ruralnet-{component}" + (f":{purpose}" if purpose else "")


class ChangeEventMixin:
    """Columns of a service's ``change_event`` table."""

    __tablename__ = "change_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    txid: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("(pg_current_xact_id()::text::bigint)")
    )
    topic: Mapped[str] = mapped_column(String(40), nullable=False)
    key: Mapped[str] = mapped_column(String(80), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index(f"ix_{cls.__tablename__}_txid_id", "txid", "id"),)


class ChangeEvent(BaseModel):
    cursor: str = Field(description="pass as `after` to read on from this event")
    topic: str = Field(examples=["station"])
    key: str = Field(examples=["141124100201-01"])
    action: str = Field(examples=["transitioned"])
    version: int
    occurred_at: datetime
    payload: dict[str, Any]


class ChangeHead(BaseModel):
    cursor: str = Field(
        description="the position after the newest event a reader can be handed now: pass it "
        "as `after` to read only what comes next",
        examples=["7512.42"],
    )


class ChangePage(BaseModel):
    items: list[ChangeEvent]
    cursor: str | None = Field(
        description="where the next poll starts: the last event's cursor, or `after` "
        "unchanged; read with `topic`, the feed's head once no more of those topics are there"
    )


BIGINT_MAX = 2**63 - 1


def encode_feed_cursor(txid: int, event_id: int) -> str:
    return f"{txid}.{event_id}"


def _bigint_text(text: str) -> bool:
    """ASCII digits of a value a bigint holds (``isdigit`` alone takes ١٢ and ²)."""
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= BIGINT_MAX


def decode_feed_cursor(cursor: str) -> tuple[int, int]:
    txid, sep, event_id = cursor.partition(".")
    if not sep or not _bigint_text(txid) or not _bigint_text(event_id):
        raise BadRequest(
            "after must be a cursor this feed handed out, like '7512.42'",
            detail_zh="after 参数不是有效的游标",
            code="invalid_cursor",
            field="after",
            location="query",
        )
    return int(txid), int(event_id)


AfterQuery = Annotated[
    str | None, Query(max_length=64, description="cursor of the last event already read")
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_FEED_PAGE, description="events per page")]


def record_change(
    session: AsyncSession,
    model: type[ChangeEventMixin],
    *,
    topic: str,
    key: str,
    action: str,
    version: int,
    payload: dict[str, Any],
) -> None:
    """Add an event to the session: it commits (or not) with the change it describes."""
    session.add(model(topic=topic, key=key, action=action, version=version, payload=payload))


async def read_changes(
    session: AsyncSession,
    model: type[ChangeEventMixin],
    *,
    after: str | None,
    limit: int,
    topics: list[str] | None = None,
) -> ChangePage:
    # The feed belongs to the component whose schema holds its table.
    horizon = text(_HORIZON).bindparams(feed_component=model.__table__.schema)  # type: ignore[attr-defined]
    # Plain rows, not ORM objects: a consumer catching up reads hundreds of thousands.
    stmt = select(
        model.txid, model.id, model.topic, model.key, model.action, model.version,
        model.occurred_at, model.payload,
    ).where(model.txid < horizon)  # fmt: skip
    if after is not None:
        stmt = stmt.where(tuple_(model.txid, model.id) > tuple_(*decode_feed_cursor(after)))
    head = None
    if topics:
        # Only up to the head read first: every event up to it is committed, so when fewer
        # than ``limit`` of these topics come back the cursor may move on to the head, past
        # the other topics' events, and a filtered reader never rescans them (nor skips one
        # of its own: nothing of its topics lies between its last event and the head).
        head = decode_feed_cursor((await read_head(session, model)).cursor)
        stmt = stmt.where(model.topic.in_(topics), tuple_(model.txid, model.id) <= tuple_(*head))
    rows = (await session.execute(stmt.order_by(model.txid, model.id).limit(limit))).all()
    items = [
        ChangeEvent.model_construct(
            cursor=encode_feed_cursor(txid, event_id),
            topic=topic,
            key=key,
            action=action,
            version=version,
            occurred_at=occurred_at,
            payload=payload,
        )
        for txid, event_id, topic, key, action, version, occurred_at, payload in rows
    ]
    cursor = items[-1].cursor if items else after
    if head is not None and len(items) < limit:
        reached = max(head, decode_feed_cursor(cursor) if cursor else (0, 0))
        cursor = encode_feed_cursor(*reached)
    return ChangePage(items=items, cursor=cursor)


# Before every event: the head of an empty feed.
START = encode_feed_cursor(0, 0)


async def read_head(session: AsyncSession, model: type[ChangeEventMixin]) -> ChangeHead:
    """Where a new reader starts to see only what happens from now on (a webhook
    subscription): the last event below the horizon, so every event after it is one no
    reader has been handed yet."""
    horizon = text(_HORIZON).bindparams(feed_component=model.__table__.schema)  # type: ignore[attr-defined]
    stmt = (
        select(model.txid, model.id)
        .where(model.txid < horizon)
        .order_by(model.txid.desc(), model.id.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).one_or_none()
    return ChangeHead(cursor=START if row is None else encode_feed_cursor(row.txid, row.id))


def head_route(router: APIRouter, model: type[ChangeEventMixin]) -> None:
    """``GET /v1/changes/head`` on a feed's router."""

    @router.get(
        "/head",
        summary="Where the feed is now",
        description="The cursor after the newest event: reading `after` it gives only "
        "events that come later.",
        response_model=ChangeHead,
        dependencies=[Depends(require_signed_in)],
    )
    async def changes_head(session: SessionDep) -> ChangeHead:
        return await read_head(session, model)


def changes_router(model: type[ChangeEventMixin], topics: Sequence[str]) -> APIRouter:
    """``GET /v1/changes`` of one service: its events in a cursor-safe order, optionally
    only some of its ``topics``. Not for the public: events name who changed what."""
    router = APIRouter(
        prefix="/v1/changes", tags=["changes"], dependencies=[Depends(require_signed_in)]
    )
    known = tuple(topics)

    @router.get(
        "",
        summary="Read the change feed",
        description="Events in an order that never skips a late commit: poll with `after` set "
        "to the `cursor` of the previous answer. Topics: " + ", ".join(known) + ".",
        response_model=ChangePage,
        responses=BadRequest.openapi(
            "`invalid_cursor`: not a cursor this feed handed out; `unknown_topic`"
        ),
    )
    async def list_changes(
        session: SessionDep,
        after: AfterQuery = None,
        limit: LimitQuery = 100,
        topic: Annotated[list[str] | None, Query(description="only these topics")] = None,
    ) -> Response:
        if topic:
            unknown = sorted(set(topic) - set(known))
            if unknown:
                raise BadRequest(
                    f"unknown topic {', '.join(unknown)}; one of {', '.join(known)}",
                    detail_zh=f"未知的主题 {', '.join(unknown)}",
                    code="unknown_topic",
                    field="topic",
                    location="query",
                )
        page = await read_changes(session, model, after=after, limit=limit, topics=topic)
        # Dumped once, not validated again against the response model: a consumer catching
        # up reads a thousand events a page.
        return Response(page.model_dump_json(), media_type="application/json")

    head_route(router, model)
    return router
