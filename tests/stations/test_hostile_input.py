"""Input a hostile client or a broken one sends, answered 4xx naming what is wrong: NUL in
any string (body, query, path, header — refused app-wide by ``common.guards``), forged
cursors (non-ASCII digits, values past int64), unquoted ``If-Match``."""

import asyncpg
import httpx
import pytest

from common.auth import NATION, Role
from common.pagination import encode_cursor
from tests.stations.factories import insert_station
from tests.stations.registry_helpers import ADMIN, JIESHANG, create
from tests.support import internal_headers

ZH = {"Accept-Language": "zh"}


def _nul(r: httpx.Response, field: str, location: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["code"], body["field"]) == ("nul_character", field), body
    assert body["errors"][0]["location"] == location


async def test_nul_in_a_body_names_the_field(stations: httpx.AsyncClient) -> None:
    station = {"tier": "village", "division_code": JIESHANG, "name": "街上村服务点"}
    r = await stations.post("/v1/stations", json=station | {"name": "街上\u0000"}, headers=ADMIN)
    _nul(r, "name", "body")
    r = await stations.post(
        "/v1/stations",
        json=station | {"address": "主街", "operator": {"name": "张\u0000明"}},
        headers=ADMIN | ZH,
    )
    _nul(r, "operator.name", "body")
    assert "空字符" in r.json()["detail"]
    r = await stations.post("/v1/stations", json=station | {"addr\u0000": "x"}, headers=ADMIN)
    _nul(r, "addr\\u0000", "body")
    code = (await create(stations, "village", JIESHANG))["code"]
    r = await stations.post(
        f"/v1/stations/{code}/transitions",
        json={"to": "closed", "reason": "撤并\u0000"},
        headers=ADMIN,
    )
    _nul(r, "reason", "body")


async def test_nul_in_query_path_and_headers(stations: httpx.AsyncClient) -> None:
    public = internal_headers(Role.PLATFORM, division=NATION)
    _nul(
        await stations.get("/v1/divisions", params={"q": "临\u0000"}, headers=public), "q", "query"
    )
    _nul(await stations.get("/v1/divisions/141124%00", headers=public), "code", "path")
    _nul(
        await stations.get("/v1/changes", params={"after": "1.2\u0000"}, headers=public),
        "after",
        "query",
    )
    _nul(await stations.get("/v1/stations?cursor=%00", headers=public), "cursor", "query")
    r = await stations.put(
        "/v1/stations/141124100201-01/reports/2026-01",
        json={},
        headers=ADMIN | {"Idempotency-Key": "key-with-nul-\x00"},
    )
    _nul(r, "idempotency-key", "header")


@pytest.mark.parametrize(
    "after",
    [
        "１２３.４",  # full-width digits
        "١٢٣.٤",  # Arabic-Indic digits
        "²³.1",  # superscripts pass str.isdigit() but not int()
        "9223372036854775808.1",  # one past int64
        "1.99999999999999999999",
        "-1.2",
    ],
)
async def test_forged_feed_cursors_are_400(stations: httpx.AsyncClient, after: str) -> None:
    r = await stations.get(
        "/v1/changes",
        params={"after": after},
        headers=internal_headers(Role.PLATFORM, division=NATION),
    )
    assert r.status_code == 400, r.text
    assert (r.json()["code"], r.json()["field"]) == ("invalid_cursor", "after")


async def test_forged_page_cursors_are_400(stations: httpx.AsyncClient) -> None:
    for value in (2**63, -(2**63) - 1, 10**30):
        r = await stations.get(
            "/v1/stations/141124100201-01/transitions",
            params={"cursor": encode_cursor([value])},
            headers=ADMIN,
        )
        assert r.status_code in (400, 404), r.text
        r = await stations.get(
            "/v1/divisions", params={"cursor": encode_cursor([value])}, headers=ADMIN
        )
        assert r.status_code == 400, r.text


async def test_if_match_without_quotes(stations: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    station = await insert_station(db, JIESHANG)
    url = f"/v1/stations/{station.code}"
    r = await stations.patch(url, json={"name": "甲"}, headers=ADMIN | {"If-Match": "1"})
    assert r.status_code == 200, r.text  # the bare version is the ETag "1"
    assert r.headers["etag"] == '"2"'
    r = await stations.patch(url, json={"name": "乙"}, headers=ADMIN | {"If-Match": "1"})
    assert r.status_code == 412  # and a stale bare version is stale
    r = await stations.patch(url, json={"name": "乙"}, headers=ADMIN | {"If-Match": "v2"} | ZH)
    assert r.status_code == 400, r.text
    assert (r.json()["code"], r.json()["field"]) == ("invalid_if_match", "If-Match")
    assert 'If-Match: "4"' in r.json()["detail"]
