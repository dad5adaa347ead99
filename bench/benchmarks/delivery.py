"""Report deliveries per second by one worker process vs a bare loopback POST loop.

A scratch database with the gateway migrated, one target on a loopback receiver (a bare
Starlette app that reads the body and answers a receipt, in a process of its own), and N
document revisions of ~2 KB. Figure: a real ``ruralnet worker`` (default concurrency) turns
N queued deliveries into N delivered ones — each a job claimed from the queue, an attempt
committed, the body signed (Standard Webhooks), POSTed, the answer settled — timed from the
commit that queues them to the last one delivered. Limit: the same N bodies POSTed to the same
receiver by one httpx client at the same concurrency, nothing else. Rounds alternate; medians.
"""

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import asyncpg
import httpx
from alembic import command

from bench.core import PROJECT_ROOT, Figure, Options, uvicorn_process
from bench.national import bench_url, sibling_url
from common.auth import Principal, Role
from common.db import make_engine, make_sessionmaker
from common.migrations import alembic_config
from common.settings import plain_database_url
from gateway.reports.deliveries.service import revision_ready
from gateway.reports.targets.schemas import TargetCreate
from gateway.reports.targets.service import create
from gateway.settings import GatewaySettings
from ruralnet.devdb import Cluster, ensure_database

DATABASE = "ruralnet_bench_delivery"
ROUNDS = 3
CONCURRENCY = 20  # GATEWAY_JOBS_CONCURRENCY's default


async def _prepare() -> str:
    if not os.environ.get("BENCH_DATABASE_URL"):
        Cluster().start()
    url = sibling_url(bench_url(), DATABASE)
    await ensure_database(url, fresh=True)
    config = alembic_config("gateway", url)
    config.attributes["skip_logging"] = True
    await asyncio.to_thread(command.upgrade, config, "head")
    return url


def _body(n: int) -> bytes:
    counties = [{"code": f"1411{i:02d}000000", "stations": i, "coverage": 0.5} for i in range(30)]
    return json.dumps(
        {"document_type": "county-report", "version": "1", "n": n, "counties": counties}
    ).encode()


async def _revisions(conn: asyncpg.Connection, count: int, round_no: int) -> list[int]:
    rows = [
        (
            "county-report", "1", "141124000000", f"{2000 + round_no}-{(n % 12) + 1:02d}",
            n // 12 + 1, body, "sha256:" + hashlib.sha256(body).hexdigest(), "bench",
        )
        for n in range(count)
        for body in [_body(n)]
    ]  # fmt: skip
    await conn.copy_records_to_table(
        "report_revision",
        schema_name="gateway",
        columns=[
            "document_type", "document_version", "division", "period", "revision", "body",
            "content_hash", "created_by",
        ],
        records=rows,
    )  # fmt: skip
    return [
        r["id"]
        for r in await conn.fetch(
            "SELECT id FROM gateway.report_revision WHERE period LIKE $1 ORDER BY id",
            f"{2000 + round_no}-%",
        )
    ]


async def _worker_round(url: str, receiver: str, count: int, round_no: int) -> float:

    settings = GatewaySettings(database_url=url)
    engine = make_engine(settings.database_url, application_name="bench-delivery", pool_size=2)
    maker = make_sessionmaker(engine)
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        revisions = await _revisions(conn, count, round_no)
        async with maker() as session, session.begin():
            await create(
                session, settings, Principal(subject="admin:bench", role=Role.ADMIN),
                TargetCreate(
                    name="bench", kind="province", endpoint_url=f"{receiver}/receive",
                    division="14", document_types=["county-report"],
                ),
                datetime.now(UTC),
            )  # fmt: skip
        started = time.monotonic()
        async with maker() as session, session.begin():
            now = datetime.now(UTC)
            for revision in revisions:
                await revision_ready(session, revision, now)
        while True:
            done = await conn.fetchval(
                "SELECT count(*) FROM gateway.delivery d JOIN gateway.report_revision r "
                "ON r.id = d.revision_id WHERE d.status = 'delivered' AND r.period LIKE $1",
                f"{2000 + round_no}-%",
            )
            if done >= count:
                return count / (time.monotonic() - started)
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
        await engine.dispose()


async def _bare_round(receiver: str, count: int) -> float:
    bodies = [_body(n) for n in range(count)]
    queue = iter(bodies)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY)) as client:

        async def loop() -> None:
            for body in queue:
                response = await client.post(
                    f"{receiver}/receive", content=body,
                    headers={"content-type": "application/json"},
                )  # fmt: skip
                response.raise_for_status()

        started = time.monotonic()
        await asyncio.gather(*(loop() for _ in range(CONCURRENCY)))
        return count / (time.monotonic() - started)


@contextmanager
def _worker(env: dict[str, str]) -> Iterator[None]:
    """``ruralnet worker`` as compose runs it, stopped with SIGTERM."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "ruralnet", "worker"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


async def run(options: Options) -> list[Figure]:
    count = options.scaled(2000)
    url = await _prepare()
    env = {"DATABASE_URL": url, "GATEWAY_LOG_JSON": "true", "RURALNET_ENV": "development"}
    worker_rates: list[float] = []
    bare_rates: list[float] = []
    with uvicorn_process("bench.apps:receiver", env=env) as receiver, _worker(env):
        await _bare_round(receiver, min(count, 100))  # warm both paths
        await _worker_round(url, receiver, min(count, 100), 0)
        for round_no in range(1, ROUNDS + 1):
            bare_rates.append(await _bare_round(receiver, count))
            worker_rates.append(await _worker_round(url, receiver, count, round_no))
    worker_rates.sort()
    bare_rates.sort()
    return [
        Figure(
            f"deliveries/s, one worker ({CONCURRENCY} at once), {count} documents",
            worker_rates[len(worker_rates) // 2],
            bare_rates[len(bare_rates) // 2],
            f"bare POST loop ({CONCURRENCY} connections)",
            "docs/s",
            higher_is_better=True,
        )
    ]
