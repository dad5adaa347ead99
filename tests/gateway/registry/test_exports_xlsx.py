"""XLSX exports: asked for through the gateway, built by the real job worker, downloaded by
the one who asked — a workbook with Chinese headers, a frozen header row and numbers as
numbers; another user's job is 404."""

import io
import zipfile

import asyncpg
import httpx
import pytest
from openpyxl import load_workbook

from common.auth import Principal, Role
from gateway.auth import mint_user_token
from gateway.jobs.worker import run_worker
from gateway.settings import GatewaySettings
from tests.gateway.conftest import PUBLIC_URL, Front, local, user_headers
from tests.gateway.registry import scene
from tests.support import JWT_SECRET, problem

URL = "/registry/v1/exports"
OFFICIAL = user_headers(Role.OFFICIAL, division=scene.COUNTY)
ZH = {"Accept-Language": "zh"}


@pytest.fixture
async def built(front: Front, db: asyncpg.Pool) -> scene.Scene:
    return await scene.build(db, front.services["logistics"], front.services["training"])


async def drain(front: Front, database_url: str) -> None:
    """Run the worker until no job is due: what `ruralnet worker` does, in this process."""
    settings = GatewaySettings(
        database_url=database_url,
        public_url=PUBLIC_URL,  # type: ignore[arg-type]
        **{f"{name}_url": url for name, url in front.services.items()},  # type: ignore[arg-type]
    )
    await run_worker(settings, drain=True)


async def test_station_list_workbook(
    client: httpx.AsyncClient, built: scene.Scene, front: Front, database_url: str
) -> None:
    r = await client.post(f"{URL}/stations.xlsx", params={"under": scene.COUNTY}, headers=OFFICIAL)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued"
    assert r.headers["location"] == job["url"]
    assert job["file"] is None
    early = await client.get(f"{local(job['url'])}/file", headers=OFFICIAL)
    problem(early, 409, "export_not_ready")

    await drain(front, database_url)

    done = (await client.get(local(job["url"]), headers=OFFICIAL)).json()
    assert done["status"] == "done", done
    assert done["rows"] == 5
    assert done["seconds"] >= 0
    assert "秒" in done["note"]
    f = await client.get(local(done["file"]), headers=OFFICIAL)
    assert f.status_code == 200
    assert f.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert done["size"] == len(f.content)
    assert zipfile.is_zipfile(io.BytesIO(f.content))
    sheet = load_workbook(io.BytesIO(f.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["站点编码", "站点层级", "站点名称"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5
    point = next(row for row in rows if row[0] == built.point)
    version = header.index("版本")
    lon = header.index("经度")
    assert isinstance(point[version], int | float)
    assert isinstance(point[lon], float)
    # As the JSON shows it to this official: the phone of a station they manage, unmasked.
    listed = await client.get(f"/stations/v1/stations/{built.point}", headers=OFFICIAL)
    assert point[header.index("状态")] == "运营中"
    assert point[lon] == pytest.approx(listed.json()["location"]["lon"])


async def test_gap_and_dashboard_workbooks(
    client: httpx.AsyncClient, built: scene.Scene, front: Front, database_url: str
) -> None:
    gaps = await client.post(
        f"{URL}/gaps/points-without-carrier.xlsx", params={"division": scene.COUNTY},
        headers=OFFICIAL,
    )  # fmt: skip
    board = await client.post(f"{URL}/dashboards/{scene.COUNTY}.xlsx", headers=OFFICIAL)
    assert gaps.status_code == board.status_code == 202, (gaps.text, board.text)
    await drain(front, database_url)
    for asked, expected_rows in ((gaps, 1), (board, None)):
        job = (await client.get(local(asked.json()["url"]), headers=OFFICIAL)).json()
        assert job["status"] == "done", job
        f = await client.get(local(job["file"]), headers=OFFICIAL)
        sheet = load_workbook(io.BytesIO(f.content)).active
        assert sheet.freeze_panes == "A2"
        if expected_rows is not None:
            assert job["rows"] == expected_rows
            assert sheet.cell(2, 3).value == built.bare_point
        else:
            assert job["rows"] > 0
            header = [c.value for c in sheet[1]]
            value = header.index("数值")
            numbers = [r[value] for r in sheet.iter_rows(min_row=2, values_only=True)]
            assert any(isinstance(n, int | float) for n in numbers)


async def test_bad_input(client: httpx.AsyncClient, built: scene.Scene) -> None:
    problem(await client.post(f"{URL}/stations.xlsx"), 401, "authentication_required")
    problem(await client.post(f"{URL}/stations.xlsx", params={"bbox": "1,2"}, headers=OFFICIAL),
            422, "invalid_bbox", "bbox")  # fmt: skip
    problem(await client.post(f"{URL}/gaps/points-without-carrier.xlsx",
                              params={"period": "2026-00"}, headers=OFFICIAL),
            422, "invalid_period", "period")  # fmt: skip
    outside = user_headers(Role.OFFICIAL, division="141124")
    problem(await client.post(f"{URL}/dashboards/{scene.COUNTY}.xlsx", headers=outside), 403,
            "outside_scope")  # fmt: skip
    # Another user's job: as absent as none.
    mine = await client.post(f"{URL}/stations.xlsx", params={"under": scene.COUNTY},
                             headers=OFFICIAL)  # fmt: skip
    assert mine.status_code == 202
    # Another person of the same county and role: not the one who asked.
    other = Principal(subject="user:9002", role=Role.OFFICIAL, division=scene.COUNTY)
    someone_else = {"Authorization": f"Bearer {mint_user_token(other, secret=JWT_SECRET)}"}
    theirs = problem(await client.get(local(mine.json()["url"]), headers={**someone_else, **ZH}),
                     404, "export_not_found", "export_id")  # fmt: skip
    assert "导出" in theirs["detail"]
    problem(await client.get(f"{local(mine.json()['url'])}/file", headers=someone_else), 404,
            "export_not_found")  # fmt: skip
    problem(await client.get(f"{URL}/jobs/not-a-uuid", headers=OFFICIAL), 422,
            "validation_failed", "export_id")  # fmt: skip
