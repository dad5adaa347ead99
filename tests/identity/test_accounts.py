"""Accounts and delegated administration: who may create and disable whom, what the stations
service must confirm, the password policy, and sessions that end when rights change."""

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from gateway.app import create as create_gateway
from tests.identity.conftest import Tokens, create_user, login
from tests.stations.factories import insert_station
from tests.support import problem

COUNTY = "141124"  # 临县
OTHER_COUNTY = "141125"
VILLAGE = "141124100201"


@pytest.fixture
async def county_official(gw: httpx.AsyncClient, admin: Tokens) -> Tokens:
    await create_user(gw, admin, phone="13900000100", role="official", division=COUNTY)
    return await login(gw, "13900000100", "shanxi lin county 9")


async def test_an_admin_creates_an_official_on_a_real_division(
    gw: httpx.AsyncClient, admin: Tokens
) -> None:
    r = await gw.post(
        "/auth/users",
        json={
            "phone": "139 0000 0200",
            "display_name": "李强",
            "role": "official",
            "division": "141100000000",
            "password": "lvliang city bureau",
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["division"] == "1411"
    assert body["phone"] == "139****0200"
    assert body["created_by"].startswith("user:")
    assert r.headers["location"] == f"/auth/users/{body['id']}"
    assert r.headers["etag"] == '"1"'
    unknown = await gw.post(
        "/auth/users",
        json={
            "phone": "13900000201",
            "display_name": "x",
            "role": "official",
            "division": "149900",
            "password": "lvliang city bureau",
        },
        headers={**admin.headers, "Accept-Language": "zh"},
    )
    assert "不存在" in problem(unknown, 422, "division_not_found", field="division")["detail"]
    taken = await gw.post(
        "/auth/users",
        json={
            "phone": "13900000200",
            "display_name": "x",
            "role": "official",
            "division": "1411",
            "password": "lvliang city bureau",
        },
        headers=admin.headers,
    )
    problem(taken, 409, "phone_taken", field="phone")


async def test_an_official_manages_only_inside_and_never_wider(
    gw: httpx.AsyncClient, county_official: Tokens
) -> None:
    ok = await create_user(
        gw, county_official, phone="13900000101", role="official", division="141124100"
    )
    assert ok["division"] == "141124100"
    same = await create_user(
        gw, county_official, phone="13900000102", role="official", division=COUNTY
    )
    assert same["division"] == COUNTY
    base = {"display_name": "x", "password": "shanxi lin county 9", "role": "official"}
    wider = await gw.post(
        "/auth/users",
        json={**base, "phone": "13900000103", "division": "1411"},
        headers={**county_official.headers, "Accept-Language": "zh"},
    )
    assert "更大的管辖范围" in problem(wider, 403, "scope_wider_than_yours")["detail"]
    nation = await gw.post(
        "/auth/users",
        json={**base, "phone": "13900000104", "division": "nation"},
        headers=county_official.headers,
    )
    problem(nation, 403, "scope_wider_than_yours")
    outside = await gw.post(
        "/auth/users",
        json={**base, "phone": "13900000105", "division": OTHER_COUNTY},
        headers=county_official.headers,
    )
    problem(outside, 403, "outside_scope")
    admin_account = await gw.post(
        "/auth/users",
        json={**base, "phone": "13900000106", "role": "admin", "division": None},
        headers=county_official.headers,
    )
    problem(admin_account, 403, "admins_only")


async def test_an_operator_is_bound_to_an_open_station_that_exists(
    gw: httpx.AsyncClient, county_official: Tokens, db: asyncpg.Pool
) -> None:
    open_station = await insert_station(db, VILLAGE)
    closed = await insert_station(db, "141124100202", status="closed")
    base = {"display_name": "赵大山", "password": "village point 2024", "role": "operator"}
    one = await create_user(
        gw, county_official, **{**base, "phone": "13900000300", "station": open_station.code}
    )
    two = await create_user(
        gw, county_official, **{**base, "phone": "13900000301", "station": open_station.code}
    )
    assert one["station"] == two["station"] == open_station.code  # several per station
    unknown = await gw.post(
        "/auth/users",
        json={**base, "phone": "13900000302", "station": "141124100203-01"},
        headers=county_official.headers,
    )
    problem(unknown, 422, "station_not_found", field="station")
    shut = await gw.post(
        "/auth/users",
        json={**base, "phone": "13900000303", "station": closed.code},
        headers={**county_official.headers, "Accept-Language": "zh"},
    )
    assert "已关闭" in problem(shut, 422, "station_closed", field="station")["detail"]
    elsewhere = await gw.post(
        "/auth/users",
        json={**base, "phone": "13900000304", "station": "141125100201-01"},
        headers=county_official.headers,
    )
    problem(elsewhere, 403, "outside_scope")
    missing = await gw.post(
        "/auth/users", json={**base, "phone": "13900000305"}, headers=county_official.headers
    )
    problem(missing, 422, "missing_scope", field="station")


WEAK = [
    ("short1", "password_too_short"),
    ("woaini1314", "password_common"),
    ("Password1", "password_common"),
    ("aaaaaaaaaaaa", "password_common"),
    ("my13900000400pw", "password_contains_phone"),
    ("tab\there-is-bad", "password_invalid"),
]


async def test_weak_passwords_are_refused_with_what_is_wrong(
    gw: httpx.AsyncClient, admin: Tokens
) -> None:
    for password, code in WEAK:
        r = await gw.post(
            "/auth/users",
            json={
                "phone": "13900000400",
                "display_name": "x",
                "role": "official",
                "division": COUNTY,
                "password": password,
            },
            headers={**admin.headers, "Accept-Language": "zh"},
        )
        body = problem(r, 422, code, field="password")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), password


async def test_a_bad_phone_or_scope_names_the_field(gw: httpx.AsyncClient, admin: Tokens) -> None:
    base = {"display_name": "x", "role": "official", "password": "shanxi lin county 9"}
    bad_phone = await gw.post(
        "/auth/users",
        json={**base, "phone": "12800138000", "division": COUNTY},
        headers=admin.headers,
    )
    assert (
        problem(bad_phone, 422, "validation_failed", field="phone")["errors"][0]["code"]
        == "invalid_phone"
    )
    bad_scope = await gw.post(
        "/auth/users",
        json={**base, "phone": "13900000500", "division": "14110"},
        headers=admin.headers,
    )
    assert (
        problem(bad_scope, 422, "validation_failed", field="division")["errors"][0]["code"]
        == "invalid_scope"
    )
    zh = await gw.post(
        "/auth/users",
        json={**base, "phone": "13900000500", "division": "14110"},
        headers={**admin.headers, "Accept-Language": "zh"},
    )
    assert "管辖范围" in zh.json()["errors"][0]["detail"]


async def test_disabling_ends_every_session_at_once(
    gw: httpx.AsyncClient, admin: Tokens, county_official: Tokens
) -> None:
    me = (await gw.get("/auth/me", headers=county_official.headers)).json()["account"]
    no_tag = await gw.patch(
        f"/auth/users/{me['id']}", json={"status": "disabled"}, headers=admin.headers
    )
    problem(no_tag, 428, "if_match_required")
    r = await gw.patch(
        f"/auth/users/{me['id']}",
        json={"status": "disabled"},
        headers={**admin.headers, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "disabled"
    problem(await gw.get("/auth/me", headers=county_official.headers), 401, "token_revoked")
    refresh = await gw.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": county_official.refresh},
    )
    problem(refresh, 400, "session_ended")
    again = await gw.post(
        "/auth/token",
        data={
            "grant_type": "password",
            "username": "13900000100",
            "password": "shanxi lin county 9",
        },
        headers={"Accept-Language": "zh"},
    )
    assert "已停用" in problem(again, 403, "user_disabled")["detail"]
    # The admin's own session is untouched, and nobody disables themself.
    admin_id = (await gw.get("/auth/me", headers=admin.headers)).json()["account"]["id"]
    problem(
        await gw.patch(
            f"/auth/users/{admin_id}",
            json={"status": "disabled"},
            headers={**admin.headers, "If-Match": '"1"'},
        ),
        409,
        "cannot_disable_yourself",
    )


async def test_changing_a_password_ends_the_sessions(
    gw: httpx.AsyncClient, county_official: Tokens
) -> None:
    wrong = await gw.put(
        "/auth/me/password",
        json={"current_password": "not it at all", "new_password": "a new phrase 2025"},
        headers=county_official.headers,
    )
    problem(wrong, 403, "current_password_wrong", field="current_password")
    weak = await gw.put(
        "/auth/me/password",
        json={"current_password": "shanxi lin county 9", "new_password": "12345678"},
        headers=county_official.headers,
    )
    problem(weak, 422, "password_common", field="new_password")
    r = await gw.put(
        "/auth/me/password",
        json={"current_password": "shanxi lin county 9", "new_password": "a new phrase 2025"},
        headers=county_official.headers,
    )
    assert r.status_code == 204, r.text
    problem(await gw.get("/auth/me", headers=county_official.headers), 401, "token_revoked")
    await login(gw, "13900000100", "a new phrase 2025")


async def test_officials_see_only_the_accounts_of_their_subtree(
    gw: httpx.AsyncClient, admin: Tokens, county_official: Tokens
) -> None:
    other = await create_user(
        gw, admin, phone="13900000600", role="official", division=OTHER_COUNTY
    )
    mine = await create_user(
        gw, county_official, phone="13900000601", role="official", division="141124100"
    )
    listed = await gw.get("/auth/users", headers=county_official.headers)
    assert listed.status_code == 200
    ids = {u["id"] for u in listed.json()["items"]}
    assert mine["id"] in ids
    assert other["id"] not in ids
    problem(
        await gw.get(f"/auth/users/{other['id']}", headers=county_official.headers),
        404,
        "user_not_found",
    )
    problem(
        await gw.patch(
            f"/auth/users/{other['id']}",
            json={"status": "disabled"},
            headers={**county_official.headers, "If-Match": '"1"'},
        ),
        404,
        "user_not_found",
    )
    everyone = await gw.get("/auth/users", headers=admin.headers, params={"limit": 2})
    assert len(everyone.json()["items"]) == 2
    assert everyone.json()["next"]


async def test_a_manager_resets_a_forgotten_password(
    gw: httpx.AsyncClient, county_official: Tokens, db: asyncpg.Pool
) -> None:
    station = await insert_station(db, VILLAGE)
    operator = await create_user(
        gw,
        county_official,
        phone="13900000700",
        role="operator",
        station=station.code,
        password="village point 2024",
    )
    session = await login(gw, "13900000700", "village point 2024")
    contains_phone = await gw.put(
        f"/auth/users/{operator['id']}/password",
        json={"password": "x13900000700"},
        headers=county_official.headers,
    )
    problem(contains_phone, 422, "password_contains_phone")
    r = await gw.put(
        f"/auth/users/{operator['id']}/password",
        json={"password": "new village phrase"},
        headers=county_official.headers,
    )
    assert r.status_code == 204
    problem(await gw.get("/auth/me", headers=session.headers), 401, "token_revoked")
    await login(gw, "13900000700", "new village phrase")


async def test_stations_down_is_a_503_and_creates_nobody(
    database_url: str, nowhere: str, gateway_app: FastAPI, admin: Tokens, db: asyncpg.Pool
) -> None:
    """The station an operator is bound to cannot be confirmed: nobody is created unchecked."""
    settings = gateway_app.state.settings.model_copy(update={"stations_url": nowhere})
    blind = create_gateway(settings)
    async with LifespanManager(blind):
        transport = httpx.ASGITransport(app=blind)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            r = await client.post(
                "/auth/users",
                json={"phone": "13900000500", "display_name": "赵大山", "role": "operator",
                      "station": f"{VILLAGE}-01", "password": "village point 2024"},
                headers={**admin.headers, "Accept-Language": "zh"},
            )  # fmt: skip
    body = problem(r, 503, "stations_unreachable")
    assert r.headers["retry-after"] == "5"
    assert "站点服务" in body["detail"]
    assert await db.fetchval("SELECT count(*) FROM gateway.user_account") == 1  # the admin
