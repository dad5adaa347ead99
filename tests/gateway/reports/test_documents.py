"""Report documents through the gateway: a county's month made from the services' figures,
valid against its own published schema, stored once per content (a correction makes a
revision naming the one it supersedes), roll-ups from the same queries, CSV and XLSX, and
every bad input with its problem in Chinese."""

import asyncio
import hashlib
import io
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack

import asyncpg
import httpx
import jsonschema
import pytest
import rfc8785

from common.auth import NATION, Role
from common.months import add_months, current_month
from gateway.app import create as create_gateway
from gateway.settings import GatewaySettings
from tests.gateway.conftest import PUBLIC_URL, Front, local, user_headers
from tests.gateway.registry import scene
from tests.jobs.support import waiting_for_lock
from tests.stations.factories import insert_report
from tests.support import closed_port, problem, serve

COUNTY_OFFICIAL = user_headers(Role.OFFICIAL, division=scene.COUNTY)
ADMIN = user_headers(Role.ADMIN)
ZH = {"Accept-Language": "zh"}
LAST = add_months(current_month(), -1)
MONTH = f"{LAST:%Y-%m}"
URL = f"/reports/v1/documents/{scene.COUNTY}/{MONTH}"


@pytest.fixture
async def place(front: Front, db: asyncpg.Pool) -> scene.Scene:
    return await scene.build(
        db, front.services["logistics"], front.services["training"], locations=False
    )


async def _schema(client: httpx.AsyncClient, document: str, version: int = 1) -> dict:
    r = await client.get(f"/reports/v1/schemas/{document}/{version}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/schema+json")
    return r.json()


async def test_a_county_month_valid_against_its_schema_stored_once(
    client: httpx.AsyncClient, place: scene.Scene, db: asyncpg.Pool
) -> None:
    r = await client.post(URL, headers=COUNTY_OFFICIAL)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["created"], made["revision"], made["supersedes"]) == (True, 1, None)
    assert made["document"] == "county-report"
    assert made["version"] == 1
    assert r.headers["location"] == made["href"]
    assert made["href"].startswith(PUBLIC_URL + "/reports/v1/documents/141102000000/")
    content = made["content"]
    assert (content["document"], content["version"]) == ("county-report", 1)
    assert content["division"] == {"code": "141102000000", "name": "离石区", "level": "county"}
    assert content["period"]["label"] == MONTH
    assert content["period"]["kind"] == "month"

    schema = await _schema(client, "county-report")
    assert made["schema_url"] == PUBLIC_URL + "/reports/v1/schemas/county-report/1"
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(content, schema, cls=jsonschema.Draft202012Validator)

    # The hash is sha256 of the content's canonical JSON, as a receiver can check it.
    assert made["content_hash"] == "sha256:" + hashlib.sha256(rfc8785.dumps(content)).hexdigest()

    # The figures, against the stations' own tables.
    network = content["network"]
    assert network["stations"] == 5
    assert network["by_tier"]["village"]["operating"] == 1
    assert network["by_tier"]["village"]["accepted"] == 1
    assert network["by_tier"]["village"]["planned"] == 1
    assert network["by_status"]["total"] == 5
    month = content["operations"]["months"]
    assert [m["month"] for m in month] == [MONTH]
    assert (month[0]["reports"], month[0]["upward_orders"]) == (1, 214)
    assert month[0]["upward_amount"] == "18650.00"
    assert (month[0]["expected"], month[0]["reported"]) == (4, 1)
    assert content["logistics"]["township_coverage"]["reached"] == 1
    assert content["programme"]["projects"]["total"] == 0

    # The same figures again: no new revision, the first one stands.
    again = await client.post(URL, headers=COUNTY_OFFICIAL)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["id"]) == (False, made["id"])
    assert await db.fetchval("SELECT count(*) FROM gateway.report_revision") == 1

    # Stored immutable: the database itself refuses to rewrite or remove a revision.
    with pytest.raises(asyncpg.exceptions.RestrictViolationError, match="immutable"):
        await db.execute("UPDATE gateway.report_revision SET body = '\\x7b7d'::bytea")
    with pytest.raises(asyncpg.exceptions.RestrictViolationError, match="immutable"):
        await db.execute("DELETE FROM gateway.report_revision")


async def test_a_correction_makes_a_revision_naming_the_one_it_supersedes(
    client: httpx.AsyncClient, place: scene.Scene, db: asyncpg.Pool
) -> None:
    first = (await client.post(URL, headers=COUNTY_OFFICIAL)).json()
    # A late report of the month arrives for 下罗堡村's point: the figures change.
    station = await db.fetchval("SELECT id FROM stations.station WHERE code = $1", place.bare_point)
    await insert_report(db, station, LAST, upward_orders=10)
    r = await client.post(URL, headers=ADMIN)
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["revision"] == 2
    assert second["supersedes"] == {
        "revision": 1,
        "content_hash": first["content_hash"],
        "href": first["href"],
    }
    assert second["content_hash"] != first["content_hash"]
    assert second["content"]["operations"]["total"]["upward_orders"] == 224
    assert second["content"]["operations"]["months"][0]["reported"] == 2

    listed = await client.get(URL, headers=COUNTY_OFFICIAL)
    assert listed.status_code == 200, listed.text
    assert [(x["revision"], x["supersedes"]) for x in listed.json()["revisions"]] == [
        (2, 1),
        (1, None),
    ]
    # The superseded revision is kept exactly as it was made.
    old = await client.get(local(first["href"]), headers=COUNTY_OFFICIAL)
    assert old.status_code == 200, old.text
    assert old.json()["content"] == first["content"]
    assert old.json()["content_hash"] == first["content_hash"]
    latest = await client.get(f"{URL}/revisions/latest", headers=COUNTY_OFFICIAL)
    assert latest.json()["revision"] == 2
    stored = await db.fetch(
        "SELECT revision, supersedes_id, content_hash, body FROM gateway.report_revision"
        " ORDER BY revision"
    )
    assert [r["supersedes_id"] for r in stored] == [None, first["id"]]
    for row in stored:
        assert row["content_hash"] == "sha256:" + hashlib.sha256(row["body"]).hexdigest()


async def _gateway_waiting(db: asyncpg.Pool, count: int) -> None:
    await waiting_for_lock(db, count, application="ruralnet-gateway%")


@pytest.mark.parametrize("correction", [False, True], ids=["first", "after-a-correction"])
async def test_two_generations_at_once_make_one_revision(
    client: httpx.AsyncClient, place: scene.Scene, db: asyncpg.Pool, correction: bool
) -> None:
    """Both read the figures, then one makes the revision and the other, having waited for
    it, finds the same content and confirms it. The interleaving is forced: a connection of
    the test holds the revisions table against inserts until both wait in the database."""
    older = None
    if correction:
        older = (await client.post(URL, headers=ADMIN)).json()
        station = await db.fetchval(
            "SELECT id FROM stations.station WHERE code = $1", place.bare_point
        )
        await insert_report(db, station, LAST, upward_orders=10)
    await db.execute("DELETE FROM gateway.pgqueuer")
    async with db.acquire() as blocker, blocker.transaction():
        await blocker.execute("LOCK TABLE gateway.report_revision IN SHARE ROW EXCLUSIVE MODE")
        both = [asyncio.ensure_future(client.post(URL, headers=ADMIN)) for _ in range(2)]
        await _gateway_waiting(db, 2)  # one at its insert, the other behind its lock
        assert not any(t.done() for t in both)
    answers = await asyncio.gather(*both)
    assert sorted(r.status_code for r in answers) == [200, 201], [r.text for r in answers]
    made, confirmed = sorted((r.json() for r in answers), key=lambda a: not a["created"])
    assert (made["created"], confirmed["created"]) == (True, False)
    assert confirmed["id"] == made["id"]
    assert made["revision"] == confirmed["revision"] == (2 if correction else 1)
    assert confirmed["supersedes"] == made["supersedes"]
    if older is not None:
        assert made["supersedes"]["content_hash"] == older["content_hash"]
    assert confirmed["content_hash"] == made["content_hash"]
    assert confirmed["content"] == made["content"]
    assert await db.fetchval("SELECT count(*) FROM gateway.report_revision") == (
        2 if correction else 1
    )
    # Each generation, made or confirmed, hands the revision to delivery (ADR 0082).
    announced = await db.fetch(
        "SELECT convert_from(payload, 'UTF8') AS p FROM gateway.pgqueuer"
        " WHERE entrypoint = 'reports.revision_ready'"
    )
    assert [p["p"] for p in announced] == [f'{{"revision_id":{made["id"]}}}'] * 2


async def test_roll_ups_are_built_from_the_same_queries(
    client: httpx.AsyncClient, place: scene.Scene
) -> None:
    county = (await client.post(URL, headers=ADMIN)).json()["content"]
    for division, document, level in (
        ("1411", "prefecture-report", "prefecture"),
        ("14", "province-report", "province"),
        (NATION, "national-report", "nation"),
    ):
        r = await client.post(f"/reports/v1/documents/{division}/{MONTH}", headers=ADMIN)
        assert r.status_code == 201, r.text
        content = r.json()["content"]
        assert (content["document"], content["division"]["level"]) == (document, level)
        jsonschema.validate(content, await _schema(client, document))
        # Only 离石区 has stations, reports and couriers: the roll-ups hold its figures.
        assert content["network"]["by_tier"] == county["network"]["by_tier"]
        assert content["operations"]["total"] == county["operations"]["total"]
        assert content["logistics"]["township_coverage"]["reached"] == 1
        assert (
            content["network"]["township_coverage"]["total"]
            >= county["network"]["township_coverage"]["total"]
        )
    national = await client.get(f"/reports/v1/documents/nation/{MONTH}/revisions/1", headers=ADMIN)
    assert national.json()["division"] == "nation"
    assert national.json()["content"]["division"]["code"] is None


async def test_a_quarter_and_a_year_list_every_month(
    client: httpx.AsyncClient, place: scene.Scene
) -> None:
    year = LAST.year - 1
    r = await client.post(f"/reports/v1/documents/{scene.COUNTY}/{year}-Q4", headers=ADMIN)
    assert r.status_code == 201, r.text
    months = r.json()["content"]["operations"]["months"]
    assert [m["month"] for m in months] == [f"{year}-10", f"{year}-11", f"{year}-12"]
    assert all(m["expected"] == 4 for m in months)
    r = await client.post(f"/reports/v1/documents/{scene.COUNTY}/{year}", headers=ADMIN)
    assert r.status_code == 201, r.text
    content = r.json()["content"]
    assert len(content["operations"]["months"]) == 12
    assert content["period"] == {
        "label": str(year), "kind": "year", "from": f"{year}-01-01", "to": f"{year}-12-31",
    }  # fmt: skip


async def test_csv_and_xlsx_render_the_same_document_in_chinese(
    client: httpx.AsyncClient, place: scene.Scene
) -> None:
    made = (await client.post(URL, headers=COUNTY_OFFICIAL)).json()
    r = await client.get(local(made["csv"]), headers=COUNTY_OFFICIAL)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff分项,项目,数值,字段")
    lines = {line.split(",")[3].strip(): line for line in text.splitlines()[1:]}
    assert "站点运营 / 合计 / 农产品上行订单数" not in lines  # the label is the 2nd column …
    assert lines["operations.total.upward_orders"].split(",")[1:3] == [
        "合计 / 农产品上行订单数",
        "214",
    ]
    assert lines["network.by_tier.village.operating"].startswith(
        "服务站点网络,按层级 / 村级服务点 / 运营,1"
    )

    x = await client.get(local(made["xlsx"]), headers=COUNTY_OFFICIAL)
    assert x.status_code == 200, x.text
    assert x.headers["content-type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(x.content)) as book:
        workbook = book.read("xl/workbook.xml").decode()
        assert 'name="报告"' in workbook
        assert 'name="各月"' in workbook
        names = book.namelist()
        sheet = "".join(
            book.read(n).decode()
            for n in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml")
            if n in names
        )
    assert "农产品上行订单数" in sheet
    assert "离石区" in sheet


def _labels(schema: dict) -> list[str]:
    """Every property of the schema (and of its definitions) without a Chinese title and
    description."""
    missing = []
    for owner, definition in [("", schema), *schema.get("$defs", {}).items()]:
        for name, prop in definition.get("properties", {}).items():
            for key in ("title", "description"):
                value = prop.get(key, "")
                if not any("\u4e00" <= ch <= "\u9fff" for ch in value):
                    missing.append(f"{owner}.{name}.{key}")
    return missing


async def test_every_published_field_has_a_chinese_label(client: httpx.AsyncClient) -> None:
    listed = await client.get("/reports/v1/schemas")
    assert listed.status_code == 200, listed.text
    documents = [d["document"] for d in listed.json()]
    assert documents == ["county-report", "prefecture-report", "province-report",
                         "national-report"]  # fmt: skip
    for document in documents:
        schema = await _schema(client, document)
        assert schema["title"].endswith("报告")
        assert schema["properties"]["document"]["const"] == document
        assert schema["$id"] == f"{PUBLIC_URL}/reports/v1/schemas/{document}/1"
        assert _labels(schema) == []


async def test_bad_input_gets_a_problem_in_chinese(client: httpx.AsyncClient, front: Front) -> None:
    official = {**COUNTY_OFFICIAL, **ZH}
    running = f"{current_month():%Y-%m}"
    r = await client.post(f"/reports/v1/documents/{scene.COUNTY}/{running}", headers=official)
    body = problem(r, 422, "period_not_closed", "period")
    assert "尚未结束" in body["detail"]
    year = current_month().year
    r = await client.post(f"/reports/v1/documents/{scene.COUNTY}/{year}", headers=official)
    assert "尚未结束" in problem(r, 422, "period_not_closed", "period")["detail"]
    r = await client.post(f"/reports/v1/documents/{scene.COUNTY}/{year + 1}-Q1", headers=official)
    assert "尚未开始" in problem(r, 422, "future_period", "period")["detail"]
    for malformed in ("2026-13", "2026-Q5", "26-01", "1989", "abc"):
        r = await client.post(f"/reports/v1/documents/{scene.COUNTY}/{malformed}", headers=official)
        assert "应为年、季度或月份" in problem(r, 422, "invalid_period", "period")["detail"]
    r = await client.post(f"/reports/v1/documents/14112/{MONTH}", headers=official)
    problem(r, 422, "invalid_division_code", "division")
    r = await client.post(f"/reports/v1/documents/141102100000/{MONTH}", headers=official)
    assert "乡镇" in problem(r, 422, "wrong_division_level", "division")["detail"]

    # Outside the caller's scope, or not the caller's to make.
    r = await client.post(f"/reports/v1/documents/141124/{MONTH}", headers=official)
    problem(r, 403, "outside_scope")
    r = await client.post(f"/reports/v1/documents/nation/{MONTH}", headers=official)
    assert "全国" in problem(r, 403, "outside_scope")["detail"]
    r = await client.get(f"/reports/v1/documents/141124/{MONTH}", headers=official)
    problem(r, 403, "outside_scope")
    platform = user_headers(Role.PLATFORM, division="14")
    r = await client.post(URL, headers=platform)
    problem(r, 403, "role_forbidden")
    r = await client.post(URL)
    problem(r, 401, "authentication_required")

    # Unknown documents and versions.
    r = await client.get("/reports/v1/schemas/county-report/2", headers=ZH)
    assert "第 2 版" in problem(r, 404, "unknown_document_version", "version")["detail"]
    r = await client.get("/reports/v1/schemas/county-report/v1", headers=ZH)
    problem(r, 404, "unknown_document_version", "version")
    r = await client.get("/reports/v1/schemas/township-report/1", headers=ZH)
    problem(r, 404, "unknown_document_type", "document")
    r = await client.get(f"{URL}/revisions/1", headers=official)
    assert "没有" in problem(r, 404, "report_not_found")["detail"]
    r = await client.get(f"{URL}/revisions/first", headers=official)
    problem(r, 422, "invalid_revision", "revision")
    r = await client.get(f"{URL}/revisions/latest?format=pdf", headers=official)
    assert r.status_code == 422, r.text


@pytest.fixture(scope="module")
def without_logistics(front: Front, database_url: str) -> Iterator[str]:
    """A gateway whose logistics service is down."""
    with ExitStack() as stack:
        port = stack.enter_context(closed_port())
        settings = GatewaySettings(
            database_url=database_url,
            registry_part_timeout=30,
            stations_url=front.services["stations"],  # type: ignore[arg-type]
            logistics_url=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
            training_url=front.services["training"],  # type: ignore[arg-type]
            programme_url=front.services["programme"],  # type: ignore[arg-type]
        )
        yield stack.enter_context(serve(create_gateway(settings)))


async def test_a_service_down_makes_no_document(
    without_logistics: str, place: scene.Scene, db: asyncpg.Pool
) -> None:
    async with httpx.AsyncClient(base_url=without_logistics, timeout=60) as client:
        r = await client.post(URL, headers={**COUNTY_OFFICIAL, **ZH})
    body = problem(r, 503, "report_incomplete")
    assert "logistics" in body["detail"]
    assert "稍后重试" in body["detail"]
    assert r.headers["retry-after"] == "30"
    assert await db.fetchval("SELECT count(*) FROM gateway.report_revision") == 0
