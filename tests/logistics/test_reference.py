"""The division reference copy (docs/adr/0020): equal to stations' list, reloaded when an
import announces itself, judged and counted without asking stations."""

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from common.db import make_engine, make_read_sessionmaker
from common.identifiers import DivisionClass, DivisionLevel
from common.reference import DivisionRule, division_problem, divisions_by_code, units_under
from common.settings import plain_database_url
from ruralnet.cli import migrate_all
from services.logistics.reference.models import LogisticsDivision
from services.logistics.stations_feed import REFERENCE
from services.stations.app import create as create_stations
from services.stations.divisions.importer import import_boundaries, import_divisions
from services.stations.settings import StationsSettings
from tests.logistics.test_stations_feed import catch_up, consumer_for
from tests.support import scratch_database

VILLAGE_RULE = DivisionRule(
    levels=[DivisionLevel.VILLAGE],
    classes=[DivisionClass.VILLAGE_COMMITTEE],
    what="coverage",
    what_zh="覆盖记录",
)


async def test_the_copy_equals_stations_list(db: asyncpg.Pool) -> None:
    def summary(schema: str, table: str) -> str:
        return (
            f"SELECT level, division_class, count(*), min(code), max(code),"
            f" count(*) FILTER (WHERE until_edition IS NOT NULL) FROM {schema}.{table}"
            " GROUP BY 1, 2 ORDER BY 1, 2"
        )

    ours = await db.fetch(summary("logistics", "reference_division"))
    theirs = await db.fetch(summary("stations", "division"))
    assert ours == theirs
    assert len(ours) > 5
    same_geometry = await db.fetchval(
        "SELECT count(*) FROM logistics.reference_county_boundary r"
        " JOIN stations.county_boundary s ON s.county_code = r.county_code AND s.geom = r.geom"
    )
    assert same_geometry == await db.fetchval("SELECT count(*) FROM stations.county_boundary")


async def test_rules_and_counts_on_the_copy(database_url: str) -> None:
    engine = make_engine(database_url, application_name="ruralnet-logistics:test")
    maker = make_read_sessionmaker(engine)
    codes = ["141102100200", "141102001001", "141102000000", "141102999999"]
    async with maker() as session:
        found = await divisions_by_code(session, LogisticsDivision, codes)
        judged = {code: division_problem(code, found.get(code), VILLAGE_RULE) for code in codes}
        villages = len((await session.execute(units_under(
            LogisticsDivision, "141102", level=DivisionLevel.VILLAGE,
            classes=[DivisionClass.VILLAGE_COMMITTEE],
        ))).all())  # fmt: skip
    await engine.dispose()
    assert judged["141102100200"] is None
    assert {code: p.code for code, p in judged.items() if p is not None} == {
        "141102001001": "wrong_division_class",
        "141102000000": "wrong_division_level",
        "141102999999": "unknown_division",
    }
    assert "居委会" in (judged["141102001001"].detail_zh or "")  # type: ignore[union-attr]
    assert villages > 50


def _divisions(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("code,name\n" + "".join(f"{c},{n}\n" for c, n in rows), encoding="utf-8")
    return path


SMALL = [
    ("53", "云南省"),
    ("5328", "西双版纳傣族自治州"),
    ("532801", "景洪市"),
    ("532801100", "勐龙镇"),
    ("532801100201", "曼龙勒村委会"),
    ("532801100202", "曼别村委会"),
]


@pytest.fixture
async def scratch(database_url: str) -> AsyncIterator[str]:
    async with scratch_database(database_url, "reference") as url:
        # Alembic's env.py runs its own event loop; give it a thread without one.
        await asyncio.to_thread(migrate_all, url)
        yield url


async def test_imports_announce_themselves_and_the_copy_follows(
    scratch: str, tmp_path: Path
) -> None:
    conn = await asyncpg.connect(plain_database_url(scratch))
    app = create_stations(StationsSettings(database_url=scratch))
    consumer = consumer_for(scratch)
    try:
        await import_divisions(conn, _divisions(tmp_path / "2023.csv", SMALL), edition=2023)
        async with (
            LifespanManager(app),
            consumer.client(transport=httpx.ASGITransport(app=app)) as client,
        ):
            feed = await consumer.connect()
            try:
                await REFERENCE.on_start(feed, client)  # an empty copy is loaded first
                copy = "SELECT code, until_edition FROM logistics.reference_division ORDER BY code"
                assert len(await conn.fetch(copy)) == len(SMALL)

                # 2024: 曼别 merged away, 曼飞龙 new; then a boundary for 景洪.
                edition = [*SMALL[:5], ("532801100203", "曼飞龙村委会")]
                file = _divisions(tmp_path / "2024.csv", edition)
                await import_divisions(conn, file, edition=2024, retire_missing=True)
                await import_boundaries(conn, _square(tmp_path), source="test")
                await catch_up(consumer, feed, client)
                assert dict(await conn.fetch(copy))["532801100202"] == 2023
                assert dict(await conn.fetch(copy))["532801100203"] is None
                boundaries = "SELECT count(*) FROM logistics.reference_county_boundary"
                assert await conn.fetchval(boundaries) == 1

                # Importing the same again changes nothing and announces nothing.
                events = "SELECT count(*) FROM stations.change_event"
                before = await conn.fetchval(events)
                await import_divisions(conn, file, edition=2024, retire_missing=True)
                await import_boundaries(conn, _square(tmp_path), source="test")
                assert await conn.fetchval(events) == before == 3
            finally:
                await feed.close()
    finally:
        await conn.close()


def _square(tmp_path: Path) -> Path:
    ring = [[100.5, 21.8], [101.2, 21.8], [101.2, 22.3], [100.5, 22.3], [100.5, 21.8]]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"gb": "156532801"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    path = tmp_path / "counties.geojson.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(collection, f)
    return path
