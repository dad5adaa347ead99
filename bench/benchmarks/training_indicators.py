"""Training indicators for a county, a province and the nation: API vs the same SQL on raw asyncpg

Over the national training data of ``bench.training_data`` (2 M trainees, ~125 k sessions,
~10 M attendance rows over real village committees), the training app in a process of its
own answers ``GET /v1/indicators/training`` for the whole period of the data; the limit is
the same two statements (the division lookup, then the indicator statement of
``services.training.indicators.repository``) on one raw asyncpg connection. Latency on one
connection, three rounds taking turns, medians. Goals: ratio ≤ 1.3, county < 50 ms, nation
< 3 s.
"""

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

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
from bench.training_data import field_key_env, prepare_training
from common.auth import Principal, Role, mint_internal_token
from common.settings import plain_database_url
from services.training.indicators import repository

ROUNDS = 3
COUNTY = "370982"  # 新泰市, Shandong: one of the counties with the most village committees
PROVINCE = "37"  # 山东
FIRST, LAST = "2024-01-01", "2026-10-31"
GOAL_RATIO = 1.3
GOALS_MS = {"county": 50.0, "nation": 3000.0}
_DIVISION = "SELECT code, name, level FROM training.reference_division WHERE code = $1"


def _asyncpg_sql(sql: str, names: list[str]) -> str:
    for i, name in enumerate(names, start=1):
        sql = re.sub(rf":{name}\b", f"${i}", sql)
    return sql


# Counties and up are answered from the roll-ups (ADR 0033): the same statement, raw.
_INDICATORS = _asyncpg_sql(repository.FROM_TALLIES, ["prefix", "first", "last"])


def _raw(prefix: str) -> Callable[[asyncpg.Connection], Awaitable[object]]:
    from datetime import date

    first, last = date.fromisoformat(FIRST), date.fromisoformat(LAST)
    code = prefix.ljust(12, "0")

    async def run(conn: asyncpg.Connection) -> object:
        if prefix and await conn.fetchrow(_DIVISION, code) is None:
            raise RuntimeError(f"no division {code}")
        return await conn.fetchrow(_INDICATORS, prefix + "%", first, last)

    return run


async def run(options: Options) -> list[Figure]:
    url = await prepare_training()
    secret = secrets.token_hex(32)
    token = mint_internal_token(
        Principal(subject="bench", role=Role.ADMIN), secret=secret, ttl_seconds=7200
    )
    headers = {"Authorization": f"Bearer {token}"}
    env = {
        "TRAINING_DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": secret,
        "TRAINING_FOLLOW_STATIONS": "false",
        "TRAINING_LOG_JSON": "true",
        **field_key_env(),
    }
    cases: list[tuple[str, str, int]] = [
        ("county", COUNTY, 200),
        ("province", PROVINCE, 20),
        ("nation", "", 5),
    ]
    figures: list[Figure] = []
    with uvicorn_process("services.training.app:create", env=env) as api:
        conn = await asyncpg.connect(plain_database_url(url))
        try:
            for name, prefix, requests in cases:
                query = f"from={FIRST}&to={LAST}" + (f"&division={prefix}" if prefix else "")
                load = Load(requests=options.scaled(requests), concurrency=1, seconds=20, warmup=1)
                raw = _raw(prefix)
                apis: list[Measurement] = []
                raws: list[Measurement] = []
                for _ in range(ROUNDS):
                    apis.append(
                        await measure(
                            f"{api}/v1/indicators/training?{query}", load, headers=headers
                        )
                    )

                    async def call(_: int, raw: Any = raw) -> object:
                        return await raw(conn)

                    raws.append(await measure_calls(call, load))
                assert all(m.errors == 0 for m in apis), f"{name}: API errors"
                value = median_of(apis, "p50")
                limit = median_of(raws, "p50")
                goal = GOALS_MS.get(name)
                note = f"goal ratio ≤ {GOAL_RATIO}" + (f", < {goal:.0f} ms" if goal else "")
                figures.append(
                    Figure(
                        f"{name} {prefix or '(all)'} training indicators, p50",
                        value,
                        limit,
                        "the same SQL on raw asyncpg",
                        "ms",
                        higher_is_better=False,
                        note=note,
                    )
                )
        finally:
            await conn.close()
    return figures


if __name__ == "__main__":
    from bench.__main__ import main

    main(["training_indicators"])
