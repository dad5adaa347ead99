"""Single sign-ins: POST through the gateway vs a bare asyncpg insert endpoint

One app user signs trainees in one at a time (``POST /training/v1/sessions/{id}/attendance``
with a trainee id, through the gateway: user token, internal token, the training service's
rules — session lock, policy lookup, insert, change event, commit). The limit is
``bench.apps:bare_attendance``: a bare Starlette endpoint doing the one INSERT … ON CONFLICT
on raw asyncpg. Each request signs a different trainee in (every one a real insert), on one
keep-alive connection (latency) and on 8 (throughput), over the national training data.
Everything written is deleted afterwards.
"""

import asyncio
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from datetime import date
from urllib.parse import urlsplit

import asyncpg

from bench.core import Figure, Measurement, Options, _read_response, median_of, uvicorn_process
from bench.training_data import field_key_env, forget_sessions, prepare_training
from common.auth import Principal, Role
from common.settings import plain_database_url
from gateway.auth import mint_user_token

ACTOR = "bench-post"
DAYS = ("2026-11-20", "2026-11-21")  # after every session of the data: no day is taken
ROUNDS = 3


async def post_all(
    url: str, bodies: Sequence[bytes], concurrency: int, headers: Mapping[str, str]
) -> Measurement:
    """POST each body once to ``url`` over ``concurrency`` keep-alive connections; 200 and
    201 count as answers, anything else as an error."""
    target = urlsplit(url)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    result = Measurement()
    queue = list(reversed(bodies))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(target.hostname, target.port)
        try:
            while queue:
                body = queue.pop()
                request = (
                    f"POST {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\n{extra}"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                sent = time.perf_counter()
                writer.write(request)
                status, _ = await _read_response(reader)
                if status in (200, 201):
                    result.latencies_ms.append((time.perf_counter() - sent) * 1000)
                else:
                    result.errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - started
    return result


async def _session(conn: asyncpg.Connection, day: str) -> int:
    return await conn.fetchval(
        """
        INSERT INTO training.training_session
            (level, topic, organiser_name, organiser_code, division_code, address, starts_on,
             ends_on, duration_kind, meals, computer_practice, lodging, funding_source,
             status, version, created_by)
        VALUES ('basic', '电商直播', '县电子商务发展有限公司', '91110000802100433B',
                '370982000000', '县电商中心', $1::date, $1::date, 'one_day', true, true, false,
                'central', 'planned', 1, $2)
        RETURNING id
        """,
        date.fromisoformat(day),
        ACTOR,
    )


async def run(options: Options) -> list[Figure]:
    url = await prepare_training()
    per_round = options.scaled(2000)
    internal, user_secret = secrets.token_hex(32), secrets.token_hex(32)
    user = mint_user_token(Principal(subject="user:bench", role=Role.ADMIN), secret=user_secret)
    env = {
        "DATABASE_URL": url,
        "TRAINING_DATABASE_URL": url,
        "BENCH_BARE_DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": internal,
        "GATEWAY_JWT_SECRET": user_secret,
        "TRAINING_FOLLOW_STATIONS": "false",
        "TRAINING_LOG_JSON": "true",
        **field_key_env(),
        "GATEWAY_LOG_JSON": "true",
    }
    conn = await asyncpg.connect(plain_database_url(url))
    figures: list[Figure] = []
    try:
        await forget_sessions(conn, ACTOR)
        api_session = await _session(conn, DAYS[0])
        bare_session = await _session(conn, DAYS[1])
        with ExitStack() as stack:
            training = stack.enter_context(uvicorn_process("services.training.app:create", env=env))
            gateway = stack.enter_context(
                uvicorn_process("gateway.app:create", env={**env, "GATEWAY_TRAINING_URL": training})
            )
            bare = stack.enter_context(uvicorn_process("bench.apps:bare_attendance", env=env))
            results: dict[str, list[Measurement]] = {}
            trainee = 0
            for concurrency in (1, 8):
                for _ in range(ROUNDS):
                    ids = range(trainee + 1, trainee + 1 + per_round)
                    trainee += per_round
                    api_bodies = [
                        json.dumps({"trainee_id": t, "day": DAYS[0]}).encode() for t in ids
                    ]
                    bare_bodies = [
                        json.dumps(
                            {"session_id": bare_session, "trainee_id": t, "day": DAYS[1]}
                        ).encode()
                        for t in ids
                    ]
                    api = await post_all(
                        f"{gateway}/training/v1/sessions/{api_session}/attendance",
                        api_bodies,
                        concurrency,
                        {"Authorization": f"Bearer {user}"},
                    )
                    limit = await post_all(f"{bare}/attendance", bare_bodies, concurrency, {})
                    assert (api.errors, limit.errors) == (0, 0)
                    results.setdefault(f"api{concurrency}", []).append(api)
                    results.setdefault(f"bare{concurrency}", []).append(limit)
        written = await conn.fetchval(
            "SELECT count(*) FROM training.attendance WHERE session_id = $1", api_session
        )
        assert written == trainee, (written, trainee)
    finally:
        await forget_sessions(conn, ACTOR)
        await conn.close()
    for statistic, unit, better in (("p50", "ms", False), ("p99", "ms", False)):
        figures.append(
            Figure(
                f"sign-in POST via the gateway, {statistic}, 1 connection",
                median_of(results["api1"], statistic),
                median_of(results["bare1"], statistic),
                "bare Starlette + asyncpg INSERT",
                unit,
                higher_is_better=better,
            )
        )
    figures.append(
        Figure(
            "sign-in POSTs via the gateway, req/s, 8 connections",
            median_of(results["api8"], "per_second"),
            median_of(results["bare8"], "per_second"),
            "bare Starlette + asyncpg INSERT",
            "req/s",
            higher_is_better=True,
        )
    )
    return figures


if __name__ == "__main__":
    from bench.__main__ import main

    main(["training_post"])
