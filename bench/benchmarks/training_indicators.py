"""Training indicators for a county, a province and the nation: API vs the same SQL on raw asyncpg

Over the national training data of ``bench.training_data`` (2 M trainees, ~125 k sessions,
~10 M attendance rows over real village committees), the training app in a process of its
own answers ``GET /v1/indicators/training`` for the whole period of the data, and the nation
and province 37 also for a year in the middle of it (2025), a half-year, a quarter and a month
(June 2025), and the province for June–October 2026 — periods most persons attended outside
of, whose distinct persons the month tallies count (ADR 0097); the limit is the same two statements (the division lookup, then the
indicator statement of ``services.training.indicators.repository``, in a transaction with
the app's plan settings, as the app runs it) on one raw asyncpg connection. Latency on one
connection, three rounds taking turns, medians. Goals: ratio ≤ 1.3, county < 50 ms, nation
< 3 s (every period).
"""

import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import date
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
from bench.training_data import APP_KEYS, prepare_training
from common.auth import Principal, Role, mint_internal_token
from common.settings import plain_database_url
from services.training.indicators import repository

ROUNDS = 3
COUNTY = "370982"  # 新泰市, Shandong: one of the counties with the most village committees
PROVINCE = "37"  # 山东
WHOLE = ("2024-01-01", "2026-10-31")
PERIODS = {
    "2025": ("2025-01-01", "2025-12-31"),
    "H1 2025": ("2025-01-01", "2025-06-30"),  # about as many persons outside it as months in it
    "2025 Q2": ("2025-04-01", "2025-06-30"),
    "June 2025": ("2025-06-01", "2025-06-30"),
}
GOAL_RATIO = 1.3
GOALS_MS = {"county": 50.0, "nation": 3000.0}
_DIVISION = "SELECT code, name, level FROM training.reference_division WHERE code = $1"


def _asyncpg_sql(sql: str, names: list[str]) -> str:
    for i, name in enumerate(names, start=1):
        sql = re.sub(rf":{name}\b", f"${i}", sql)
    return sql


# Counties and up are answered from the roll-ups (ADR 0033): the same statement, raw.
_INDICATORS = _asyncpg_sql(repository.FROM_TALLIES, ["prefix", "first", "last"])


def _raw(prefix: str, period: tuple[str, str]) -> Callable[[asyncpg.Connection], Awaitable[object]]:
    first, last = date.fromisoformat(period[0]), date.fromisoformat(period[1])
    code = prefix.ljust(12, "0")

    async def run(conn: asyncpg.Connection) -> object:
        if prefix and await conn.fetchrow(_DIVISION, code) is None:
            raise RuntimeError(f"no division {code}")
        async with conn.transaction():  # as the app runs it: JIT off, a custom plan
            await conn.execute(repository.PLAN_SETTINGS)
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
        **APP_KEYS,
        "TRAINING_LOG_JSON": "true",
    }
    cases: list[tuple[str, str, str, tuple[str, str], int]] = [
        ("county", COUNTY, "", WHOLE, 200),
        ("province", PROVINCE, "", WHOLE, 20),
        ("nation", "", "", WHOLE, 5),
        *(
            (name, prefix, label, period, requests)
            for label, period in PERIODS.items()
            for name, prefix, requests in (("province", PROVINCE, 20), ("nation", "", 5))
        ),
        # ADR 0092 made this one slower (it read everyone trained before June).
        ("province", PROVINCE, "June–October 2026", ("2026-06-01", "2026-10-31"), 20),
    ]
    figures: list[Figure] = []
    with uvicorn_process("services.training.app:create", env=env) as api:
        conn = await asyncpg.connect(plain_database_url(url))
        try:
            for name, prefix, label, period, requests in cases:
                query = f"from={period[0]}&to={period[1]}" + (
                    f"&division={prefix}" if prefix else ""
                )
                load = Load(requests=options.scaled(requests), concurrency=1, seconds=20, warmup=1)
                raw = _raw(prefix, period)
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
                        f"{name} {prefix or '(all)'} training indicators"
                        f"{f', {label}' if label else ''}, p50",
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
