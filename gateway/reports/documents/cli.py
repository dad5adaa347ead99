"""``ruralnet reports generate``: make (or confirm) the report documents of a closed period
now, in this process — every county's month by default — asking the running services
(``GATEWAY_STATIONS_URL`` …) as the gateway does; the same run the queue's
``reports.generate`` makes (``runs.py``).

    ruralnet reports generate --period 2026-10                 # every county
    ruralnet reports generate --period 2026-Q3 --division 14   # Shanxi's counties
    ruralnet reports generate --period 2026 --document province-report
"""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession
from tqdm import tqdm

from common.db import make_engine, make_sessionmaker
from common.errors import Problem
from gateway.reports.documents import runs
from gateway.reports.documents.subjects import DocumentType
from gateway.settings import GatewaySettings

app = typer.Typer(no_args_is_help=True, help="Report documents (issue 13).")
AT_ONCE = 4


async def _generate(document: DocumentType, division: str, period: str) -> tuple[int, int]:
    settings = GatewaySettings()
    engine = make_engine(
        settings.database_url, application_name="ruralnet-reports", pool_size=AT_ONCE
    )
    maker = make_sessionmaker(engine)

    @asynccontextmanager
    async def session() -> AsyncIterator[AsyncSession]:
        async with maker() as s:
            yield s
            await s.commit()

    now = datetime.now(UTC)
    done = failed = 0
    try:
        payloads = [runs.payload_of(document, division, period)]
        fanned = await runs.run(settings, session, payloads[0], now=now, request_id="cli", hooks=[])
        if not fanned:
            return 1, 0
        limit = asyncio.Semaphore(AT_ONCE)
        bar = tqdm(total=len(fanned), unit="document")

        async def one(payload: runs.Payload) -> None:
            nonlocal done, failed
            async with limit:
                try:
                    await runs.run(settings, session, payload, now=now, request_id="cli", hooks=[])
                    done += 1
                except Problem as e:
                    failed += 1
                    tqdm.write(f"{payload['division']}: {e.code} {e.detail}")
                bar.update()

        await asyncio.gather(*(one(p) for p in fanned))
        bar.close()
    finally:
        await engine.dispose()
    return done, failed


@app.command("generate")
def generate(
    period: Annotated[str, typer.Option(help="a closed month, quarter or year: 2026-10")],
    document: Annotated[DocumentType, typer.Option()] = DocumentType.COUNTY,
    division: Annotated[str, typer.Option(help="a code prefix, or one division; '' all")] = "",
) -> None:
    started = time.perf_counter()
    try:
        done, failed = asyncio.run(_generate(document, division, period))
    except Problem as e:
        typer.echo(f"{e.code}: {e.detail}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"{done} documents made or confirmed, {failed} failed, in {time.perf_counter() - started:.0f} s"
    )
    if failed:
        raise typer.Exit(1)
