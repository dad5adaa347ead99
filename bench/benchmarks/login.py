"""Sign-in: Argon2id verifications per second on one core, what each parameter set costs,
and the login endpoint against raw Argon2.

In this process, single-threaded (one core): Argon2id ``verify`` at OWASP's minimum (19 MiB,
t=2, p=1: the gateway's default), a cheaper and a dearer set, and RFC 9106's second
recommendation (64 MiB, t=3, p=4); each is reported as verifications per second against the
default's rate measured in the same run. Then a gateway process: ``POST /auth/token``
(password grant) one after another on one connection, wrong password and unknown phone
alike, against raw Argon2 verifications per second at the same cost: what the endpoint adds
around the hash (queries, lockout counting, the audit event, a session and a refresh token),
and whether an unknown phone costs what a wrong password does (no account enumeration by
timing; the ratio should be ≈ 1).
"""

import time

import httpx
from pwdlib.hashers.argon2 import Argon2Hasher

from bench.core import Figure, Load, Measurement, Options, measure_calls, median_of, uvicorn_process
from bench.identity_db import PASSWORD, PHONE, prepare

# (name, memory KiB, time cost, parallelism)
PROFILES = [
    ("default: 19 MiB, t=2, p=1 (OWASP minimum)", 19_456, 2, 1),
    ("12 MiB, t=3, p=1 (OWASP, less memory)", 12_288, 3, 1),
    ("46 MiB, t=1, p=1 (OWASP, more memory)", 47_104, 1, 1),
    ("64 MiB, t=3, p=4 (RFC 9106 low-memory)", 65_536, 3, 4),
]
ROUNDS = 3


def _verifies_per_second(memory: int, time_cost: int, parallelism: int, seconds: float) -> float:
    hasher = Argon2Hasher(memory_cost=memory, time_cost=time_cost, parallelism=parallelism)
    stored = hasher.hash(PASSWORD)
    hasher.verify(PASSWORD, stored)  # warm
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        hasher.verify("a wrong guess 123", stored)
        done += 1
    return done / (time.perf_counter() - started)


async def run(options: Options) -> list[Figure]:
    seconds = 0.6 if options.quick else 3.0
    rates: dict[str, list[float]] = {name: [] for name, *_ in PROFILES}
    for _ in range(ROUNDS):
        for name, memory, time_cost, parallelism in PROFILES:
            rates[name].append(_verifies_per_second(memory, time_cost, parallelism, seconds))
    rate = {name: sorted(values)[len(values) // 2] for name, values in rates.items()}
    default = PROFILES[0][0]
    figures = [
        Figure(
            f"Argon2id verify/s, one core, {name}",
            rate[name],
            rate[default],
            "the default profile",
            "verify/s",
            higher_is_better=True,
            note=f"{1000 / rate[name]:.1f} ms each, {memory // 1024} MiB",
        )
        for name, memory, _, _ in PROFILES
    ]

    env = {"GATEWAY_LOG_JSON": "true", "GATEWAY_ARGON2_MEMORY_KIB": "19456"}
    url = await prepare(env)
    load = Load(requests=options.scaled(150), concurrency=1, seconds=20, warmup=5)
    with uvicorn_process("gateway.app:create", env={**env, "GATEWAY_DATABASE_URL": url}) as gateway:
        async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:

            def attempt(phone: str, password: str, wanted: int) -> object:
                async def call(i: int) -> None:
                    # A fresh address each time: the lockout must not end the measurement.
                    r = await client.post(
                        "/auth/token",
                        data={"grant_type": "password", "username": phone, "password": password},
                        headers={
                            "X-Forwarded-For": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
                        },
                    )
                    if r.status_code != wanted:
                        raise RuntimeError(f"{r.status_code}: {r.text}")

                return call

            good: list[Measurement] = []
            wrong: list[Measurement] = []
            unknown: list[Measurement] = []
            for round_ in range(ROUNDS):
                good.append(await measure_calls(attempt(PHONE, PASSWORD, 200), load))
                # Each first in every other round, so neither always runs on a warmer cache.
                pair = [(wrong, PHONE), (unknown, "13900000000")]
                for measured, phone in pair[:: -1 if round_ % 2 else 1]:
                    measured.append(await _failures(client, url, attempt, phone, load))
    raw = rate[default]
    p50_wrong, p50_unknown = median_of(wrong, "p50"), median_of(unknown, "p50")
    figures += [
        Figure(
            "POST /auth/token (right password), sign-ins/s, 1 connection",
            median_of(good, "per_second"),
            raw,
            "raw Argon2 verify/s, default",
            "req/s",
            higher_is_better=True,
        ),
        Figure(
            "POST /auth/token, wrong password, p50",
            p50_wrong,
            1000 / raw,
            "one raw Argon2 verify",
            "ms",
            higher_is_better=False,
        ),
        Figure(
            "POST /auth/token, unknown phone, p50",
            p50_unknown,
            p50_wrong,
            "wrong password p50",
            "ms",
            higher_is_better=False,
            note=f"{p50_unknown - p50_wrong:+.2f} ms",
        ),
    ]
    return figures


async def _failures(
    client: httpx.AsyncClient, url: str, attempt: object, phone: str, load: Load
) -> Measurement:
    """Failed sign-ins, with the phone's count reset every four so it never locks (the lock
    is a different, cheaper answer)."""
    import asyncpg

    from common.settings import plain_database_url

    conn = await asyncpg.connect(plain_database_url(url))
    try:
        fail = attempt(phone, "a wrong guess 123", 401)  # type: ignore[operator]

        async def call(i: int) -> None:
            if i % 4 == 0:
                await conn.execute("DELETE FROM gateway.login_throttle")
            await fail(i)

        return await measure_calls(call, load)
    finally:
        await conn.close()
