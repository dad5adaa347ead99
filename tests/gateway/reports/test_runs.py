"""Generation runs (what the queue's ``reports.generate`` does): a prefix fans out into one
payload per county; a county's payload makes its document once, hands each made or
confirmed revision to the hooks (delivery) in its transaction, and refuses an open period."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from common.bulkwrite import Database
from common.db import make_engine, make_sessionmaker
from common.errors import Unprocessable
from common.months import add_months, current_month
from gateway.reports.documents import runs
from gateway.reports.documents.models import ReportRevision
from gateway.settings import GatewaySettings
from tests.gateway.conftest import Front
from tests.gateway.registry import scene

MONTH = f"{add_months(current_month(), -1):%Y-%m}"


@pytest.fixture
async def place(front: Front, db: asyncpg.Pool) -> scene.Scene:
    return await scene.build(
        db, front.services["logistics"], front.services["training"], locations=False
    )


@pytest.fixture
def settings(front: Front, database_url: str) -> GatewaySettings:
    return GatewaySettings(
        database_url=database_url,
        registry_part_timeout=30,
        **{f"{name}_url": url for name, url in front.services.items()},  # type: ignore[arg-type]
    )


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[runs.Sessions]:
    engine = make_engine(database_url, application_name="test-runs", pool_size=2)
    maker = make_sessionmaker(engine)

    @asynccontextmanager
    async def session() -> AsyncIterator[AsyncSession]:
        async with maker() as s:
            yield s
            await s.commit()

    yield session
    await engine.dispose()


async def test_a_prefix_fans_out_and_a_county_is_made_once(
    settings: GatewaySettings, sessions: runs.Sessions, place: scene.Scene, db: asyncpg.Pool
) -> None:
    now = datetime.now(UTC)
    handed: list[tuple[int, int]] = []

    async def hook(_: Database, revision: ReportRevision) -> None:
        handed.append((revision.id, revision.revision))

    payload = runs.payload_of(runs.DocumentType.COUNTY, "1411", MONTH)
    fanned = await runs.run(settings, sessions, payload, now=now, request_id="t", hooks=[hook])
    counties = await db.fetch(
        "SELECT code FROM stations.division WHERE code LIKE '1411%' AND level = 'county'"
        " AND until_edition IS NULL ORDER BY code"
    )
    assert [p["division"] for p in fanned] == [r["code"] for r in counties]
    assert {(p["document_type"], p["document_version"], p["period"]) for p in fanned} == {
        ("county-report", "1", MONTH)
    }
    assert handed == []

    lishi = next(p for p in fanned if p["division"] == "141102000000")
    for _ in range(2):
        assert (
            await runs.run(settings, sessions, lishi, now=now, request_id="t", hooks=[hook]) == []
        )
    made = await db.fetch("SELECT id, created_by FROM gateway.report_revision")
    assert [(r["created_by"]) for r in made] == ["job:reports.generate"]
    # Made once, handed on each time: delivery dedupes by revision.
    assert handed == [(made[0]["id"], 1), (made[0]["id"], 1)]

    monthly = runs.monthly_payload(now)
    assert (monthly["division"], monthly["period"]) == ("", MONTH)


async def test_an_open_period_or_another_version_is_refused(
    settings: GatewaySettings, sessions: runs.Sessions
) -> None:
    now = datetime.now(UTC)
    running = runs.payload_of(runs.DocumentType.COUNTY, scene.COUNTY, f"{current_month():%Y-%m}")
    with pytest.raises(Unprocessable) as refused:
        await runs.run(settings, sessions, running, now=now, request_id="t", hooks=[])
    assert refused.value.code == "period_not_closed"
    old = {
        **runs.payload_of(runs.DocumentType.COUNTY, scene.COUNTY, MONTH),
        "document_version": "0",
    }
    with pytest.raises(ValueError, match="version 0"):
        await runs.run(settings, sessions, old, now=now, request_id="t", hooks=[])
