"""A retried write (``Idempotency-Key``) answers as the first did, and what is kept for the
replay names no person (ADR 0016): a project's responsible person and a payee are rendered
again from the ledger, not stored beside the key."""

import json
from datetime import timedelta

import asyncpg
import httpx

from common.settings import plain_database_url
from tests.programme.helpers import (
    JINGHONG_OFFICIAL,
    PLATFORM,
    a_project,
    demonstration_county,
    payment,
)
from tests.support import scratch_database
from tests.test_migrations import alembic

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


async def test_replays_keep_no_personal_data(
    programme: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await demonstration_county(programme)
    headers = {**JINGHONG_OFFICIAL, "Idempotency-Key": "jh-project-1"}
    first = await programme.post("/v1/projects", json=a_project(), headers=headers)
    assert first.status_code == 201, first.text
    again = await programme.post("/v1/projects", json=a_project(), headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["location"] == first.headers["location"]
    code = first.json()["code"]
    listed = await programme.get("/v1/projects", params={"county": "532801"}, headers=PLATFORM)
    assert [p["code"] for p in listed.json()["items"]] == [code]  # counted once

    url = f"/v1/projects/{code}/disbursements"
    pay = {**JINGHONG_OFFICIAL, "Idempotency-Key": "jh-pay-1"}
    body = payment("JH-2017-009", "1200.50", payee="岩温香")
    paid = await programme.post(url, json=body, headers=pay)
    assert paid.status_code == 201, paid.text
    replay = await programme.post(url, json=body, headers=pay)
    assert replay.status_code == 201
    assert replay.json() == paid.json()
    assert replay.json()["disbursement"]["payee"] == "岩温香"

    kept = await db.fetch("SELECT body::text AS body FROM programme.idempotency_record")
    assert len(kept) == 2
    for row in kept:
        for personal in ("岩温香", "13912345678", "139****5678"):
            assert personal not in row["body"]


async def test_programme_0008_keeps_references_for_what_named_a_person(database_url: str) -> None:
    """Records stored before the references: a project's and a payment's answers become
    references, others stay; the expired go."""
    async with scratch_database(database_url, "programme_0008") as url:
        await alembic("upgrade", "programme", url, "programme_0007")
        conn = await asyncpg.connect(plain_database_url(url))
        try:
            rows = [
                ("a", {"code": "532801-001", "responsible": {"name": "岩温香"}}, HOUR),
                ("b", {"headers": {}, "body": {"disbursement": {"id": 7, "payee": "岩温香"}}}, HOUR),
                ("c", {"headers": {}, "body": {"code": "fangshan-own"}}, HOUR),
                ("d", {"code": "532801-002", "responsible": {"name": "岩温香"}}, 3 * DAY),
            ]  # fmt: skip
            for key, body, age in rows:
                await conn.execute(
                    "INSERT INTO programme.idempotency_record VALUES "
                    "('user:jh', $1, 'f', 201, $2::jsonb, now() - $3::interval)",
                    key, json.dumps(body, ensure_ascii=False), age,
                )  # fmt: skip
            await alembic("upgrade", "programme", url, "head")
            kept = {
                r["key"]: json.loads(r["body"])
                for r in await conn.fetch("SELECT key, body FROM programme.idempotency_record")
            }
        finally:
            await conn.close()
    assert kept == {
        "a": {"headers": {}, "reference": {"project": "532801-001"}},
        "b": {"headers": {}, "reference": {"disbursement": 7}},
        "c": {"headers": {}, "body": {"code": "fangshan-own"}},
    }
