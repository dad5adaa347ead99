"""GET a station by code: the API vs a bare Starlette + asyncpg endpoint running the same SELECT.

On the national benchmark database (``bench.national``: 178k stations), two uvicorn
processes on loopback: the stations service (``GET /v1/stations/{code}`` with an admin's
internal token; JSON logs, as in production) and ``bench.apps:bare_station``, which runs the
very SELECT the registry runs for that request (``registry.repository.READ_BY_CODE``) on an
asyncpg pool and builds the same JSON by hand (checked equal, ETag included, on a sample
before timing). Both get the same sequence of station codes, drawn at random (fixed seed)
from the database. Throughput on 16 keep-alive connections (the goal, issue 7: at least 0.5
of the bare endpoint's), latency on one; the two take turns over three rounds and each
figure is the median round's.

Both keep 16 database connections (``STATIONS_DB_POOL_SIZE=16``; the bare pool holds up to
16). A third process, the API at its default pool size (10, no overflow: requests beyond
it wait for a connection), shows what the default costs.
"""

import random
import secrets
from contextlib import ExitStack

import asyncpg
import httpx

from bench.apps import BARE_DATABASE_URL
from bench.core import Figure, Load, Measurement, Options, measure, median_of, uvicorn_process
from bench.national import bench_url, prepare_async
from common.auth import Principal, Role, mint_internal_token
from common.settings import plain_database_url

ROUNDS = 3
THROUGHPUT_CONNECTIONS = 16
POOL_SIZE = THROUGHPUT_CONNECTIONS
CODES = 20_000  # distinct requests in the sequence (both sides get the same one)
SEED = 20231
CHECKED = 50  # codes whose answers are compared before timing
GOAL_THROUGHPUT = 0.5  # issue 7


async def _codes(url: str) -> list[str]:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        every = [r["code"] for r in await conn.fetch("SELECT code FROM stations.station")]
    finally:
        await conn.close()
    every.sort()  # the draw depends on the seed only, not on the order rows come in
    return random.Random(SEED).choices(every, k=CODES)


def _check(api: str, bare: str, headers: dict[str, str], codes: list[str]) -> None:
    """The bare endpoint answers what the API does (same JSON, same ETag)."""
    with httpx.Client(timeout=30) as client:
        for code in codes:
            ours = client.get(f"{api}/v1/stations/{code}", headers=headers)
            theirs = client.get(f"{bare}/v1/stations/{code}")
            if ours.status_code != 200 or theirs.status_code != 200:
                raise RuntimeError(
                    f"{code}: the API answered {ours.status_code}, the bare app {theirs.status_code}"
                )
            if ours.json() != theirs.json() or ours.headers["etag"] != theirs.headers["etag"]:
                raise RuntimeError(
                    f"{code}: the bare app's answer differs from the API's:\n"
                    f"  API  {ours.text}\n  bare {theirs.text}"
                )


async def run(options: Options) -> list[Figure]:
    await prepare_async()
    url = bench_url()
    codes = await _codes(url)
    secret = secrets.token_hex(32)
    token = mint_internal_token(
        Principal(subject="bench", role=Role.ADMIN), secret=secret, ttl_seconds=3600
    )
    headers = {"Authorization": f"Bearer {token}"}
    latency = Load(requests=options.scaled(3000), concurrency=1, seconds=10)
    throughput = Load(requests=options.scaled(8000), concurrency=THROUGHPUT_CONNECTIONS, seconds=15)
    env = {
        "STATIONS_DATABASE_URL": url,
        BARE_DATABASE_URL: url,
        "BENCH_BARE_POOL_SIZE": str(POOL_SIZE),
        "RURALNET_INTERNAL_SECRET": secret,
        "STATIONS_LOG_JSON": "true",
    }
    app = "services.stations.app:create"
    with ExitStack() as stack:
        api = stack.enter_context(
            uvicorn_process(app, env={**env, "STATIONS_DB_POOL_SIZE": str(POOL_SIZE)})
        )
        default_pool = stack.enter_context(uvicorn_process(app, env=env))
        bare = stack.enter_context(uvicorn_process("bench.apps:bare_station", env=env))
        _check(api, bare, headers, codes[:CHECKED])
        targets = {
            "api": ([f"{api}/v1/stations/{code}" for code in codes], headers),
            "bare": ([f"{bare}/v1/stations/{code}" for code in codes], {}),
            "default_pool": ([f"{default_pool}/v1/stations/{code}" for code in codes], headers),
        }
        one: dict[str, list[Measurement]] = {key: [] for key in ("api", "bare")}
        many: dict[str, list[Measurement]] = {key: [] for key in targets}
        for i in range(1 if options.quick else ROUNDS):
            order = list(targets) if i % 2 == 0 else list(reversed(targets))
            for key in order:
                urls, sent = targets[key]
                many[key].append(await measure(urls, throughput, headers=sent))
            for key in (k for k in order if k in one):
                urls, sent = targets[key]
                one[key].append(await measure(urls, latency, headers=sent))
    for key, rounds in (*one.items(), *many.items()):
        failed = sum(m.errors for m in rounds)
        if failed:
            raise RuntimeError(f"{key}: {failed} requests answered with an error")

    def rps(key: str) -> float:
        return median_of(many[key], "per_second")

    def p(key: str, statistic: str) -> float:
        return median_of(one[key], statistic)

    rounds = ", ".join(
        f"{a.per_second:,.0f}/{b.per_second:,.0f}"
        for a, b in zip(many["api"], many["bare"], strict=True)
    )
    return [
        Figure(
            f"GET /v1/stations/{{code}}, requests/s ({THROUGHPUT_CONNECTIONS} connections)",
            rps("api"), rps("bare"), "bare Starlette + asyncpg", "req/s", higher_is_better=True,
            note=f"rounds (API/bare) {rounds}; goal ≥ {GOAL_THROUGHPUT}",
        ),
        Figure(
            f"the same at the default pool size ({THROUGHPUT_CONNECTIONS} connections)",
            rps("default_pool"), rps("bare"), "bare Starlette + asyncpg", "req/s",
            higher_is_better=True,
            note=f"pool 10, no overflow; with pool {POOL_SIZE}: {rps('api'):,.0f} req/s",
        ),
        Figure(
            "GET /v1/stations/{code}, p50 (1 connection)",
            p("api", "p50"), p("bare", "p50"), "bare Starlette + asyncpg", "ms",
            higher_is_better=False, note=f"+{p('api', 'p50') - p('bare', 'p50'):.2f} ms",
        ),
        Figure(
            "GET /v1/stations/{code}, p99 (1 connection)",
            p("api", "p99"), p("bare", "p99"), "bare Starlette + asyncpg", "ms",
            higher_is_better=False, note=f"+{p('api', 'p99') - p('bare', 'p99'):.2f} ms",
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["station_get"]))
