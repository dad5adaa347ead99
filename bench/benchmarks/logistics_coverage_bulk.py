"""Coverage upload of 100,000 rows through the gateway vs COPY of the same rows; and re-sent unchanged.

Over the national logistics data (``bench.logistics_data``: ~260,000 coverage periods
already there with their indexes), a carrier of the benchmark's own ("bench_fleet") sends
its coverage of 100,000 village committees as one JSON array (≈15 MB) to
``POST /logistics/v1/coverage/bulk`` through the gateway (both apps in processes of their
own, JSON logs, a carrier user token): every row is judged (carrier, division in the
reference copy, history of that carrier and place, scope) and created, with its feed event.
Then the same body again: every row ``unchanged``. The limit: COPY of the same 100,000 rows
into ``logistics.coverage`` itself (same indexes) by raw asyncpg, committed. Rounds take
turns; medians of rows per second. Everything written is deleted after each step.

Goals (issue 8): upload ≥ 0.25× COPY; re-send ≥ 0.5× COPY.
"""

import json
import secrets
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime

import asyncpg
import httpx

from bench.core import Figure, Options, Served, served
from bench.national import bench_url, prepare_async
from common.auth import Principal, Role
from common.settings import plain_database_url
from gateway.auth import mint_user_token

ROWS = 100_000
ROUNDS = 3
CARRIER = "bench_fleet"
VALID_FROM = "2026-01-01"
GOAL_UPLOAD = 0.25
GOAL_RESEND = 0.5


async def bench_carrier(conn: asyncpg.Connection) -> int:
    await conn.execute(
        "INSERT INTO logistics.carrier (code, name_zh, name_en, kind, active, bundled, version,"
        " updated_by) VALUES ($1, '基准车队', 'Benchmark fleet', 'local', true, false, 1,"
        " 'bench') ON CONFLICT (code) DO NOTHING",
        CARRIER,
    )
    return await conn.fetchval("SELECT id FROM logistics.carrier WHERE code = $1", CARRIER)


async def village_codes(conn: asyncpg.Connection, count: int) -> list[str]:
    rows = await conn.fetch(
        "SELECT code FROM logistics.reference_division WHERE level = 'village'"
        " AND division_class = 'village_committee' AND until_edition IS NULL"
        " ORDER BY md5(code) LIMIT $1",
        count,
    )
    return [r[0] for r in rows]


async def clean(conn: asyncpg.Connection, carrier_id: int) -> None:
    await conn.execute("DELETE FROM logistics.coverage WHERE carrier_id = $1", carrier_id)
    await conn.execute(
        "DELETE FROM logistics.change_event WHERE topic = 'coverage' AND payload->>'carrier' = $1",
        CARRIER,
    )
    await conn.execute("DELETE FROM logistics.idempotency_record WHERE subject LIKE 'bench%'")


async def _copy(conn: asyncpg.Connection, carrier_id: int, villages: list[str]) -> float:
    now = datetime.now(UTC)
    start = date.fromisoformat(VALID_FROM)
    records = [
        (carrier_id, v, "direct", 3, 6, start, "carrier_upload", "bench", now, 1) for v in villages
    ]
    started = time.perf_counter()
    async with conn.transaction():
        await conn.copy_records_to_table(
            "coverage",
            schema_name="logistics",
            records=records,
            columns=[
                "carrier_id", "division_code", "mode", "pickups_per_week",
                "deliveries_per_week", "valid_from", "source", "recorded_by", "recorded_at",
                "version",
            ],
        )  # fmt: skip
    return time.perf_counter() - started


def apps_env(url: str) -> tuple[dict[str, str], str]:
    """The apps' environment and a carrier user's token for the gateway."""
    internal, user_secret = secrets.token_hex(32), secrets.token_hex(32)
    token = mint_user_token(
        Principal(subject="bench:carrier", role=Role.CARRIER, carrier=CARRIER),
        secret=user_secret,
        ttl_seconds=7200,
    )
    env = {
        "DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": internal,
        "GATEWAY_JWT_SECRET": user_secret,
        "LOGISTICS_FOLLOW_STATIONS": "false",
        "LOGISTICS_LOG_JSON": "true",
        "GATEWAY_LOG_JSON": "true",
        "GATEWAY_UPSTREAM_TIMEOUT": "600",
    }
    return env, token


def start_apps(stack: ExitStack, env: dict[str, str]) -> tuple[Served, Served]:
    """The logistics app and the gateway in front of it, each in a process of its own."""
    logistics = stack.enter_context(served("services.logistics.app:create", env=env))
    gateway = stack.enter_context(
        served("gateway.app:create", env={**env, "GATEWAY_LOGISTICS_URL": logistics.url})
    )
    return logistics, gateway


def upload_body(villages: list[str]) -> bytes:
    return json.dumps(
        [
            {
                "carrier": CARRIER,
                "division_code": v,
                "mode": "direct",
                "pickups_per_week": 3,
                "deliveries_per_week": 6,
                "valid_from": VALID_FROM,
            }
            for v in villages
        ]
    ).encode()


async def run(options: Options) -> list[Figure]:
    await prepare_async()
    url = bench_url()
    rows = options.scaled(ROWS)
    env, token = apps_env(url)
    conn = await asyncpg.connect(plain_database_url(url))
    upload: list[float] = []
    resend: list[float] = []
    copy: list[float] = []
    try:
        carrier_id = await bench_carrier(conn)
        villages = await village_codes(conn, rows)
        body = upload_body(villages)
        await clean(conn, carrier_id)
        with ExitStack() as stack:
            _, gateway = start_apps(stack, env)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            async with httpx.AsyncClient(
                base_url=gateway.url, headers=headers, timeout=600
            ) as client:

                async def send(expected: str) -> float:
                    started = time.perf_counter()
                    r = await client.post("/logistics/v1/coverage/bulk", content=body)
                    elapsed = time.perf_counter() - started
                    if r.status_code != 200:
                        raise RuntimeError(f"the upload answered {r.status_code}: {r.text[:500]}")
                    counts = r.json()["counts"]
                    if counts[expected] != rows:
                        raise RuntimeError(f"expected {rows} {expected}, got {counts}")
                    return elapsed

                for i in range(1 if options.quick else ROUNDS):
                    steps = ["copy", "api"] if i % 2 else ["api", "copy"]
                    for step in steps:
                        if step == "api":
                            upload.append(await send("created"))
                            resend.append(await send("unchanged"))
                        else:
                            copy.append(await _copy(conn, carrier_id, villages))
                        await clean(conn, carrier_id)
    finally:
        await clean(conn, carrier_id)
        await conn.close()
    up, again, limit = (statistics.median(x) for x in (upload, resend, copy))
    mb = len(body) / 1e6
    return [
        Figure(
            f"coverage upload through the gateway, {rows:,} rows ({mb:.0f} MB JSON), all created",
            rows / up, rows / limit, "COPY of the same rows into logistics.coverage", "rows/s",
            higher_is_better=True,
            note=f"goal ≥ {GOAL_UPLOAD}× COPY; upload {up:.2f} s, COPY {limit:.2f} s",
        ),
        Figure(
            f"the same upload re-sent, {rows:,} rows all unchanged",
            rows / again, rows / limit, "COPY of the same rows into logistics.coverage", "rows/s",
            higher_is_better=True,
            note=f"goal ≥ {GOAL_RESEND}× COPY; re-send {again:.2f} s, COPY {limit:.2f} s",
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["logistics_coverage_bulk"]))
