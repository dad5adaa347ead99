"""Network indicators of a county, a province and the nation: the API vs the same SQL run by raw asyncpg.

On the national benchmark database (``bench.national``), the stations service runs under
uvicorn in a process of its own (JSON logs, as in production) and answers
``GET /v1/indicators/network?division=…&month=…`` for a county (370982 新泰市, the county
with the most stations), a province (14 山西) and the nation, plus the county's sales
(``/v1/indicators/sales``, the last 12 finished months) and its first page of villages
without a point (``/v1/indicators/gaps/villages``). The limit of each is raw asyncpg, on one
connection in this process, running the very statements the API runs (the repository's
module constants through ``compile_for_asyncpg``; the division lookup ``DIVISION`` before
sales and gaps, as the API makes it; the network statement reads its division itself) and
nothing else: no HTTP, no token, no session, no JSON. Both sides are timed one request at a time on
one connection (latency, no queueing); they take turns over three rounds, the side going
first alternating, and each figure is the median round's p50 or p95.

Goals (issue 3): ratio ≤ 1.3; a county under 50 ms and the nation under 3 s through the API.
"""

import secrets
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from bench.core import (
    Figure,
    Load,
    Measurement,
    Options,
    measure,
    measure_calls,
    median_of,
    uvicorn_process,
)
from bench.national import bench_url, prepare_async
from common.auth import NATION, Principal, Role, mint_internal_token
from common.db import compile_for_asyncpg
from common.divisionscope import Scope
from common.months import add_months, current_month
from common.pagination import DEFAULT_PAGE_SIZE
from common.settings import plain_database_url
from services.stations.indicators import repository

ROUNDS = 3
COUNTY = "370982"  # 新泰市, Shandong: 470 stations, the most of any county
PROVINCE = "14"  # 山西
GOAL_RATIO = 1.3
GOAL_COUNTY_MS = 50.0
GOAL_NATION_MS = 3000.0

Raw = Callable[[asyncpg.Connection], Awaitable[object]]


@dataclass(frozen=True)
class Case:
    name: str
    path: str  # path and query of the API request
    raw: Raw  # the same statements on a raw asyncpg connection
    load: Load
    goal_ms: float | None = None


def _raw(
    prefix: str | None, statement: Any, params: dict[str, Any], *, one: bool, lookup: bool
) -> Raw:
    """What the API runs for a request: the division lookup first when it makes one
    (``repository.DIVISION``; the network statement looks the division up itself), then
    the statement, as ``compile_for_asyncpg`` gives them."""
    scope = Scope(prefix)
    sql, args = compile_for_asyncpg(statement[scope.nation], scope.params() | params)
    find, code = compile_for_asyncpg(repository.DIVISION, {"code": scope.code})
    lookup = lookup and not scope.nation

    async def run(conn: asyncpg.Connection) -> object:
        if lookup and await conn.fetchrow(find, *code) is None:
            raise RuntimeError(f"no division {scope.code} in the benchmark database")
        return await (conn.fetchrow(sql, *args) if one else conn.fetch(sql, *args))

    return run


def _cases(options: Options) -> list[Case]:
    month = add_months(current_month(), -1)  # the last finished month, as the API's default
    network = {"month": month, "next_month": add_months(month, 1)}
    first = add_months(month, -11)
    m = f"{month:%Y-%m}"

    def load(requests: int, seconds: float, warmup: int) -> Load:
        return Load(
            requests=options.scaled(requests),
            concurrency=1,
            seconds=seconds,
            warmup=max(1, warmup // 10) if options.quick else warmup,
        )

    return [
        Case(
            f"county {COUNTY} network indicators, p50",
            f"/v1/indicators/network?division={COUNTY}&month={m}",
            _raw(COUNTY, repository.NETWORK, network, one=True, lookup=False),
            load(400, 10, 40),
            GOAL_COUNTY_MS,
        ),
        Case(
            f"province {PROVINCE} network indicators, p50",
            f"/v1/indicators/network?division={PROVINCE}&month={m}",
            _raw(PROVINCE, repository.NETWORK, network, one=True, lookup=False),
            load(100, 10, 10),
        ),
        Case(
            "nation network indicators, p50",
            f"/v1/indicators/network?month={m}",
            _raw(None, repository.NETWORK, network, one=True, lookup=False),
            load(8, 15, 1),
            GOAL_NATION_MS,
        ),
        Case(
            f"county {COUNTY} sales, 12 months, p50",
            f"/v1/indicators/sales?division={COUNTY}&from={first:%Y-%m}&to={m}",
            _raw(COUNTY, repository.SALES, {"first": first, "last": month}, one=False, lookup=True),
            load(400, 10, 40),
        ),
        Case(
            f"county {COUNTY} villages without a point, first page, p50",
            f"/v1/indicators/gaps/villages?division={COUNTY}",
            _raw(
                COUNTY,
                repository.GAPS["villages"],
                {"after": "", "limit": DEFAULT_PAGE_SIZE + 1},
                one=False,
                lookup=True,
            ),
            load(400, 10, 40),
        ),
    ]


def _check(base: str, headers: dict[str, str], cases: list[Case], raw: list[object]) -> None:
    """The API answers 200 with what the raw statements count (network cases)."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for case, row in zip(cases, raw, strict=True):
            answer = client.get(case.path)
            if answer.status_code != 200:
                raise RuntimeError(f"{case.path} answered {answer.status_code}: {answer.text}")
            if "/network" in case.path:
                body = answer.json()
                got = (
                    body["township_coverage"]["total"],
                    body["village_coverage"]["covered"],
                    body["reporting"]["reported"],
                )
                want = (row["townships"], row["villages_covered"], row["reported"])  # type: ignore[index]
                if got != want:
                    raise RuntimeError(f"{case.path}: the API says {got}, raw SQL {want}")


async def run(options: Options) -> list[Figure]:
    await prepare_async()
    url = bench_url()
    cases = _cases(options)
    secret = secrets.token_hex(32)
    token = mint_internal_token(
        Principal(subject="bench", role=Role.PLATFORM, division=NATION),
        secret=secret,
        ttl_seconds=3600,
    )
    headers = {"Authorization": f"Bearer {token}"}
    env = {
        "STATIONS_DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": secret,
        "STATIONS_LOG_JSON": "true",
    }
    api: dict[str, list[Measurement]] = {case.name: [] for case in cases}
    raw: dict[str, list[Measurement]] = {case.name: [] for case in cases}
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        with ExitStack() as stack:
            base = stack.enter_context(uvicorn_process("services.stations.app:create", env=env))
            _check(base, headers, cases, [await case.raw(conn) for case in cases])
            for i in range(1 if options.quick else ROUNDS):
                for case in cases:

                    async def limit(_: int, case: Case = case) -> None:
                        await case.raw(conn)

                    sides = [
                        (
                            api,
                            lambda case=case: measure(base + case.path, case.load, headers=headers),
                        ),
                        (raw, lambda case=case, limit=limit: measure_calls(limit, case.load)),
                    ]
                    for results, timed in sides if i % 2 == 0 else reversed(sides):
                        results[case.name].append(await timed())
    finally:
        await conn.close()
    for case in cases:
        failed = sum(m.errors for m in api[case.name])
        if failed:
            raise RuntimeError(f"{case.path} answered {failed} requests with an error")

    figures: list[Figure] = []
    for case in cases:
        for statistic in ("p50", "p95"):
            value = median_of(api[case.name], statistic)
            limit_value = median_of(raw[case.name], statistic)
            goals = [f"goal ≤ {GOAL_RATIO}"]
            if case.goal_ms is not None and statistic == "p50":
                goals.append(f"under {case.goal_ms:,.0f} ms")
            count = sum(m.completed for m in api[case.name])
            figures.append(
                Figure(
                    case.name.replace("p50", statistic),
                    value, limit_value, "raw asyncpg, same SQL", "ms",
                    higher_is_better=False,
                    note=f"+{value - limit_value:.2f} ms; {count} requests; {', '.join(goals)}",
                )
            )  # fmt: skip
    return figures


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["stations_indicators"]))
