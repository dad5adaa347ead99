"""Logistics follows the stations feed: the station projection and the division reference
copy, through stations' real routes; restarts, outages and a second consumer."""

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.types import Receive, Scope, Send

from common.auth import Role
from common.feedconsumer import Backoff, FeedConsumer
from ruralnet.devdb import free_port
from services.logistics.settings import LogisticsSettings
from services.logistics.stations_feed import REFERENCE, stations_consumer
from services.stations.app import create as create_stations
from services.stations.settings import StationsSettings
from tests.stations.registry_helpers import JIESHANG, WUCHENG, XIALUOBAO, create, move
from tests.support import internal_headers, serve

ADMIN = internal_headers(Role.ADMIN, subject="admin:1")


def consumer_for(
    database_url: str, base_url: str = "http://stations", **tuning: Any
) -> FeedConsumer:
    consumer = stations_consumer(
        LogisticsSettings(database_url=database_url, stations_url=base_url)
    )
    for name, value in tuning.items():
        setattr(consumer, name, value)
    return consumer


@pytest.fixture
async def feed(
    stations: httpx.AsyncClient, stations_app: FastAPI, database_url: str
) -> AsyncIterator[tuple[FeedConsumer, asyncpg.Connection, httpx.AsyncClient]]:
    """A consumer driven step by step against the stations app (in process)."""
    consumer = consumer_for(database_url)
    conn = await consumer.connect()
    try:
        async with consumer.client(transport=httpx.ASGITransport(app=stations_app)) as client:
            yield consumer, conn, client
    finally:
        await conn.close()


async def catch_up(
    consumer: FeedConsumer, conn: asyncpg.Connection, client: httpx.AsyncClient
) -> int:
    applied = 0
    while True:
        result = await consumer.step(conn, client)
        applied += result.applied
        if not result.full:
            return applied


async def points(db: asyncpg.Pool) -> dict[str, tuple[str, str, int]]:
    rows = await db.fetch("SELECT code, tier, status, version FROM logistics.station_point")
    return {r["code"]: (r["tier"], r["status"], r["version"]) for r in rows}


async def test_the_projection_follows_stations_idempotently(
    feed: tuple[FeedConsumer, asyncpg.Connection, httpx.AsyncClient],
    stations: httpx.AsyncClient,
    db: asyncpg.Pool,
) -> None:
    consumer, conn, client = feed
    consumer.page_size = 2  # several pages
    township = await create(stations, "township", WUCHENG)
    village = await create(
        stations, "village", JIESHANG, location={"lon": 111.14, "lat": 37.52}, crs="wgs84"
    )
    await move(stations, village["code"], "building", "operating")
    applied = await catch_up(consumer, conn, client)
    assert applied >= 4
    assert await points(db) == {
        township["code"]: ("township", "planned", 1),
        village["code"]: ("village", "operating", 3),
    }
    lon, lat = await db.fetchrow(
        "SELECT ST_X(location), ST_Y(location) FROM logistics.station_point WHERE code = $1",
        village["code"],
    )
    assert (round(lon, 4), round(lat, 4)) == (111.14, 37.52)

    # Read the whole feed again from zero: nothing changes, no version goes back.
    before = await db.fetch("SELECT code, version, updated_at FROM logistics.station_point")
    await db.execute("UPDATE logistics.feed_cursor SET cursor = NULL")
    await catch_up(consumer, conn, client)
    assert await db.fetch("SELECT code, version, updated_at FROM logistics.station_point") == before

    status = await db.fetchrow("SELECT * FROM logistics.feed_cursor WHERE source = 'stations'")
    assert status["caught_up_at"] is not None
    assert status["events_applied"] == 2 * applied


async def test_flags_travel_by_version(
    feed: tuple[FeedConsumer, asyncpg.Connection, httpx.AsyncClient],
    stations: httpx.AsyncClient,
    db: asyncpg.Pool,
) -> None:
    consumer, conn, client = feed
    try:
        r = await stations.post(
            "/v1/divisions/flags/bulk",
            json=[{"code": XIALUOBAO, "poor_village": True}],
            headers=ADMIN,
        )
        assert r.status_code == 200, r.text
        await catch_up(consumer, conn, client)
        query = (
            "SELECT poor_village, flags_version FROM logistics.reference_division WHERE code = $1"
        )
        assert tuple(await db.fetchrow(query, XIALUOBAO)) == (True, 1)
        # A snapshot older than what the copy holds leaves the newer flags alone.
        await db.execute(
            "UPDATE logistics.reference_division SET poor_village = false, flags_version = 2"
            " WHERE code = $1",
            XIALUOBAO,
        )
        result = await REFERENCE.sync_divisions(conn, client)
        assert result.written == 0
        assert tuple(await db.fetchrow(query, XIALUOBAO)) == (False, 2)
    finally:
        # The copy is reference data, kept between tests: leave it as stations has it.
        await db.execute(
            "UPDATE logistics.reference_division SET poor_village = false, flags_version = 0"
            " WHERE code = $1",
            XIALUOBAO,
        )


class Switch:
    """Stations behind a switch: down, every feed request is a 503 (what a load balancer
    answers for a service that is away). Counts the requests it saw."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.down = False
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            self.requests += 1
            if self.down:
                await send({"type": "http.response.start", "status": 503, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait for a condition the consumer brings about (polling, with a generous deadline)."""
    async with asyncio.timeout(30):
        while not await check():  # noqa: ASYNC110 - the database has no event to await
            await asyncio.sleep(0.02)


async def test_outage_restart_and_a_second_consumer(
    stations: httpx.AsyncClient, database_url: str, db: asyncpg.Pool
) -> None:
    switch = Switch(create_stations(StationsSettings(database_url=database_url)))
    village = await create(stations, "village", JIESHANG)
    with serve(switch) as url:
        tuning = {"idle_poll": 0.02, "first_backoff": 0.02, "max_backoff": 0.1, "heartbeat": 0}
        switch.down = True
        first = consumer_for(database_url, url, **tuning)
        task = asyncio.create_task(first.run())
        try:
            await until(lambda: _true(first.state.failures >= 4))
            # One request per attempt, each after its backoff: no busy loop.
            assert switch.requests <= first.state.failures + 1
            assert first.state.role == "failing"
            assert await points(db) == {}

            switch.down = False
            await until(lambda: _has(db, village["code"]))
            assert first.state.role == "consuming"

            # A second process of the app stands by while the first holds the lock.
            second = consumer_for(database_url, url, standby_poll=0.02, **tuning)
            standby = asyncio.create_task(second.run())
            try:
                await until(lambda: _true(second.state.role == "standby"))
                # The first stops (a restart): the second takes over from the stored cursor.
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await move(stations, village["code"], "building")
                await until(lambda: _version(db, village["code"], 2))
                assert second.state.role == "consuming"
            finally:
                standby.cancel()
                await asyncio.gather(standby, return_exceptions=True)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    applied = await db.fetchval("SELECT events_applied FROM logistics.feed_cursor")
    assert applied == 2  # created, then building: each applied once across the restart


async def _true(value: bool) -> bool:
    return value


async def _has(db: asyncpg.Pool, code: str) -> bool:
    return await db.fetchval(
        "SELECT EXISTS (SELECT FROM logistics.station_point WHERE code = $1)", code
    )


async def _version(db: asyncpg.Pool, code: str, version: int) -> bool:
    found = await db.fetchval("SELECT version FROM logistics.station_point WHERE code = $1", code)
    return found == version


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first=1, cap=8)
    delays = [backoff.next() for _ in range(6)]
    for delay, nominal in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert 0.75 * nominal <= delay <= 1.25 * nominal
    backoff.reset()
    assert backoff.next() <= 1.25


def _feed_samples(text: str) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("ruralnet_changefeed_consumer_")
        and sample.labels == {"feed": "stations"}
    }


async def test_readiness_and_metrics_report_the_lag(
    logistics: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    r = await logistics.get("/readyz")
    assert r.status_code == 200
    assert r.json()["feeds"]["stations"]["lag_seconds"] is None  # never caught up here
    samples = _feed_samples((await logistics.get("/metrics")).text)
    assert samples["ruralnet_changefeed_consumer_lag_seconds"] == math.inf
    assert samples["ruralnet_changefeed_consumer_events_applied"] == 0

    await db.execute(
        "INSERT INTO logistics.feed_cursor (source, cursor, events_applied, caught_up_at)"
        " VALUES ('stations', '1.1', 3, now() - interval '90 seconds')"
    )
    feed = (await logistics.get("/readyz")).json()["feeds"]["stations"]
    assert feed["events_applied"] == 3
    assert 89 <= feed["lag_seconds"] < 200
    samples = _feed_samples((await logistics.get("/metrics")).text)
    assert 89 <= samples["ruralnet_changefeed_consumer_lag_seconds"] < 200
    assert samples["ruralnet_changefeed_consumer_events_applied"] == 3


async def test_stations_stopped_and_started_again(
    stations: httpx.AsyncClient, database_url: str, db: asyncpg.Pool
) -> None:
    """Stations really stopped (its port refuses connections): the consumer retries only
    after each backoff, and follows on from its cursor once stations listens again."""
    village = await create(stations, "village", JIESHANG)
    port = free_port()
    app = create_stations(StationsSettings(database_url=database_url))
    first, cap = 0.05, 0.4
    consumer = consumer_for(
        database_url,
        f"http://127.0.0.1:{port}",
        idle_poll=0.02,
        first_backoff=first,
        max_backoff=cap,
        heartbeat=0,
    )
    task = asyncio.create_task(consumer.run())
    loop = asyncio.get_running_loop()
    try:
        with serve(app, port=port):
            await until(lambda: _has(db, village["code"]))
        # Stopped. From the first failure to the fourth the consumer slept three backoffs,
        # each at least 0.75 of 0.05, 0.1 and 0.2 s: a busy loop would fail thousands of
        # times in that while, and a slow machine only waits longer.
        await until(lambda: _true(consumer.state.failures >= 1))
        failed_at, failures = loop.time(), consumer.state.failures
        await until(lambda: _true(consumer.state.failures >= failures + 3))
        assert loop.time() - failed_at >= 0.75 * (first + 2 * first + 4 * first)
        assert consumer.state.role == "failing"
        assert consumer.state.last_error == "ConnectError"

        await move(stations, village["code"], "building")  # while logistics cannot see it
        with serve(app, port=port):
            await until(lambda: _version(db, village["code"], 2))
            assert consumer.state.role == "consuming"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await db.fetchval("SELECT events_applied FROM logistics.feed_cursor") == 2
