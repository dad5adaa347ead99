"""Soak: twenty minutes of mixed traffic through the gateway, every app's memory sampled each 10 s.

On a copy of the national benchmark database (``CREATE DATABASE … TEMPLATE ruralnet_bench``,
dropped at the end, so the writes leave the benchmark data as it was), the five apps run
under uvicorn as in production (one process each, JSON logs, logistics, training and
programme following the stations change feed): stations, logistics, training, programme and
the gateway in front of them. Eight callers with an admin's access token send, as fast as
the apps answer, a mix of

- reads: a station by code (any of the 178k), a county's station list, a station's whole
  record from the gateway's registry (four services in parallel);
- indicators: a county's network indicators, sales and villages without a point, its courier
  coverage (logistics);
- report submissions: ``PUT`` of a station's monthly report with new figures (a revision)
  and an ``Idempotency-Key``, one in five sent twice (the second is a replay);
- bulk uploads: 200 reports of the county's stations in one JSON array.

The resident set size (``VmRSS``) of every app's process is read every 10 s. Figures per app:
its peak against the 150 MB budget, and its growth, the least-squares slope over the samples
over the second half of the run (the first is warm-up: a 20-minute run of 2 December showed
every app's caches, pools and allocator arenas filling in 1 MB steps for up to 12 minutes,
then nothing more for the rest), against the slope that would
take it from its first sample to 150 MB in a day of such traffic. Every answer other than the
expected status, every bulk row rejected and every failed call counts as an error (goal: 0).
``--quick`` runs one minute (the slope is then not meaningful).
"""

import asyncio
import json
import os
import random
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date

import asyncpg
import httpx

from bench.core import Figure, Options, Served, served
from bench.national import bench_url, prepare_async
from bench.training_data import APP_KEYS
from common.auth import Principal, Role
from common.months import add_months, current_month
from common.settings import plain_database_url
from gateway.auth import mint_user_token

SECONDS = 1200
QUICK_SECONDS = 60
SAMPLE_EVERY = 10.0
CALLERS = 8
BUDGET_MB = 150.0
DAY_S = 24 * 3600.0
COUNTY = "370982"  # 新泰市: the county with the most stations
BULK_ROWS = 200
SOAK_DATABASE = "ruralnet_bench_soak"
TEMPLATE_ATTEMPTS = 600  # half a second apart: five minutes
APPS = {
    "stations": "services.stations.app:create",
    "logistics": "services.logistics.app:create",
    "training": "services.training.app:create",
    "programme": "services.programme.app:create",
}
# Relative weights of the kinds of request in the mix.
MIX = {
    "station": 30,
    "station_list": 8,
    "registry_record": 6,
    "network": 10,
    "sales": 6,
    "gaps": 5,
    "courier_coverage": 5,
    "report": 20,
    "bulk": 2,
}


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.first_errors) < 10:
            self.first_errors.append(f"{kind}: {what}")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def slope_per_second(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (time, value) samples."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in samples) / n
    mean_v = sum(v for _, v in samples) / n
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if not spread:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in samples) / spread


async def _soak_database(source: str) -> str:
    """A fresh copy of the benchmark database; its URL."""
    base, _, name = source.rpartition("/")
    admin = await asyncpg.connect(plain_database_url(f"{base}/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{SOAK_DATABASE}" WITH (FORCE)')
        # A template cannot be copied while anyone is connected to it: on a shared benchmark
        # database someone's short query is often there. Wait for a moment nobody is.
        for attempt in range(TEMPLATE_ATTEMPTS):
            try:
                await admin.execute(
                    f'CREATE DATABASE "{SOAK_DATABASE}" TEMPLATE "{name}" STRATEGY FILE_COPY'
                )
                break
            except asyncpg.ObjectInUseError:
                if attempt == TEMPLATE_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()
    return f"{base}/{SOAK_DATABASE}"


async def _drop_database(url: str) -> None:
    base = url.rpartition("/")[0]
    admin = await asyncpg.connect(plain_database_url(f"{base}/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{SOAK_DATABASE}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass(frozen=True)
class Data:
    codes: list[str]  # any station
    reporting: list[str]  # the county's operating stations, operating before the months sent
    months: list[date]  # finished months the reports are sent for


async def _data(url: str) -> Data:
    months = [add_months(current_month(), -k) for k in (1, 2, 3)]
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        codes = [r["code"] for r in await conn.fetch("SELECT code FROM stations.station")]
        reporting = [
            r["code"]
            for r in await conn.fetch(
                "SELECT code FROM stations.station WHERE division_code LIKE $1"
                " AND status IN ('operating', 'accepted') AND operating_since < $2",
                f"{COUNTY}%",
                min(months),
            )
        ]
    finally:
        await conn.close()
    if not reporting:
        raise RuntimeError(f"no operating station in {COUNTY} to send reports for")
    codes.sort()
    reporting.sort()
    return Data(codes=codes, reporting=reporting, months=months)


def _figures(rng: random.Random) -> dict[str, object]:
    households = rng.randint(10, 400)
    return {
        "upward_amount": f"{rng.randint(0, 500_000)}.{rng.randint(0, 99):02d}",
        "upward_orders": rng.randint(0, 3000),
        "downward_amount": f"{rng.randint(0, 500_000)}.{rng.randint(0, 99):02d}",
        "downward_orders": rng.randint(0, 3000),
        "parcels_in": rng.randint(0, 5000),
        "parcels_out": rng.randint(0, 5000),
        "households_served": households,
        "poor_households_served": rng.randint(0, households),
    }


Call = Callable[[httpx.AsyncClient, random.Random, Tally], Awaitable[None]]


def _calls(data: Data) -> dict[str, Call]:
    async def get(client: httpx.AsyncClient, tally: Tally, kind: str, path: str) -> None:
        r = await client.get(path)
        if r.status_code != 200:
            tally.error(kind, f"GET {path} answered {r.status_code}: {r.text[:200]}")

    async def station(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
        await get(client, tally, "station", f"/stations/v1/stations/{rng.choice(data.codes)}")

    async def station_list(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
        await get(client, tally, "station_list", f"/stations/v1/stations?division={COUNTY}")

    async def record(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
        code = rng.choice(data.reporting)
        await get(client, tally, "registry_record", f"/registry/v1/stations/{code}")

    def indicator(kind: str, path: str) -> Call:
        async def call(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
            await get(client, tally, kind, path)

        return call

    async def report(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
        code, month = rng.choice(data.reporting), rng.choice(data.months)
        path = f"/stations/v1/stations/{code}/reports/{month:%Y-%m}"
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        body = _figures(rng)
        for _ in range(2 if rng.random() < 0.2 else 1):
            r = await client.put(path, json=body, headers=headers)
            if r.status_code not in (200, 201):
                tally.error("report", f"PUT {path} answered {r.status_code}: {r.text[:200]}")
                return

    async def bulk(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
        rows = [
            {"station_code": code, "month": f"{rng.choice(data.months):%Y-%m}", **_figures(rng)}
            for code in rng.sample(data.reporting, min(BULK_ROWS, len(data.reporting)))
        ]
        r = await client.post(
            "/stations/v1/reports/bulk",
            content=json.dumps(rows),
            headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
        )
        if r.status_code != 200:
            tally.error("bulk", f"bulk answered {r.status_code}: {r.text[:200]}")
            return
        rejected = [row for row in r.json()["results"] if row["status"] == "rejected"]
        if rejected:
            tally.error("bulk", f"{len(rejected)} rows rejected, e.g. {rejected[0]}")

    return {
        "station": station,
        "station_list": station_list,
        "registry_record": record,
        "network": indicator("network", f"/stations/v1/indicators/network?division={COUNTY}"),
        "sales": indicator("sales", f"/stations/v1/indicators/sales?division={COUNTY}"),
        "gaps": indicator("gaps", f"/stations/v1/indicators/gaps/villages?division={COUNTY}"),
        "courier_coverage": indicator(
            "courier_coverage", f"/logistics/v1/indicators/coverage?division={COUNTY}"
        ),
        "report": report,
        "bulk": bulk,
    }


async def _caller(
    n: int, gateway: str, token: str, calls: dict[str, Call], deadline: float, tally: Tally
) -> None:
    rng = random.Random(n)
    kinds, weights = list(MIX), list(MIX.values())
    async with httpx.AsyncClient(
        base_url=gateway, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            tally.requests[kind] += 1
            try:
                await calls[kind](client, rng, tally)
            except httpx.HTTPError as e:
                tally.error(kind, f"{type(e).__name__}: {e}")


async def _sample(apps: dict[str, Served], deadline: float) -> dict[str, list[tuple[float, float]]]:
    started = time.monotonic()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in apps}
    while True:
        now = time.monotonic()
        for name, app in apps.items():
            samples[name].append((now - started, _rss_mb(app.pid)))
        if now + SAMPLE_EVERY > deadline + 1:
            return samples
        await asyncio.sleep(SAMPLE_EVERY - (time.monotonic() - now))


async def run(options: Options) -> list[Figure]:
    await prepare_async()
    url = await _soak_database(bench_url())
    try:
        return await _soak(url, QUICK_SECONDS if options.quick else SECONDS)
    finally:
        await _drop_database(url)


async def _soak(url: str, seconds: float) -> list[Figure]:
    data = await _data(url)
    jwt_secret = secrets.token_hex(32)
    env = {
        "DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": secrets.token_hex(32),
        "GATEWAY_JWT_SECRET": jwt_secret,
        **APP_KEYS,  # the national data's trainees are sealed under the bench key id
        **{f"{name.upper()}_LOG_JSON": "true" for name in (*APPS, "gateway")},
    }
    token = mint_user_token(
        Principal(subject="user:1", role=Role.ADMIN), secret=jwt_secret, ttl_seconds=2 * 3600
    )
    tally = Tally()
    with ExitStack() as stack:
        apps = {name: stack.enter_context(served(app, env=env)) for name, app in APPS.items()}
        urls = {f"GATEWAY_{name.upper()}_URL": app.url for name, app in apps.items()}
        apps["gateway"] = stack.enter_context(served("gateway.app:create", env={**env, **urls}))
        calls = _calls(data)
        deadline = time.monotonic() + seconds
        sampler = asyncio.create_task(_sample(apps, deadline))
        await asyncio.gather(
            *(
                _caller(n, apps["gateway"].url, token, calls, deadline, tally)
                for n in range(CALLERS)
            )
        )
        samples = await sampler
    requests = sum(tally.requests.values())
    figures = []
    for name, series in samples.items():
        peak = max(mb for _, mb in series)
        settled = [(t, mb) for t, mb in series if t >= series[-1][0] / 2] or series
        slope = slope_per_second(settled)
        tolerated = max(BUDGET_MB - series[0][1], 0.0) / DAY_S
        trace = " ".join(f"{mb:.0f}" for _, mb in series)
        figures += [
            Figure(
                f"{name}: peak RSS", peak, BUDGET_MB, "budget", "MB", higher_is_better=False,
                note=f"every {SAMPLE_EVERY:.0f} s: {trace}",
            ),
            Figure(
                f"{name}: RSS growth over the second half", slope * 3600, tolerated * 3600,
                "to the budget in a day", "MB/h", higher_is_better=False,
                note=f"{slope * 600:+.2f} MB per 10 min",
            ),
        ]  # fmt: skip
    errors = sum(tally.errors.values())
    mix = ", ".join(f"{kind} {n:,}" for kind, n in tally.requests.most_common())
    figures.append(
        Figure(
            "errors (goal 0)",
            errors,
            requests,
            "requests sent",
            "errors",
            higher_is_better=False,
            note=f"{requests / seconds:,.0f} req/s for {seconds:.0f} s: {mix}; "
            f"load average {os.getloadavg()[0]:.1f}"
            + (f"; first errors: {tally.first_errors}" if errors else ""),
        )
    )
    return figures


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["soak"]))
