"""Writes racing each other and a database going away under them: one lock order (no
deadlock between a county's upload and the closing of a township station), a deadlock that
still happens retried as a whole, a restart answered 503 with Retry-After — never a 500.

Interleavings are forced, not hoped for: a connection of the test holds a lock, and the
test waits until the app's requests are seen waiting in ``pg_stat_activity``.
"""

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from common.auth import Role
from common.dberrors import sqlstate
from tests.stations.factories import figures, insert_station
from tests.stations.factories import month_text as _text
from tests.stations.factories import months_from_now as _month
from tests.support import internal_headers

COUNTY = "141124000000"  # 临县
TOWNSHIP = "141124100000"  # 临泉镇
VILLAGE = "141124100201"  # 前麻峪村委会, in 临泉镇
OTHER_VILLAGE = "141124102200"  # 城庄村委会, in 城庄镇
ADMIN = internal_headers(Role.ADMIN, subject="admin:1")
OFFICIAL = internal_headers(Role.OFFICIAL, subject="official:141124", division="141124")
LAST = _text(_month(-1))


async def _app_waiting(db: asyncpg.Pool, count: int) -> list[int]:
    """The pids of the app's backends waiting for a lock, once there are ``count``."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        pids = [
            row["pid"]
            for row in await db.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name LIKE 'ruralnet-stations%' AND wait_event_type = 'Lock'"
            )
        ]
        if len(pids) >= count:
            return pids
        assert asyncio.get_running_loop().time() < deadline, "the requests never got to wait"
        await asyncio.sleep(0.02)  # polling for a state, not timing it


async def _lock_rows(conn: asyncpg.Connection, *ids: int) -> None:
    await conn.execute("BEGIN")
    await conn.fetch("SELECT id FROM stations.station WHERE id = ANY($1) FOR UPDATE", list(ids))


def _started(call: Awaitable[httpx.Response]) -> "asyncio.Task[httpx.Response]":
    return asyncio.ensure_future(call)


async def test_county_upload_and_township_closing_do_not_deadlock(
    stations: httpx.AsyncClient, db: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await insert_station(db, COUNTY)
    village = await insert_station(db, VILLAGE)  # lowest id: locked first by the upload
    other = await insert_station(db, OTHER_VILLAGE)
    township = await insert_station(db, TOWNSHIP)  # highest id
    await db.execute(
        "UPDATE stations.station SET parent_id = $1 WHERE id = $2", township.id, village.id
    )
    rows = [
        {"station_code": code, "month": LAST} | figures()
        for code in (village.code, other.code, township.code)
    ]
    async with db.acquire() as blocker:
        # The upload locks the village point, then waits for the other one (held here).
        await _lock_rows(blocker, other.id)
        upload = _started(stations.post("/v1/reports/bulk", json=rows, headers=OFFICIAL))
        await _app_waiting(db, 1)
        # Closing the township station re-parents the village point below it. Without one
        # lock order it takes the township's row, then waits for the village point's.
        closing = _started(
            stations.post(
                f"/v1/stations/{township.code}/transitions",
                json={"to": "closed", "reason": "乡镇撤并"},
                headers=ADMIN,
            )
        )
        await _app_waiting(db, 2)
        await blocker.execute("ROLLBACK")
        uploaded, closed = await asyncio.gather(upload, closing)
    assert uploaded.status_code == 200, uploaded.text
    assert closed.status_code == 201, closed.text
    assert uploaded.json()["counts"]["created"] == 3  # the upload went first, whole
    assert await db.fetchval(
        "SELECT parent_id IS DISTINCT FROM $1 FROM stations.station WHERE id = $2",
        township.id,
        village.id,
    )
    # Not a deadlock retried away: none happened.
    assert not [r for r in caplog.records if "lost a race" in r.getMessage()]


async def test_a_deadlock_is_retried_as_a_whole(
    stations: httpx.AsyncClient, db: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    station = await insert_station(db, VILLAGE)
    async with db.acquire() as rival:
        await _lock_rows(rival, station.id)
        # The app is the one PostgreSQL picks to fail: it looks for deadlocks after 1 s.
        await rival.execute("SET LOCAL deadlock_timeout = '60s'")
        patch = _started(
            stations.patch(
                f"/v1/stations/{station.code}",
                json={"name": "前麻峪村电商服务点"},
                headers=ADMIN | {"If-Match": '"1"'},
            )
        )
        await _app_waiting(db, 1)  # holding the county's lock, waiting for the row
        await rival.fetchval(
            "SELECT pg_advisory_xact_lock(hashtextextended('stations:county:141124', 0))"
        )
        await rival.execute("ROLLBACK")
        patched = await patch
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "前麻峪村电商服务点"
    assert patched.json()["version"] == 2  # once, not twice
    assert [r for r in caplog.records if "retrying the request" in r.getMessage()]


async def test_a_database_shutting_down_is_503_with_retry_after(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    station = await insert_station(db, VILLAGE)
    async with db.acquire() as blocker:
        await _lock_rows(blocker, station.id)
        put = _started(
            stations.put(
                f"/v1/stations/{station.code}/reports/{LAST}", json=figures(), headers=ADMIN
            )
        )
        [pid] = await _app_waiting(db, 1)
        # What a fast shutdown or restart does to every backend: FATAL 57P01.
        assert await db.fetchval("SELECT pg_terminate_backend($1)", pid)
        answer = await put
        await blocker.execute("ROLLBACK")
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "database_unavailable"
    assert answer.headers["retry-after"]
    # The pool recovers: the next request works.
    again = await stations.put(
        f"/v1/stations/{station.code}/reports/{LAST}", json=figures(), headers=ADMIN
    )
    assert again.status_code == 201, again.text


class _DriverError(Exception):
    def __init__(self, state: str) -> None:
        super().__init__(f"sqlstate {state}")
        self.sqlstate = state


def _error(state: str) -> Any:
    return sa_exc.DBAPIError("SELECT 1", {}, _DriverError(state))


def test_sqlstates_are_read_from_the_driver_error() -> None:
    assert sqlstate(_error("57P01")) == "57P01"
    assert sqlstate(ValueError("no state")) is None


@pytest.mark.parametrize(
    ("state", "status", "code"),
    [
        ("57P01", 503, "database_unavailable"),  # admin shutdown: "shutting down"
        ("57P02", 503, "database_unavailable"),  # crash shutdown
        ("57P03", 503, "database_unavailable"),  # cannot connect now: "starting up"
        ("53300", 503, "database_unavailable"),  # too many connections
        ("08006", 503, "database_unavailable"),  # connection failure
        ("57014", 503, "database_unavailable"),  # statement timeout
        ("40P01", 503, "transaction_conflict"),  # deadlock, every attempt lost
        ("40001", 503, "transaction_conflict"),  # serialization failure
        ("22021", 422, "invalid_value"),  # e.g. NUL in text
        ("22003", 422, "invalid_value"),  # numeric out of range
        ("23505", 409, "conflict"),
    ],
)
async def test_what_each_database_error_answers(state: str, status: int, code: str) -> None:
    from fastapi import Request

    from common.dberrors import handle_database

    request = Request({"type": "http", "method": "POST", "path": "/v1/x", "headers": []})
    response = await handle_database(request, _error(state))
    assert response.status_code == status
    assert code.encode() in response.body
    if status == 503:
        assert response.headers["retry-after"]


async def test_a_read_on_a_connection_the_database_closed_is_503_then_recovers(
    stations: httpx.AsyncClient, stations_app: FastAPI, db: asyncpg.Pool
) -> None:
    # A station GET reads on the pooled asyncpg connection itself (common.db.read_connection).
    station = await insert_station(db, VILLAGE)
    assert (await stations.get(f"/v1/stations/{station.code}", headers=ADMIN)).status_code == 200
    # What a restart does to the pool's idle connections.
    assert await db.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name LIKE 'ruralnet-stations%'"
    )
    # Each failed read discards the dead connection it got: within as many reads as the pool
    # holds connections, one must get a new connection and work.
    answers = []
    try:
        for _ in range(stations_app.state.engine.pool.size() + 1):
            answers.append(await stations.get(f"/v1/stations/{station.code}", headers=ADMIN))
            if answers[-1].status_code == 200:
                break
    finally:
        # Whatever is left of the old connections: the tests after this one get a new pool.
        await stations_app.state.engine.dispose()
    *failed, last = answers
    assert last.status_code == 200, last.text
    assert all(a.status_code == 503 for a in failed), [a.text for a in failed]
    assert all(a.json()["code"] == "database_unavailable" for a in failed)
    assert all(a.headers["retry-after"] for a in failed)
