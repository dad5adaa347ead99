"""Logistics following the stations feed: the station projection caught up from zero, and the division reference copy loaded, vs reading alone.

On the national benchmark database, stations runs under uvicorn in a process of its own;
its feed holds one ``station`` event per lifecycle transition of 150,000 village points and
every township station and county centre (``bench.logistics_data``, ~620,000 events).

- Catch-up: logistics' ``FeedConsumer`` (the one its lifespan runs, pages of 500) starts
  from an empty projection and cursor and applies every page, each page with its cursor in
  one transaction, until the feed is exhausted. The limit: reading the same pages from the
  same feed with the same client and discarding them. Goal (issue 8): ≥ 0.5× reading.
- Reference copy: ``ReferenceFollower.sync_divisions`` loads stations' snapshot of the
  665,000 codes (CSV streamed from COPY) into an empty copy, and again into a full one
  (nothing differs: nothing is written). The limit: streaming the snapshot alone.

Rounds take turns; medians. The projection and the copy are left as they were found.
"""

import secrets
import statistics
import time
from contextlib import ExitStack

import asyncpg
import httpx

from bench.core import Figure, Options, uvicorn_process
from bench.national import bench_url, prepare_async
from common.feedconsumer import FeedConsumer
from common.reference_sync import DIVISIONS_PATH
from common.settings import plain_database_url
from services.logistics.settings import LogisticsSettings
from services.logistics.stations_feed import REFERENCE, stations_consumer

ROUNDS = 3
GOAL = 0.5


async def _read_feed(consumer: FeedConsumer, client: httpx.AsyncClient) -> tuple[int, float]:
    started = time.perf_counter()
    cursor, events = None, 0
    while True:
        page = await consumer.fetch(client, cursor)
        events += len(page.items)
        cursor = page.cursor
        if len(page.items) < consumer.page_size:
            return events, time.perf_counter() - started


async def _catch_up(
    consumer: FeedConsumer, conn: asyncpg.Connection, client: httpx.AsyncClient
) -> tuple[int, float]:
    await conn.execute("TRUNCATE logistics.station_point, logistics.feed_cursor")
    started = time.perf_counter()
    events = 0
    while True:
        result = await consumer.step(conn, client)
        events += result.applied
        if not result.full:
            return events, time.perf_counter() - started


async def _read_snapshot(client: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    async with client.stream("GET", DIVISIONS_PATH) as response:
        response.raise_for_status()
        async for _ in response.aiter_bytes():
            pass
    return time.perf_counter() - started


async def _load(conn: asyncpg.Connection, client: httpx.AsyncClient, *, empty: bool) -> float:
    if empty:
        await conn.execute("TRUNCATE logistics.reference_division")
    started = time.perf_counter()
    await REFERENCE.sync_divisions(conn, client)
    return time.perf_counter() - started


async def run(options: Options) -> list[Figure]:
    await prepare_async()
    url = bench_url()
    secret = secrets.token_hex(32)
    env = {
        "STATIONS_DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": secret,
        "STATIONS_LOG_JSON": "true",
    }
    conn = await asyncpg.connect(plain_database_url(url))
    read: list[float] = []
    consume: list[float] = []
    snapshot: list[float] = []
    load_empty: list[float] = []
    load_full: list[float] = []
    try:
        with ExitStack() as stack:
            stations = stack.enter_context(uvicorn_process("services.stations.app:create", env=env))
            consumer = stations_consumer(
                LogisticsSettings(database_url=url, stations_url=stations, internal_secret=secret)
            )
            feed = await consumer.connect()
            try:
                async with consumer.client() as client:
                    for i in range(1 if options.quick else ROUNDS):
                        sides = ["read", "consume"] if i % 2 == 0 else ["consume", "read"]
                        for side in sides:
                            if side == "read":
                                events, seconds = await _read_feed(consumer, client)
                                read.append(events / seconds)
                            else:
                                applied, seconds = await _catch_up(consumer, feed, client)
                                consume.append(applied / seconds)
                        snapshot.append(await _read_snapshot(client))
                        load_empty.append(await _load(feed, client, empty=True))
                        load_full.append(await _load(feed, client, empty=False))
                    points = await conn.fetchval("SELECT count(*) FROM logistics.station_point")
                    stored = await conn.fetchval("SELECT count(*) FROM stations.station")
                    if points != stored:
                        raise RuntimeError(f"projection has {points} points, stations {stored}")
            finally:
                await feed.close()
    finally:
        await conn.close()
    limit_read, consumed = statistics.median(read), statistics.median(consume)
    stream, empty, full = (statistics.median(x) for x in (snapshot, load_empty, load_full))
    return [
        Figure(
            f"station projection caught up from zero, {applied:,} events, pages of {consumer.page_size}",
            consumed, limit_read, "reading the same feed pages alone", "events/s",
            higher_is_better=True,
            note=f"goal ≥ {GOAL}× reading; catch-up {applied / consumed:.1f} s, reading "
            f"{applied / limit_read:.1f} s",
        ),
        Figure(
            "division reference copy loaded into an empty copy, 665k codes",
            empty * 1000, stream * 1000, "streaming the snapshot alone", "ms",
            higher_is_better=False,
        ),
        Figure(
            "division reference copy reloaded, nothing changed",
            full * 1000, stream * 1000, "streaming the snapshot alone", "ms",
            higher_is_better=False,
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["logistics_projection"]))
