"""What an access token costs a request at the gateway: authenticated vs anonymous.

A stations service and a gateway in front of it, each in its own uvicorn process (JSON logs
as in production), and ``GET /stations/healthz`` through the gateway on one keep-alive
connection: without a token (the public principal) and with a person's access token as
``POST /auth/token`` issues it (``jti``, generation, session), with 1,000 live revocations
in the gateway's list. The difference is what verifying the token adds: the signature, the
strict principal, the revocation look-up (goal: at most 0.2 ms at p50). Then the same
verification in this process, per call, for a token seen before (what the gateway kept of
it) and one seen the first time, against PyJWT's decode alone. Three rounds, taking
turns (each first in every other round), medians.
"""

import time
import uuid
from contextlib import ExitStack

import asyncpg
import jwt

from bench.core import Figure, Load, Measurement, Options, measure, median_of, uvicorn_process
from bench.identity_db import prepare
from common.auth import Principal, Role
from common.settings import plain_database_url
from gateway.identity.tokens import (
    USER_AUDIENCE,
    USER_ISSUER,
    AccessTokens,
    Revocations,
    mint_access_token,
)
from gateway.settings import DEV_JWT_SECRET

ROUNDS = 6
GOAL_MS = 0.2
REVOCATIONS = 1000


def _token() -> str:
    official = Principal(subject="user:1", role=Role.OFFICIAL, division="141124")
    return mint_access_token(
        official, secret=DEV_JWT_SECRET, ttl_seconds=3600, generation=1, session_id=uuid.uuid4()
    )


async def _revocations(url: str) -> None:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        await conn.executemany(
            "INSERT INTO gateway.revocation (key, generation, expires_at) "
            "VALUES ($1, $2, now() + interval '1 hour')",
            [
                (f"user:{1000 + i}", 2) if i % 2 else (f"session:{uuid.uuid4()}", None)
                for i in range(REVOCATIONS)
            ],
        )
    finally:
        await conn.close()


def _per_call_us(call: object, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        call()  # type: ignore[operator]
    return (time.perf_counter() - started) / n * 1e6


async def run(options: Options) -> list[Figure]:
    env = {"STATIONS_LOG_JSON": "true", "GATEWAY_LOG_JSON": "true"}
    url = await prepare(env)
    await _revocations(url)
    token = _token()
    load = Load(requests=options.scaled(2000), concurrency=1, seconds=10)
    anonymous: list[Measurement] = []
    signed_in: list[Measurement] = []
    with ExitStack() as stack:
        stations = stack.enter_context(uvicorn_process("services.stations.app:create", env=env))
        gateway = stack.enter_context(
            uvicorn_process(
                "gateway.app:create",
                env={**env, "GATEWAY_STATIONS_URL": stations, "GATEWAY_DATABASE_URL": url},
            )
        )
        target = f"{gateway}/stations/healthz"
        for _ in range(ROUNDS):
            anonymous.append(await measure(target, load))
            signed_in.append(
                await measure(target, load, headers={"Authorization": f"Bearer {token}"})
            )
    for rounds in (anonymous, signed_in):
        failed = sum(m.errors for m in rounds)
        if failed:
            raise RuntimeError(f"{failed} requests failed")

    revocations = Revocations({f"user:{1000 + i}": 2 for i in range(REVOCATIONS)})
    verifier = AccessTokens(DEV_JWT_SECRET, revocations)
    n = options.scaled(20_000)
    fresh = iter([_token() for _ in range(n)])
    first_us = _per_call_us(lambda: verifier.verify(next(fresh)), n)
    verify_us = _per_call_us(lambda: verifier.verify(token), n)
    decode_us = _per_call_us(
        lambda: jwt.decode(
            token, DEV_JWT_SECRET, algorithms=["HS256"], audience=USER_AUDIENCE, issuer=USER_ISSUER
        ),
        n,
    )
    p50_anon, p50_auth = median_of(anonymous, "p50"), median_of(signed_in, "p50")
    p99_anon, p99_auth = median_of(anonymous, "p99"), median_of(signed_in, "p99")
    added = p50_auth - p50_anon
    return [
        Figure(
            "gateway GET, access token, p50 (1 connection)",
            p50_auth,
            p50_anon,
            "the same, anonymous",
            "ms",
            higher_is_better=False,
            note=f"{added:+.3f} ms added (goal ≤ {GOAL_MS} ms: {'met' if added <= GOAL_MS else 'NOT met'})",
        ),
        Figure(
            "gateway GET, access token, p99 (1 connection)",
            p99_auth,
            p99_anon,
            "the same, anonymous",
            "ms",
            higher_is_better=False,
            note=f"{p99_auth - p99_anon:+.3f} ms",
        ),
        Figure(
            "verify a token seen before, in process (1,000 revocations listed)",
            verify_us,
            decode_us,
            "PyJWT decode alone",
            "µs",
            higher_is_better=False,
        ),
        Figure(
            "verify a token the first time, in process",
            first_us,
            decode_us,
            "PyJWT decode alone",
            "µs",
            higher_is_better=False,
        ),
    ]
