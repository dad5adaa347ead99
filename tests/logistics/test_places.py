"""Carriers reaching each of a batch of townships and villages: a township counts coverage
of any of its villages, as the township gap list does."""

import httpx

from common.auth import Role
from tests.logistics.factories import (
    ADMIN,
    JIESHANG,
    WUCHENG,
    XIALUOBAO,
    ZAOLIN,
    ZAOLIN_VILLAGE,
    coverage,
)
from tests.support import internal_headers, problem

PUBLIC = internal_headers(Role.PUBLIC, subject="anonymous")


async def test_carriers_per_place(logistics: httpx.AsyncClient) -> None:
    rows = [
        coverage(JIESHANG, carrier="zto"),
        coverage(JIESHANG, carrier="sf"),
        coverage(XIALUOBAO, carrier="yto", valid_to="2026-05-31"),
    ]
    r = await logistics.post("/v1/coverage/bulk", json=rows, headers=ADMIN)
    assert r.json()["counts"]["created"] == 3, r.text
    codes = ",".join([ZAOLIN_VILLAGE, XIALUOBAO, JIESHANG, WUCHENG[:9], ZAOLIN])
    got = await logistics.get(
        "/v1/indicators/coverage/places",
        params={"codes": codes, "as_of": "2026-06-15"},
        headers=PUBLIC,
    )
    assert got.status_code == 200, got.text
    assert got.json() == {
        "as_of": "2026-06-15",
        "places": [
            {"code": WUCHENG, "carriers": 2},  # through 街上村, not the expired 下罗堡
            {"code": JIESHANG, "carriers": 2},
            {"code": XIALUOBAO, "carriers": 0},
            {"code": ZAOLIN, "carriers": 0},
            {"code": ZAOLIN_VILLAGE, "carriers": 0},
        ],
    }
    url = "/v1/indicators/coverage/places"
    problem(
        await logistics.get(url, params={"codes": "141102"}, headers=PUBLIC),
        422,
        "wrong_division_level",
        "codes",
    )
    problem(
        await logistics.get(url, params={"codes": "1411x"}, headers=PUBLIC),
        422,
        "invalid_division_code",
        "codes",
    )
    problem(
        await logistics.get(url, params={"codes": " , "}, headers=PUBLIC),
        422,
        "invalid_code_list",
        "codes",
    )
