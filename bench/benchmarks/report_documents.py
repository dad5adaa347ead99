"""Report documents: a county's and a province's month through the gateway vs the same SQL by raw asyncpg, and every county's month.

On the national benchmark database (``bench.national`` with its logistics steps, and
``bench.training_data``): the four services and the gateway each under uvicorn in a process
of their own (JSON logs, as in production). ``POST /reports/v1/documents/{division}/2026-10``
as an admin: the gateway asks the services for every figure (stations network, sales and
reporting rate; logistics coverage and volumes; training; programme progress; the targets
and the vocabulary figures the dashboards read), canonicalises the content, hashes it, and
under its lock compares it with the latest revision. The first request of each division
makes revision 1; the timed ones find the figures unchanged (200) — the whole generation
but for one INSERT.

The limit is raw asyncpg in this process running **the statements the apps sent for that
request**, in the order they sent them: captured once, untimed, with the same apps served in
this process (SQLAlchemy's ``before_cursor_execute`` on every engine, and everything sent
straight on an asyncpg connection: the hot reads' ``RawStatement``, the division lookups,
the queue's statement, every ``BEGIN``, ``COMMIT`` and ``SET``), then replayed with their
parameters on one connection per app — so training's statement runs as training runs it,
without JIT and planned for its parameters (ADR 0035, 0097), and the gateway stores the
revision in its transaction (ADR 0101) — with no HTTP, token, session, ORM, JSON or
hashing, and one statement after another where the gateway asks the services at once.
The documents are POSTed by the benchmarks' plain HTTP/1.1 client (``bench.core.measure``;
httpx costs about a millisecond a request of its own). The sides take turns over three
rounds, the median round's p50.

Every county: ``POST`` for each current county-level unit, four at once, timed from the first
to the last answer; the documents are made (revision 1) on the first run of a fresh
database and confirmed unchanged on later ones (both counted).

Goals (issue 13): ratio ≤ 1.3; the province under 2 s; every county under 10 minutes.
"""

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest.mock import patch

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.core import (
    Figure,
    Load,
    Measurement,
    Options,
    Served,
    measure,
    measure_calls,
    median_of,
    served,
)
from bench.national import LAST_REPORT_MONTH, bench_url, prepare_async
from bench.training_data import APP_KEYS, prepare_training
from common.auth import Principal, Role
from common.settings import async_database_url, plain_database_url
from gateway.auth import mint_user_token
from gateway.openapi import service_factory
from gateway.settings import GatewaySettings

PERIOD = f"{LAST_REPORT_MONTH:%Y-%m}"
COUNTY = "370982"  # 新泰市: the county with the most stations
PROVINCE = "14"  # 山西: the province with parcel volumes
SERVICES = ("stations", "logistics", "training", "programme")
ROUNDS = 3
ALL_AT_ONCE = 4

# SQL, its parameters (None: sent as a simple query) and the app that sent it.
Statement = tuple[str, tuple[Any, ...] | None, str]


def _component(driver: asyncpg.Connection) -> str:
    """``ruralnet-training`` (``common.changefeed.application_name``) → ``training``."""
    name = driver.get_settings().application_name or ""
    return name.removeprefix("ruralnet-").split(":")[0]


@contextmanager
def _recording() -> Iterator[list[Statement]]:
    """Every statement the apps of this process send, with its parameters and the app that
    sent it: through any engine (SQLAlchemy prepares them, so only its event sees them),
    and straight on an asyncpg connection — the hot reads' ``RawStatement``, the queue's
    statements, and every ``BEGIN``, ``COMMIT`` and ``SET`` as a simple query."""
    seen: list[Statement] = []

    def record(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        component = _component(conn.connection.driver_connection)
        seen.append((statement, tuple(parameters or ()), component))

    execute, extended = asyncpg.Connection.execute, asyncpg.Connection._execute

    async def recorded_execute(self: asyncpg.Connection, query: str, *args: Any, **kw: Any) -> Any:
        if not args:  # with arguments it goes on to ``_execute``, recorded there
            seen.append((query, None, _component(self)))
        return await execute(self, query, *args, **kw)

    async def recorded_extended(
        self: asyncpg.Connection, query: str, args: Any, *rest: Any, **kw: Any
    ) -> Any:
        seen.append((query, tuple(args), _component(self)))
        return await extended(self, query, args, *rest, **kw)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        with (
            patch.object(asyncpg.Connection, "execute", recorded_execute),
            patch.object(asyncpg.Connection, "_execute", recorded_extended),
        ):
            yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _in_process(url: str, secret: str, stack: ExitStack) -> str:
    """The apps served in this process (threads): what the statements are captured from."""
    from tests.support import serve

    urls = {}
    for name in SERVICES:
        create, settings_class = service_factory(name)
        extra: dict[str, Any] = {} if name == "stations" else {"follow_stations": False}
        if name == "training":
            extra["field_keys"] = json.loads(APP_KEYS["TRAINING_FIELD_KEYS"])  # the bench key id
        settings = settings_class(database_url=url, internal_secret=secret, **extra)  # type: ignore[call-arg]
        urls[name] = stack.enter_context(serve(create(settings)))
    from gateway.app import create as create_gateway

    gateway = GatewaySettings(
        database_url=url,
        internal_secret=secret,  # type: ignore[arg-type]
        registry_part_timeout=60,
        **{f"{name}_url": u for name, u in urls.items()},  # type: ignore[arg-type]
    )
    return stack.enter_context(serve(create_gateway(gateway)))


async def _capture(url: str, secret: str, headers: dict[str, str]) -> dict[str, list[Statement]]:
    captured: dict[str, list[Statement]] = {}
    with ExitStack() as stack:
        gateway = _in_process(url, secret, stack)
        async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=120) as client:
            for division in (COUNTY, PROVINCE):
                path = f"/reports/v1/documents/{division}/{PERIOD}"
                first = await client.post(path)  # makes or confirms revision 1
                if first.status_code not in (200, 201):
                    raise RuntimeError(f"{path}: {first.status_code} {first.text[:300]}")
                with _recording() as seen:
                    again = await client.post(path)
                if again.status_code != 200:
                    raise RuntimeError(f"{path} again: {again.status_code} {again.text[:300]}")
                captured[division] = list(seen)
    return captured


async def _programme_reference(url: str) -> None:
    """Programme's division reference copy, loaded once by its own snapshot path (ADR 0020):
    the national build fills logistics' and training's but not programme's."""
    from services.programme.stations_feed import REFERENCE
    from tests.support import load_reference_copies

    conn = await asyncpg.connect(plain_database_url(url))
    try:
        loaded = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM programme.reference_division)")
    finally:
        await conn.close()
    if not loaded:
        await load_reference_copies(url, [REFERENCE])


def _env(url: str, secret: str) -> dict[str, str]:
    env = {"RURALNET_INTERNAL_SECRET": secret, "GATEWAY_DATABASE_URL": url, **APP_KEYS}
    for name in (*SERVICES, "gateway"):
        env[f"{name.upper()}_LOG_JSON"] = "true"
        env[f"{name.upper()}_DATABASE_URL"] = url
    for name in ("logistics", "training", "programme"):
        env[f"{name.upper()}_FOLLOW_STATIONS"] = "false"
    return env


@contextmanager
def serve(url: str, secret: str) -> Iterator[dict[str, Served]]:
    """The four services and the gateway in front of them, each under uvicorn in a process
    of its own (also what ``bench.profile report`` samples)."""
    env = _env(url, secret)
    with ExitStack() as stack:
        apps = {
            name: stack.enter_context(served(f"services.{name}.app:create", env=env))
            for name in SERVICES
        }
        apps["gateway"] = stack.enter_context(
            served(
                "gateway.app:create",
                env={
                    **env,
                    "GATEWAY_REGISTRY_PART_TIMEOUT": "60",
                    **{f"GATEWAY_{n.upper()}_URL": a.url for n, a in apps.items()},
                },
            )
        )
        yield apps


async def _every_county(client: httpx.AsyncClient, counties: list[str]) -> tuple[float, dict]:
    outcome = {"created": 0, "unchanged": 0, "failed": 0}
    limit = asyncio.Semaphore(ALL_AT_ONCE)

    async def one(code: str) -> None:
        async with limit:
            r = await client.post(f"/reports/v1/documents/{code}/{PERIOD}")
        key = {201: "created", 200: "unchanged"}.get(r.status_code, "failed")
        outcome[key] += 1

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in counties))
    return time.perf_counter() - started, outcome


async def prepare(url: str) -> tuple[str, dict[str, str]]:
    """The national database ready for documents; the apps' internal secret and an admin's
    headers."""
    await prepare_async(url)
    await prepare_training(url)
    await _programme_reference(url)
    jwt_secret = GatewaySettings().jwt_secret.get_secret_value()  # the development one
    token = mint_user_token(
        Principal(subject="admin:bench", role=Role.ADMIN), secret=jwt_secret, ttl_seconds=7200
    )
    return secrets.token_urlsafe(32), {"Authorization": f"Bearer {token}"}


async def run(options: Options) -> list[Figure]:
    url = async_database_url(bench_url())
    secret, headers = await prepare(url)
    captured = await _capture(url, secret, headers)
    conn = await asyncpg.connect(plain_database_url(url))
    # The replay's connections: one per app, so each app's transactions are its own.
    replay = {
        component: await asyncpg.connect(plain_database_url(url))
        for component in sorted({c for statements in captured.values() for *_, c in statements})
    }
    counties = [
        r["code"][:6]
        for r in await conn.fetch(
            "SELECT code FROM stations.division WHERE level = 'county' AND until_edition IS NULL"
            " ORDER BY code"
        )
    ]
    if options.quick:
        counties = counties[:: max(1, len(counties) // 100)]
    cases = [("county", COUNTY, options.scaled(60)), ("province", PROVINCE, options.scaled(10))]
    api: dict[str, list[Measurement]] = {name: [] for name, _, _ in cases}
    raw: dict[str, list[Measurement]] = {name: [] for name, _, _ in cases}
    try:
        with serve(url, secret) as apps:
            gateway = apps["gateway"].url
            async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=300) as client:
                for name, division, n in cases:
                    path = f"/reports/v1/documents/{division}/{PERIOD}"
                    statements = captured[division]

                    async def through_api(load: Load, path: str = path) -> Measurement:
                        # The plain client of ``measure``: httpx would add ~1 ms of its own
                        # to each document, which the raw side does not pay.
                        m = await measure(gateway + path, load, headers=headers, method="POST")
                        if m.errors:
                            r = await client.post(path)
                            raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
                        return m

                    async def by_raw_sql(_: int, statements: list[Statement] = statements) -> None:
                        for sql, args, component in statements:
                            if args is None:
                                await replay[component].execute(sql)
                            else:
                                await replay[component].fetch(sql, *args)

                    load = Load(requests=n, concurrency=1, seconds=30, warmup=2)
                    for turn in range(ROUNDS):
                        sides = [
                            (api, through_api),
                            (raw, lambda load, call=by_raw_sql: measure_calls(call, load)),
                        ]
                        for results, side in sides if turn % 2 == 0 else sides[::-1]:
                            results[name].append(await side(load))
                elapsed, outcome = await _every_county(client, counties)
    finally:
        await conn.close()
        for each in replay.values():
            await each.close()

    figures = []
    for name, division, _ in cases:
        value, limit = median_of(api[name], "p50"), median_of(raw[name], "p50")
        figures.append(
            Figure(
                name=f"{name} {division} month report, p50",
                value=value,
                limit=limit,
                limit_name=f"raw asyncpg, the same {len(captured[division])} statements",
                unit="ms",
                higher_is_better=False,
                note="goal ≤ 1.3" + ("; under 2 s" if name == "province" else ""),
            )
        )
    done = outcome["created"] + outcome["unchanged"]
    figures.append(
        Figure(
            name=f"every county's month report ({len(counties)} counties), total",
            value=elapsed,
            limit=600.0,
            limit_name="the goal: 10 minutes",
            unit="s",
            higher_is_better=False,
            note=f"{outcome['created']} made, {outcome['unchanged']} unchanged, "
            f"{outcome['failed']} failed; {done / elapsed:.1f} documents/s, {ALL_AT_ONCE} at once",
        )
    )
    return figures
