"""Authorization of registry writes: each role against each write, enforced by the service."""

import asyncpg
import httpx
import pytest

from common.auth import NATION, Role
from tests.stations.registry_helpers import (
    ADMIN,
    JIESHANG,
    complete,
    create,
    official,
    operator,
)
from tests.support import internal_headers

CODE = f"{JIESHANG}-01"  # the station each test registers (or tries to)

CALLERS = {
    "admin": ADMIN,
    "official_county": official("141102"),
    "official_prefecture": official("1411"),
    "official_township": official("141102100"),
    "official_other_county": official("141124"),
    "official_other_township": official("141102201"),
    "operator_own": operator(CODE),
    "operator_other": operator(f"{JIESHANG[:-1]}2-01"),
    "carrier": internal_headers(Role.CARRIER, subject="carrier:zto", carrier="zhongtong"),
    "platform": internal_headers(Role.PLATFORM, subject="platform:mofcom", division=NATION),
    "public": internal_headers(Role.PUBLIC, subject="anonymous"),
    "service": internal_headers(Role.SERVICE, subject="service:logistics"),
}

OK = "ok"
SIGN_IN = "authentication_required"  # the public may write nothing: 401, never 403
# caller → (create, patch name, patch operator fields, transition)
EXPECTED: dict[str, tuple[str, str, str, str]] = {
    "admin": (OK, OK, OK, OK),
    "official_county": (OK, OK, OK, OK),
    "official_prefecture": (OK, OK, OK, OK),
    "official_township": (OK, OK, OK, OK),
    "official_other_county": ("outside_scope",) * 4,
    "official_other_township": ("outside_scope",) * 4,
    "operator_own": ("role_forbidden", "operator_fields_only", OK, "role_forbidden"),
    "operator_other": ("role_forbidden", "not_your_station", "not_your_station", "role_forbidden"),
    "carrier": ("role_forbidden",) * 4,
    "platform": ("role_forbidden",) * 4,
    "public": (SIGN_IN,) * 4,
    "service": ("role_forbidden",) * 4,
}


def _check(response: httpx.Response, expected: str, success: int) -> None:
    if expected == OK:
        assert response.status_code == success, response.text
    elif expected == SIGN_IN:
        assert response.status_code == 401, response.text
        assert response.json()["code"] == SIGN_IN
        assert response.headers["www-authenticate"] == "Bearer"
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == expected


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_create(stations: httpx.AsyncClient, db: asyncpg.Pool, caller: str) -> None:
    r = await stations.post(
        "/v1/stations",
        json={"tier": "village", "division_code": JIESHANG, "name": "x"},
        headers=CALLERS[caller],
    )
    _check(r, EXPECTED[caller][0], 201)
    stored = await db.fetchval("SELECT count(*) FROM stations.station")
    assert stored == (1 if EXPECTED[caller][0] == OK else 0)


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_patch_station_fields(stations: httpx.AsyncClient, caller: str) -> None:
    await create(stations, "village", JIESHANG, **complete())
    r = await stations.patch(
        f"/v1/stations/{CODE}",
        json={"name": "新名字", "services": ["parcels"]},
        headers={**CALLERS[caller], "If-Match": '"1"'},
    )
    _check(r, EXPECTED[caller][1], 200)
    if EXPECTED[caller][1] == "operator_fields_only":
        assert {e["field"] for e in r.json()["errors"]} == {"name", "services"}


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_patch_operator_fields(stations: httpx.AsyncClient, caller: str) -> None:
    await create(stations, "village", JIESHANG, **complete())
    r = await stations.patch(
        f"/v1/stations/{CODE}",
        json={"operator": {"name": "李四", "phone": "13900001111"}},
        headers={**CALLERS[caller], "If-Match": '"1"'},
    )
    _check(r, EXPECTED[caller][2], 200)
    after = (await stations.get(f"/v1/stations/{CODE}", headers=ADMIN)).json()
    changed = EXPECTED[caller][2] == OK
    assert (after["operator"]["name"] == "李四") is changed
    assert after["version"] == (2 if changed else 1)


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_transition(stations: httpx.AsyncClient, caller: str) -> None:
    await create(stations, "village", JIESHANG)
    r = await stations.post(
        f"/v1/stations/{CODE}/transitions",
        json={"to": "building"},
        headers=CALLERS[caller],
    )
    _check(r, EXPECTED[caller][3], 201)


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_everyone_reads(stations: httpx.AsyncClient, caller: str) -> None:
    await create(stations, "village", JIESHANG)
    assert (await stations.get(f"/v1/stations/{CODE}", headers=CALLERS[caller])).status_code == 200
    listed = await stations.get("/v1/stations", headers=CALLERS[caller])
    assert [s["code"] for s in listed.json()["items"]] == [CODE]
    # Who changed what and why is the station's own record (ADR 0009).
    history = await stations.get(f"/v1/stations/{CODE}/transitions", headers=CALLERS[caller])
    assert history.status_code == HISTORY[caller], history.text


HISTORY = {
    "admin": 200,
    "official_county": 200,
    "official_prefecture": 200,
    "official_township": 200,
    "official_other_county": 403,
    "official_other_township": 403,
    "operator_own": 200,
    "operator_other": 403,
    "carrier": 403,
    "platform": 200,
    "public": 401,
    "service": 200,
}


async def test_no_token(stations: httpx.AsyncClient) -> None:
    r = await stations.get("/v1/stations")
    assert r.status_code == 401
    assert r.json()["code"] == "token_missing"


async def test_operator_cannot_move_own_station(stations: httpx.AsyncClient) -> None:
    await create(stations, "village", JIESHANG)
    r = await stations.post(
        f"/v1/stations/{CODE}/transitions",
        json={"to": "closed", "reason": "不干了"},
        headers=operator(CODE),
    )
    assert r.status_code == 403
