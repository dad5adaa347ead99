"""``Idempotency-Key`` for writes that mobile apps and integrations retry
(docs/adr/0016-idempotency-records.md).

The first answer to a key is stored in the same transaction as the change it made, so a
repeat returns that answer — same status, same ``ETag`` and ``Location`` — and never counts
twice. The same key with another body is 422. Two copies of one request racing each other
are serialised by a transaction-level advisory lock on (caller, key): the second waits for
the first to commit, then replays it.

A record lives ``REPLAY_HOURS`` (48 h: a phone that lost its connection retries within
minutes, an integration's batch job within a day; two days cover a weekend's outage) and
holds nothing a replay does not need. An answer without personal data is stored as it was
sent; an answer that shows personal data (a station's operator, unmasked for its manager)
is stored as a reference to what it showed, and a replay renders it again from the record,
as the caller is allowed to see it now. Expired records are purged by the writes themselves:
each ``remember`` deletes a few expired rows in the same statement, so purging keeps pace
with writing and needs no background task that could die unnoticed.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    String,
    Text,
    and_,
    cast,
    delete,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from common.errors import Unprocessable
from common.guards import nul_pointer, scrub_nul

REPLAY_HEADER = "Idempotent-Replayed"
REPLAY_HOURS = 48
REPLAY_WINDOW = timedelta(hours=REPLAY_HOURS)
# Expired rows deleted by each write: more than one, so the purge overtakes a backlog.
PURGE_BATCH = 20
# What a replay repeats of the first answer's headers.
REPLAYED_HEADERS = ("ETag", "Location")

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="a unique key per intended write (e.g. a UUID); a retry with the same "
        f"key and body within {REPLAY_HOURS} hours returns the first answer (same status, "
        "`ETag`, `Location`) with `Idempotent-Replayed: true`",
    ),
]

Render = Callable[[Any], Awaitable[Response]]


class IdempotencyRecordMixin:
    """Columns of a service's ``idempotency_record`` table.

    ``body`` holds the replay: ``{"headers": {...}, "body": <the answer>}``, or
    ``{"headers": {...}, "reference": <what the route renders again>}``. ``created_at``
    is indexed: the purge and the expiry look it up (ADR 0016).
    """

    __tablename__ = "idempotency_record"

    subject: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[Any] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index(f"ix_{cls.__tablename__}_created_at", "created_at"),)


class Idempotency:
    """One request's idempotency: ``replay()`` before the work, ``remember…()`` after it."""

    def __init__(
        self,
        session: AsyncSession,
        model: type[IdempotencyRecordMixin],
        *,
        subject: str,
        key: str | None,
        fingerprint: str,
    ) -> None:
        self.session = session
        self.model = model
        self.subject = subject
        self.key = key
        self.fingerprint = fingerprint

    @classmethod
    async def from_request(
        cls,
        request: Request,
        session: AsyncSession,
        model: type[IdempotencyRecordMixin],
        *,
        subject: str,
        key: str | None,
    ) -> "Idempotency":
        digest = hashlib.sha256()
        digest.update(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
        digest.update(await request.body())
        return cls(session, model, subject=subject, key=key, fingerprint=digest.hexdigest())

    async def replay(self, render: Render | None = None) -> Response | None:
        """The first answer for this key, or None when the work must be done now.

        ``render(reference)`` makes the answer of a record stored by ``remember_reference``.
        """
        if self.key is None:
            return None
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"),
            {"lock": f"idempotency:{self.subject}:{self.key}"},
        )
        model = self.model
        stored = await self.session.scalar(
            select(model).where(
                model.subject == self.subject,
                model.key == self.key,
                model.created_at >= func.now() - REPLAY_WINDOW,
            )
        )
        if stored is None:
            return None
        if stored.fingerprint != self.fingerprint:
            raise Unprocessable(
                "This Idempotency-Key was used for a different request; use a new key",
                detail_zh="该 Idempotency-Key 已用于另一个请求,请使用新的键",
                code="idempotency_key_reused",
                field="Idempotency-Key",
                location="header",
            )
        replay = stored.body
        if not (
            isinstance(replay, dict)
            and set(replay) in ({"headers", "body"}, {"headers", "reference"})
        ):
            replay = {"headers": {}, "body": replay}  # kept before replays had headers
        headers = dict(replay["headers"])
        if "reference" in replay:
            assert render is not None, "a referenced answer needs its renderer"
            response = await render(replay["reference"])
            response.status_code = stored.status_code
        else:
            response = JSONResponse(replay["body"], status_code=stored.status_code)
            response.headers.update(headers)
        response.headers[REPLAY_HEADER] = "true"
        return response

    async def remember(
        self, status_code: int, body: Any, *, headers: Mapping[str, str] | None = None
    ) -> None:
        """Keep an answer that holds no personal data, to be replayed as it is."""
        if self.key is None:
            return
        await self._store(status_code, "body", jsonable_encoder(body), headers)

    async def remember_json(
        self, status_code: int, content: bytes, *, headers: Mapping[str, str] | None = None
    ) -> None:
        """``remember`` for an answer already encoded as it is sent (JSON of plain values,
        e.g. by ``pydantic_core.to_json``): stored without walking it again, which for a
        100,000-row bulk answer costs more than encoding it (``jsonable_encoder``)."""
        if self.key is None:
            return
        if b"\\u0000" in content:
            await self._store(status_code, "body", json.loads(content), headers)
            return
        await self._insert(status_code, self._replay(headers, "body", content.decode()))

    async def remember_reference(
        self, status_code: int, reference: Any, *, headers: Mapping[str, str] | None = None
    ) -> None:
        """Keep only what identifies an answer that shows personal data (``{"station":
        code}``); ``replay(render)`` renders it again."""
        if self.key is None:
            return
        await self._store(status_code, "reference", reference, headers)

    async def _store(
        self, status_code: int, kind: str, value: Any, headers: Mapping[str, str] | None
    ) -> None:
        replay = self._replay(headers, kind, json.dumps(value, ensure_ascii=False))
        if "\\u0000" in replay and nul_pointer(value) is not None:
            # PostgreSQL's jsonb refuses NUL; nothing we answer should hold one, but a record
            # that cannot be stored would fail the write it belongs to.
            replay = self._replay(headers, kind, json.dumps(scrub_nul(value), ensure_ascii=False))
        await self._insert(status_code, replay)

    @staticmethod
    def _replay(headers: Mapping[str, str] | None, kind: str, value_json: str) -> str:
        """The stored replay's JSON: ``{"headers": {...}, kind: value}``."""
        kept = {name: headers[name] for name in REPLAYED_HEADERS if headers and name in headers}
        return f'{{"headers": {json.dumps(kept, ensure_ascii=False)}, "{kind}": {value_json}}}'

    async def _insert(self, status_code: int, replay: str) -> None:
        table = self.model.__table__  # type: ignore[attr-defined]
        cutoff = func.now() - REPLAY_WINDOW
        expired = (
            select(literal_column("ctid"))
            .select_from(table)
            .where(
                table.c.created_at < cutoff,
                ~and_(table.c.subject == self.subject, table.c.key == self.key),
            )
            .limit(PURGE_BATCH)
            .with_for_update(skip_locked=True)
        )
        purge = delete(table).where(literal_column("ctid").in_(expired)).cte("purged")
        record = insert(table).values(
            subject=self.subject,
            key=self.key,
            fingerprint=self.fingerprint,
            status_code=status_code,
            # Cast from text: the JSON is written once, here, not again by the JSONB type.
            body=cast(literal(replay, Text()), JSONB),
        )
        # A key reused after its record expired (not yet purged) starts afresh.
        record = record.on_conflict_do_update(
            index_elements=[table.c.subject, table.c.key],
            set_={
                "fingerprint": record.excluded.fingerprint,
                "status_code": record.excluded.status_code,
                "body": record.excluded.body,
                "created_at": func.now(),
            },
            where=table.c.created_at < cutoff,
        )
        await self.session.execute(record.add_cte(purge))
