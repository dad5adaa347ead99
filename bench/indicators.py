"""Indicators through a service's API vs the same SQL by raw asyncpg: what
``stations_indicators`` and ``logistics_indicators`` share.

The service runs under uvicorn in a process of its own (JSON logs, as in production), signed
in as a national platform. The limit of each case is raw asyncpg, on one connection in this
process, running the very statements the API runs (the repository's module constants through
``compile_for_asyncpg``; the division lookup first where the API makes one) and nothing
else: no HTTP, no token, no session, no JSON. Both sides are timed one request at a time
(latency, no queueing); they take turns over three rounds, the side going first alternating,
and each figure is the median round's p50 or p95.

A case may also be measured against a bare Starlette app over HTTP running the same
statements by raw asyncpg (``bare_app``; a second limit): where the statement takes a
millisecond or less, HTTP alone costs more than 0.3× of it, and this says what the API adds
beyond the hop.
"""

import secrets
from collections.abc import Awaitable, Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from bench.apps import BARE_DATABASE_URL
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
from common.settings import plain_database_url

ROUNDS = 3
GOAL_RATIO = 1.3

Raw = Callable[[asyncpg.Connection], Awaitable[object]]
# What the API answered for a case, beside what the raw statements returned: a mismatch
# said in words, or None.
Compare = Callable[[str, Any, Any], str | None]


@dataclass(frozen=True)
class Case:
    name: str
    path: str  # path and query of the API request
    raw: Raw  # the same statements on a raw asyncpg connection
    load: Load
    goal_ms: float | None = None
    bare: bool = False  # also measured against the bare app (``api_vs_raw``'s ``bare_app``)


def raw_statements(
    prefix: str | None,
    statement: Mapping[bool, Any],
    params: dict[str, Any],
    *,
    one: bool,
    lookup: Any | None = None,
) -> Raw:
    """What the API runs for a request: the division ``lookup`` statement first when it
    makes one, then ``statement`` (per nation or not), as ``compile_for_asyncpg`` gives them."""
    scope = Scope(prefix)
    sql, args = compile_for_asyncpg(statement[scope.nation], scope.params() | params)
    find = None
    if lookup is not None and not scope.nation:
        find = compile_for_asyncpg(lookup, {"code": scope.code})

    async def run(conn: asyncpg.Connection) -> object:
        if find is not None and await conn.fetchrow(find[0], *find[1]) is None:
            raise RuntimeError(f"no division {scope.code} in the benchmark database")
        return await (conn.fetchrow(sql, *args) if one else conn.fetch(sql, *args))

    return run


def latency_load(options: Options, requests: int, seconds: float, warmup: int) -> Load:
    """One request at a time; a tenth under ``--quick``."""
    return Load(
        requests=options.scaled(requests),
        concurrency=1,
        seconds=seconds,
        warmup=max(1, warmup // 10) if options.quick else warmup,
    )


def _check(
    base: str, headers: dict[str, str], cases: list[Case], rows: list[object], compare: Compare
) -> None:
    """The API answers 200 with what the raw statements count."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for case, row in zip(cases, rows, strict=True):
            answer = client.get(case.path)
            if answer.status_code != 200:
                raise RuntimeError(f"{case.path} answered {answer.status_code}: {answer.text}")
            mismatch = compare(case.path, answer.json(), row)
            if mismatch is not None:
                raise RuntimeError(f"{case.path}: {mismatch}")


async def api_vs_raw(
    options: Options,
    *,
    component: str,
    app: str,
    cases: list[Case],
    compare: Compare,
    env: dict[str, str] | None = None,
    bare_app: str | None = None,
) -> list[Figure]:
    """Time every case through ``app`` (``module:factory``) and by raw asyncpg; the cases
    marked ``bare`` through ``bare_app`` too (``bench.apps``, its database
    ``BENCH_BARE_DATABASE_URL``)."""
    await prepare_async()
    url = bench_url()
    secret = secrets.token_hex(32)
    token = mint_internal_token(
        Principal(subject="bench", role=Role.PLATFORM, division=NATION),
        secret=secret,
        ttl_seconds=3600,
    )
    headers = {"Authorization": f"Bearer {token}"}
    prefix = component.upper()
    app_env = {
        f"{prefix}_DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": secret,
        f"{prefix}_LOG_JSON": "true",
        **(env or {}),
    }
    api: dict[str, list[Measurement]] = {case.name: [] for case in cases}
    raw: dict[str, list[Measurement]] = {case.name: [] for case in cases}
    bare: dict[str, list[Measurement]] = {case.name: [] for case in cases if case.bare}
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        with ExitStack() as stack:
            base = stack.enter_context(uvicorn_process(app, env=app_env))
            bare_base = ""
            if bare_app is not None and bare:
                bare_env = {BARE_DATABASE_URL: url}
                bare_base = stack.enter_context(uvicorn_process(bare_app, env=bare_env))
            _check(base, headers, cases, [await case.raw(conn) for case in cases], compare)
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
                    if case.name in bare:
                        sides.append(
                            (bare, lambda case=case: measure(bare_base + case.path, case.load))
                        )
                    for results, timed in sides if i % 2 == 0 else reversed(sides):
                        results[case.name].append(await timed())
    finally:
        await conn.close()
    for case in cases:
        failed = sum(m.errors for m in api[case.name] + bare.get(case.name, []))
        if failed:
            raise RuntimeError(f"{case.path} answered {failed} requests with an error")
    figures = [
        _figure(case, s, api[case.name], raw[case.name]) for case in cases for s in ("p50", "p95")
    ]
    for case in cases:
        if case.name in bare:
            figures += [
                _figure(case, s, api[case.name], bare[case.name], limit=BARE_LIMIT)
                for s in ("p50", "p95")
            ]
    return figures


BARE_LIMIT = "bare Starlette + asyncpg over HTTP, same SQL"


def _figure(
    case: Case,
    statistic: str,
    api: list[Measurement],
    raw: list[Measurement],
    *,
    limit: str = "raw asyncpg, same SQL",
) -> Figure:
    value = median_of(api, statistic)
    limit_value = median_of(raw, statistic)
    goals = [f"goal ≤ {GOAL_RATIO}"] if limit != BARE_LIMIT else ["a second limit: no goal"]
    if case.goal_ms is not None and statistic == "p50" and limit != BARE_LIMIT:
        goals.append(f"under {case.goal_ms:,.0f} ms")
    count = sum(m.completed for m in api)
    name = case.name.replace("p50", statistic)
    return Figure(
        name if limit != BARE_LIMIT else f"{name}, vs bare HTTP",
        value, limit_value, limit, "ms",
        higher_is_better=False,
        note=f"+{value - limit_value:.2f} ms; {count} requests; {', '.join(goals)}",
    )  # fmt: skip
