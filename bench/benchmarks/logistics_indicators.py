"""Courier indicators of a county, a province and the nation: the API vs the same SQL run by raw asyncpg.

On the national benchmark database (``bench.national`` with ``bench.logistics_data``: real
divisions, 150k village points, coverage of every township and ~70 % of the points'
villages, a year of daily volumes for Shanxi), the logistics service runs under uvicorn in a
process of its own (JSON logs, as in production) and answers
``GET /v1/indicators/coverage?division=…&as_of=…`` for a county (370982 新泰市, the county
with the most stations), a province (14 山西) and the nation, the volumes by month of a
Shanxi county and of the province (``/v1/indicators/volumes``, 12 months), and the first
page of the county's townships without a courier. The limit of each is raw asyncpg on one
connection in this process running the very statements the API runs (the repository's
module constants through ``compile_for_asyncpg``; the division lookup first where the API
makes one: the coverage statement reads its division itself) and nothing
else. Both sides are timed one request at a time (latency); they take turns over three
rounds, the side going first alternating; each figure is the median round's p50 or p95.

Goals (issue 8): ratio ≤ 1.3; a county under 50 ms and the nation under 3 s.
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
from common.months import add_months, china_today, current_month
from common.pagination import DEFAULT_PAGE_SIZE
from common.settings import plain_database_url
from services.logistics.indicators import repository

ROUNDS = 3
COUNTY = "370982"  # 新泰市, Shandong: 470 stations, the most of any county
PROVINCE = "14"  # 山西
VOLUME_COUNTY = "141124"  # 临县, Shanxi (the volumes are Shanxi's)
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
    as_of = china_today()
    coverage = {"as_of": as_of, "deliveries": 5}
    last = current_month()
    first = add_months(last, -11)
    volumes = {"first": first, "last": last, "after_last": add_months(last, 1)}
    span = f"from={first:%Y-%m}&to={last:%Y-%m}"

    def load(requests: int, seconds: float, warmup: int) -> Load:
        return Load(
            requests=options.scaled(requests),
            concurrency=1,
            seconds=seconds,
            warmup=max(1, warmup // 10) if options.quick else warmup,
        )

    return [
        Case(
            f"county {COUNTY} coverage indicators, p50",
            f"/v1/indicators/coverage?division={COUNTY}&as_of={as_of}",
            _raw(COUNTY, repository.COVERAGE, coverage, one=True, lookup=False),
            load(400, 10, 40),
            GOAL_COUNTY_MS,
        ),
        Case(
            f"province {PROVINCE} coverage indicators, p50",
            f"/v1/indicators/coverage?division={PROVINCE}&as_of={as_of}",
            _raw(PROVINCE, repository.COVERAGE, coverage, one=True, lookup=False),
            load(100, 10, 10),
        ),
        Case(
            "nation coverage indicators, p50",
            f"/v1/indicators/coverage?as_of={as_of}",
            _raw(None, repository.COVERAGE, coverage, one=True, lookup=False),
            load(8, 15, 1),
            GOAL_NATION_MS,
        ),
        Case(
            f"county {VOLUME_COUNTY} volumes by month, 12 months, p50",
            f"/v1/indicators/volumes?division={VOLUME_COUNTY}&{span}",
            _raw(VOLUME_COUNTY, repository.VOLUMES, volumes, one=False, lookup=True),
            load(400, 10, 40),
            GOAL_COUNTY_MS,
        ),
        Case(
            f"province {PROVINCE} volumes by month, 12 months, p50",
            f"/v1/indicators/volumes?division={PROVINCE}&{span}",
            _raw(PROVINCE, repository.VOLUMES, volumes, one=False, lookup=True),
            load(40, 15, 4),
        ),
        Case(
            f"county {COUNTY} townships without a courier, first page, p50",
            f"/v1/indicators/gaps/townships-without-courier?division={COUNTY}&as_of={as_of}",
            _raw(
                COUNTY,
                repository.GAPS["townships-without-courier"],
                {"as_of": as_of, "after": "", "limit": DEFAULT_PAGE_SIZE + 1},
                one=False,
                lookup=True,
            ),
            load(400, 10, 40),
        ),
    ]


def _check(base: str, headers: dict[str, str], cases: list[Case], raw: list[object]) -> None:
    """The API answers 200 with what the raw statements count (coverage cases)."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for case, row in zip(cases, raw, strict=True):
            answer = client.get(case.path)
            if answer.status_code != 200:
                raise RuntimeError(f"{case.path} answered {answer.status_code}: {answer.text}")
            if "/coverage" in case.path:
                body = answer.json()
                got = (
                    body["township_coverage"]["total"],
                    body["township_coverage"]["reached"],
                    body["village_points_with_carrier"]["reached"],
                )
                want = (row["townships"], row["townships_reached"], row["points_reached"])  # type: ignore[index]
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
        "LOGISTICS_DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": secret,
        "LOGISTICS_LOG_JSON": "true",
        "LOGISTICS_FOLLOW_STATIONS": "false",
    }
    api: dict[str, list[Measurement]] = {case.name: [] for case in cases}
    raw: dict[str, list[Measurement]] = {case.name: [] for case in cases}
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        with ExitStack() as stack:
            base = stack.enter_context(uvicorn_process("services.logistics.app:create", env=env))
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

    raise SystemExit(main(["logistics_indicators"]))
