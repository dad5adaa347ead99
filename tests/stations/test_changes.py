"""The change feed never skips an event whose transaction commits late, and never repeats one."""

import asyncio
import json
import random

import asyncpg
import httpx
import pytest

from common.auth import NATION, Role
from common.changefeed import application_name
from common.settings import plain_database_url
from tests.support import internal_headers

INSERT = """
INSERT INTO stations.change_event (topic, key, action, version, payload)
VALUES ('station', $1, 'created', 1, $2::jsonb) RETURNING id
"""


async def _read_all(client: httpx.AsyncClient, after: str | None) -> tuple[list[dict], str | None]:
    headers = internal_headers(Role.SERVICE)
    events: list[dict] = []
    while True:
        params = {"limit": 50} | ({"after": after} if after else {})
        page = (await client.get("/v1/changes", params=params, headers=headers)).json()
        events += page["items"]
        if page["cursor"] == after:
            return events, after
        after = page["cursor"]


async def test_a_late_commit_is_not_skipped(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    async with db.acquire() as early, db.acquire() as late:
        early_tx = early.transaction()
        await early_tx.start()
        early_id = await early.fetchval(INSERT, "early", "{}")
        async with late.transaction():
            late_id = await late.fetchval(INSERT, "late", "{}")
        assert late_id > early_id

        # The later event is committed, but handing it out now would let a consumer's cursor
        # pass the earlier one, still in flight.
        events, cursor = await _read_all(stations, None)
        assert events == []
        assert cursor is None

        await early_tx.commit()
    events, cursor = await _read_all(stations, cursor)
    assert [e["key"] for e in events] == ["early", "late"]
    assert cursor is not None
    again, _ = await _read_all(stations, cursor)
    assert again == []


async def test_a_rolled_back_event_never_appears(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    async with db.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.fetchval(INSERT, "doomed", "{}")
        await tx.rollback()
    async with db.acquire() as conn:
        await conn.fetchval(INSERT, "kept", "{}")
    events, _ = await _read_all(stations, None)
    assert [e["key"] for e in events] == ["kept"]


async def _race(stations: httpx.AsyncClient, db: asyncpg.Pool) -> tuple[list[str], list[str]]:
    """Writers hold their transactions open for random times while a consumer polls; returns
    (committed keys, keys the consumer saw once the writers were done)."""
    rng = random.Random(7)
    committed: list[str] = []
    writers_done = asyncio.Event()

    async def writer(n: int) -> None:
        for i in range(6):
            key = f"w{n}-{i}"
            async with db.acquire() as conn:
                tx = conn.transaction()
                await tx.start()
                await conn.fetchval(INSERT, key, json.dumps({"n": n}))
                await asyncio.sleep(rng.uniform(0, 0.03))
                if rng.random() < 0.2:
                    await tx.rollback()
                    continue
                await tx.commit()
                committed.append(key)

    seen: list[str] = []

    async def consumer() -> None:
        cursor: str | None = None
        while True:
            done = writers_done.is_set()
            events, cursor = await _read_all(stations, cursor)
            seen.extend(e["key"] for e in events)
            if done:
                return
            await asyncio.sleep(0.005)

    reader = asyncio.create_task(consumer())
    # The pool has 4 connections: 3 writers keep one free for the app's own reads of nothing.
    await asyncio.gather(*(writer(n) for n in range(3)))
    writers_done.set()
    await reader
    return committed, seen


async def test_concurrent_writers_and_a_polling_consumer(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    """The consumer ends with every committed event exactly once."""
    committed, seen = await _race(stations, db)
    assert sorted(seen) == sorted(committed)
    assert len(seen) == len(set(seen))


async def _named_connection(database_url: str, name: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        plain_database_url(database_url), server_settings={"application_name": name}
    )


@pytest.mark.parametrize(
    "name",
    [
        application_name("training", "bulk"),  # a 1,000,000-row attendance upload
        application_name("programme"),  # a ledger import
        application_name("gateway", "reports"),  # a report generation
    ],
)
async def test_a_long_transaction_of_another_component_does_not_hold_the_feed(
    stations: httpx.AsyncClient, db: asyncpg.Pool, database_url: str, name: str
) -> None:
    """Another component's connection (naming itself ``ruralnet-<component>``) holds a
    write transaction open for the whole race: every stations event still arrives, in
    order, before it ends."""
    other = await _named_connection(database_url, name)
    try:
        tx = other.transaction()
        await tx.start()
        await other.fetchval("SELECT pg_current_xact_id()")  # a writer: it has an xid
        committed, seen = await _race(stations, db)
        assert sorted(seen) == sorted(committed)
        assert len(seen) == len(set(seen))
        await tx.rollback()
    finally:
        await other.close()


async def test_a_long_transaction_of_stations_itself_holds_the_feed(
    stations: httpx.AsyncClient, db: asyncpg.Pool, database_url: str
) -> None:
    """A connection of stations (here its importer) may still write the feed: events after
    its transaction wait for it, and none is skipped."""
    importer = await _named_connection(database_url, application_name("stations", "import"))
    try:
        tx = importer.transaction()
        await tx.start()
        await importer.fetchval(INSERT, "import", "{}")
        async with db.acquire() as conn:
            await conn.fetchval(INSERT, "after", "{}")
        events, cursor = await _read_all(stations, None)
        assert events == []
        await tx.commit()
    finally:
        await importer.close()
    events, _ = await _read_all(stations, cursor)
    assert [e["key"] for e in events] == ["import", "after"]


async def test_bad_cursor_and_topic(stations: httpx.AsyncClient) -> None:
    headers = internal_headers(Role.PLATFORM, division=NATION)
    r = await stations.get("/v1/changes", params={"after": "yesterday"}, headers=headers)
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_cursor"
    assert r.json()["field"] == "after"
    r = await stations.get("/v1/changes", params={"topic": "weather"}, headers=headers)
    assert r.status_code == 400
    assert r.json()["code"] == "unknown_topic"
    r = await stations.get("/v1/changes", params={"limit": 5000}, headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "limit"
    assert (await stations.get("/v1/changes")).status_code == 401


async def test_a_long_transaction_in_another_database_does_not_hold_the_feed(
    stations: httpx.AsyncClient, db: asyncpg.Pool, database_url: str
) -> None:
    other = await asyncpg.connect(plain_database_url(database_url).rsplit("/", 1)[0] + "/postgres")
    try:
        tx = other.transaction()
        await tx.start()
        await other.fetchval("SELECT pg_current_xact_id()")  # takes a transaction id
        async with db.acquire() as conn:
            await conn.fetchval(INSERT, "here", "{}")
        events, _ = await _read_all(stations, None)
        assert [e["key"] for e in events] == ["here"]
        await tx.rollback()
    finally:
        await other.close()


async def test_the_head_is_behind_every_event_still_in_flight(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    """A reader starting at the head gets what comes next, including a late commit that
    began before the head was read, and nothing older."""
    headers = internal_headers(Role.SERVICE)
    empty = (await stations.get("/v1/changes/head", headers=headers)).json()["cursor"]
    assert empty == "0.0"
    await db.fetchval(INSERT, "old", "{}")
    async with db.acquire() as early:
        tx = early.transaction()
        await tx.start()
        await early.fetchval(INSERT, "in flight", "{}")
        head = (await stations.get("/v1/changes/head", headers=headers)).json()["cursor"]
        await tx.commit()
    await db.fetchval(INSERT, "new", "{}")
    events, _ = await _read_all(stations, head)
    assert [e["key"] for e in events] == ["in flight", "new"]
    public = await stations.get("/v1/changes/head")
    assert public.status_code == 401


async def test_a_topic_filter_moves_past_other_topics_but_not_past_a_late_commit(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    headers = internal_headers(Role.SERVICE)
    other = """INSERT INTO stations.change_event (topic, key, action, version, payload)
               VALUES ('monthly_report', $1, 'created', 1, '{}'::jsonb)"""
    async with db.acquire() as early:
        early_tx = early.transaction()
        await early_tx.start()
        late_station = await early.fetchval(INSERT, "late", "{}")
        await db.execute(other, "after-the-late-one")
        filtered = {"topic": "station"}
        page = (await stations.get("/v1/changes", params=filtered, headers=headers)).json()
        assert page["items"] == []
        held = page["cursor"]  # at the head: below the open transaction
        await early_tx.commit()
    await db.execute(other, "noise")
    page = (
        await stations.get("/v1/changes", params={**filtered, "after": held}, headers=headers)
    ).json()
    assert [e["key"] for e in page["items"]] == ["late"]
    assert page["items"][0]["cursor"].endswith(f".{late_station}")
    # Past the monthly reports that follow: an unfiltered read from there finds nothing.
    rest = await stations.get("/v1/changes", params={"after": page["cursor"]}, headers=headers)
    assert rest.json()["items"] == []
