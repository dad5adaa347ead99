"""``Idempotency-Key`` for writes that mobile apps and integrations retry.

The first answer to a key is stored in the same transaction as the change it made, so a
repeat returns that answer and never counts twice. The same key with another body is 422.
Two copies of one request racing each other are serialised by a transaction-level advisory
lock on (caller, key): the second waits for the first to commit, then replays it.
"""

import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import DateTime, Integer, String, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from common.errors import Unprocessable

REPLAY_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="a unique key per intended write (e.g. a UUID); a retry with the same "
        "key and body returns the first answer",
    ),
]


class IdempotencyRecordMixin:
    """Columns of a service's ``idempotency_record`` table."""

    __tablename__ = "idempotency_record"

    subject: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[Any] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class Idempotency:
    """One request's idempotency: ``replay()`` before the work, ``remember()`` after it."""

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

    async def replay(self) -> JSONResponse | None:
        """The stored answer for this key, or None when the work must be done now."""
        if self.key is None:
            return None
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"),
            {"lock": f"idempotency:{self.subject}:{self.key}"},
        )
        stored = await self.session.scalar(
            select(self.model).where(self.model.subject == self.subject, self.model.key == self.key)
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
        return JSONResponse(
            stored.body, status_code=stored.status_code, headers={REPLAY_HEADER: "true"}
        )

    async def remember(self, status_code: int, body: Any) -> None:
        if self.key is None:
            return
        self.session.add(
            self.model(
                subject=self.subject,
                key=self.key,
                fingerprint=self.fingerprint,
                status_code=status_code,
                body=jsonable_encoder(body),
            )
        )
        await self.session.flush()
