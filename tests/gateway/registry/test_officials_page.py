"""The officials' page in a real browser: Debian's chromium, headless, driven by Playwright
(never ``playwright install``: the browser is the OS package ``scripts/bootstrap.sh
--with-browser`` installs). An official signs in with phone and password, the map draws the
seeded county's stations from our own GeoJSON, a click shows the station's record, and not
one request leaves the gateway."""

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, async_playwright, expect
from pwdlib import PasswordHash

from gateway.identity.phones import PhoneIndex
from gateway.registry.page.router import ASSETS
from tests.gateway.conftest import PUBLIC_URL, Front
from tests.gateway.registry import scene
from tests.support import PHONE_INDEX_KEY, problem

CHROMIUM = "/usr/bin/chromium"
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"  # Chinese in the screenshot
ROOT = Path(__file__).resolve().parents[3]
PHONE = "13900001102"
PASSWORD = "lishi district bureau 2026"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    """Debian's chromium, installed by the project's set-up when it is missing."""
    if not Path(CHROMIUM).exists() or not Path(FONT).exists():
        subprocess.run([str(ROOT / "scripts" / "bootstrap.sh"), "--with-browser"], check=True)
    assert shutil.which(CHROMIUM), "scripts/bootstrap.sh --with-browser did not install chromium"
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=_chromium(), args=LAUNCH_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def official(db: asyncpg.Pool) -> None:
    """A county official of 离石区 who signs in with phone and password."""
    await db.execute(
        """
        INSERT INTO gateway.user_account
            (phone_index, phone_masked, display_name, role, division, password_hash, created_by)
        VALUES ($1, '139****1102', '离石区商务局', 'official', $2, $3, 'test')
        """,
        PhoneIndex(PHONE_INDEX_KEY)(PHONE),
        scene.COUNTY,
        PasswordHash.recommended().hash(PASSWORD),
    )


async def test_an_official_signs_in_sees_the_map_and_a_station(
    front: Front, db: asyncpg.Pool, browser: Browser, official: None, tmp_path: Path
) -> None:
    built = await scene.build(db, front.services["logistics"], front.services["training"])
    # Independent of the page: the county's stations that have a location.
    located = await db.fetchval(
        "SELECT count(*) FROM stations.station WHERE division_code LIKE $1 AND location IS NOT NULL",
        f"{scene.COUNTY}%",
    )
    assert located == 5
    name = await db.fetchval("SELECT name FROM stations.station WHERE code = $1", built.point)

    context = await browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    await page.goto(f"{front.gateway}/registry/")
    await page.fill("#phone", PHONE)
    await page.fill("#password", PASSWORD)
    await page.click("#signin-form button[type=submit]")
    await page.wait_for_selector("#map[data-ready=true]", timeout=60_000)
    assert await page.text_content("#status") == ""

    # Every station with a location is a point, coloured by its status.
    assert await page.get_attribute("#map", "data-points") == str(located)
    assert await page.locator("path.station-point").count() == located
    assert await page.locator("path.station-point.status-planned").count() == 1
    # County boundary from the stations service, and the two gap layers.
    assert await page.locator("path.county-boundary").count() == 1
    assert await page.get_attribute("#map", "data-gap-no-courier") == "2"  # 下罗堡村, 枣林乡
    assert await page.get_attribute("#map", "data-gap-no-trained") == "1"  # 下罗堡村
    # The dashboard against targets, in Chinese.
    assert "目标进度" in await page.text_content("#dashboard")
    assert await page.locator("#children tbody tr").count() >= 1

    await page.locator(f'path.station-point[data-code="{built.point}"]').click()
    # Waited for by locators, not page scripts: the page's CSP refuses eval, as it should.
    await expect(page.locator("#record-name")).to_have_text(name, timeout=60_000)
    record = await page.text_content("#record-body")
    assert built.point in record
    assert "运营中" in record
    assert "中通" in record  # the carrier reaching it
    assert "2 人" in record  # two residents trained

    await page.screenshot(path=str(tmp_path / "officials-page.png"), full_page=True)
    assert (tmp_path / "officials-page.png").stat().st_size > 10_000
    assert not errors, errors
    # No CDN, no tiles: every request went to the gateway that served the page.
    assert requested
    assert all(url.startswith(front.gateway + "/") for url in requested), requested
    await context.close()


async def test_a_wrong_password_is_said_in_chinese(
    front: Front, browser: Browser, official: None
) -> None:
    page = await browser.new_page(locale="zh-CN")
    await page.goto(f"{front.gateway}/registry/")
    await page.fill("#phone", PHONE)
    await page.fill("#password", "not the password")
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#signin-error")).not_to_have_text("", timeout=60_000)
    message = await page.text_content("#signin-error")
    assert message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert await page.is_hidden("#work")
    await page.close()


async def test_the_page_and_its_files_come_from_the_gateway(client: httpx.AsyncClient) -> None:
    r = await client.get("/registry")
    assert r.status_code == 308
    assert r.headers["location"] == f"{PUBLIC_URL}/registry/"
    page = await client.get("/registry/")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text  # nothing loaded from anywhere else
    for name in ASSETS:
        r = await client.get(f"/registry/assets/{name}")
        assert r.status_code == 200, name
    problem(await client.get("/registry/assets/router.py"), 404, "asset_not_found", "name")
    problem(
        await client.get("/registry/assets/..%2Fpage%2Frouter.py"), 404, "asset_not_found", "name"
    )
