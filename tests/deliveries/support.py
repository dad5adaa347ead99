"""Loopback receivers playing MOFCOM and a provincial platform, a clock tests move, and the
delivery job driven at each simulated due time (the queue's own timing is proven with a real
worker in tests/jobs and test_worker_restart.py)."""

import asyncio
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.jobs import JobContext
from gateway.reports.deliveries import service
from tests.support import serve


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@dataclass
class Receiver:
    """What a platform does with what it is sent. ``status`` answers every request;
    ``hang`` never answers (a slow platform); ``secrets`` verify signatures; deliveries
    are taken once per ``webhook-id`` (``effective``), as a receiver deduplicates."""

    name: str
    status: int = 200
    retry_after: str | None = None
    hang: bool = False
    secrets: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    effective: dict[str, bytes] = field(default_factory=dict)
    forged: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        self.requests.append({"headers": headers, "body": body})
        self.arrived.set()
        if self.hang:
            await asyncio.sleep(3600)
        if self.status != 200:
            extra = {"Retry-After": self.retry_after} if self.retry_after else {}
            return JSONResponse({"error": f"{self.name} says {self.status}"}, self.status, extra)
        if not any(_verifies(s, body, headers) for s in self.secrets):
            self.forged += 1
            return JSONResponse({"error": "signature"}, 401)
        webhook_id = headers["webhook-id"]
        duplicate = webhook_id in self.effective
        self.effective.setdefault(webhook_id, body)
        return JSONResponse(
            {
                "receipt": f"{self.name}-{hashlib.sha256(body).hexdigest()[:8]}",
                "duplicate": duplicate,
            }
        )


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except WebhookVerificationError:
        return False
    return True


@contextmanager
def receiver(name: str) -> Iterator[Receiver]:
    r = Receiver(name)
    with serve(Starlette(routes=[Route("/reports", r.handle, methods=["POST"])])) as url:
        r.url = f"{url}/reports"
        yield r


async def insert_revision(
    db: asyncpg.Pool, division: str, period: str = "2026-11", document_type: str = "county-report"
) -> int:
    """A document revision as the documents' side writes it (reporting-contract.md)."""
    body = json.dumps(
        {"document_type": document_type, "version": "1", "division": division, "period": period},
        ensure_ascii=False,
    ).encode()
    return await db.fetchval(
        """INSERT INTO gateway.report_revision
               (document_type, document_version, division, period, revision, body,
                content_hash, created_by)
           VALUES ($1::varchar, '1', $2::varchar, $3::varchar,
                   1 + (SELECT count(*) FROM gateway.report_revision
                        WHERE document_type = $1::varchar AND division = $2::varchar
                          AND period = $3::varchar),
                   $4, $5, 'test')
           RETURNING id""",
        document_type,
        division,
        period,
        body,
        "sha256:" + hashlib.sha256(body).hexdigest(),
    )


async def revision_ready(ctx: JobContext, revision_id: int) -> list[int]:
    async with ctx.session() as session:
        return await service.revision_ready(session, revision_id, ctx.clock())


async def run_due(ctx: JobContext, db: asyncpg.Pool) -> int:
    """Every delivery due at the clock's time gets its attempt, as the queue would run it."""
    due = await db.fetch(
        "SELECT id FROM gateway.delivery WHERE status = 'pending' AND next_attempt_at <= $1 "
        "ORDER BY id",
        ctx.clock(),
    )
    for row in due:
        await service.attempt(ctx, row["id"])
    return len(due)


async def next_due(db: asyncpg.Pool) -> datetime | None:
    return await db.fetchval(
        "SELECT min(next_attempt_at) FROM gateway.delivery WHERE status = 'pending'"
    )
