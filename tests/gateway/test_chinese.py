"""Item 18 of the hardening issue, through the gateway and across every service: our own
checks (phone, credit code, resident ID, crs, carrier code, passwords, periods, cursors)
answer ``Accept-Language: zh`` in Chinese — the detail and every field's detail, never
English and never the bare "取值无效" — and a bulk row's message too."""

import re
from typing import Any

import httpx
import pytest

from common.auth import Role
from tests.gateway.conftest import user_headers
from tests.training.helpers import person

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _in_chinese(r: httpx.Response, status: int, *fields: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert _CHINESE.search(body["title"]), body
    assert _CHINESE.search(body["detail"]), body
    named = {e["field"]: e["detail"] for e in body.get("errors") or []}
    for field in fields:
        assert field in named, (field, body)
    for field, detail in named.items():
        assert _CHINESE.search(detail), (field, detail)
        assert detail != "取值无效", (field, body)
    return body


CASES = [
    (
        "POST",
        "/training/v1/trainees",
        person(number="141124199003071231", phone="12345"),
        422,
        ("id_number",),
    ),
    (
        "POST",
        "/stations/v1/stations",
        {
            "tier": "village",
            "division_code": "141102100200",
            "name": "街上村服务点",
            "location": {"lon": 111.14, "lat": 37.52},
            "operator": {"name": "王芳", "phone": "12345"},
            "company": {"name": "临县电子商务有限公司", "credit_code": "91141124MA0K000000"},
        },
        422,
        ("crs", "operator.phone"),
    ),
    (
        "POST",
        "/logistics/v1/carriers",
        {
            "code": "ZT O",
            "kind": "local",
            "name_zh": "临县配送队",
            "name_en": "Linxian fleet",
            "service_phone": "phone",
            "credit_code": "123",
        },
        422,
        ("code", "service_phone", "credit_code"),
    ),
    (
        "PUT",
        "/logistics/v1/depots/LX-001",
        {
            "code": "LX-001",
            "kind": "county_centre",
            "name": "临县物流配送中心",
            "division_code": "141124000000",
            "location": {"lon": 110.99, "lat": 37.95},
        },
        422,
        ("crs",),
    ),
    (
        "POST",
        "/programme/v1/projects",
        {
            "county_code": "141124",
            "name": "临县县级电子商务公共服务中心",
            "category": "public_service_centre",
            "company": {"name": "临县电商公司", "credit_code": "91141124MA0K00000X"},
            "responsible": {"name": "李强", "phone": "12345"},
        },
        422,
        ("company.credit_code", "responsible.phone"),
    ),
    (
        "POST",
        "/auth/users",
        {
            "phone": "12345",
            "display_name": "王芳",
            "role": "official",
            "division": "14110",
            "password": "1234",
        },
        422,
        ("phone",),
    ),
    (
        "POST",
        "/reports/v1/targets",
        {
            "name": "商务部",
            "kind": "mofcom",
            "endpoint_url": "https://nc.mofcom.gov.cn/api/reports",
            "division": "nation",
            "document_types": ["county-report"],
            "schedule": {"time": "二点"},
        },
        422,
        ("schedule.time",),
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "fields"), CASES)
async def test_our_own_checks_answer_in_chinese(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    fields: tuple[str, ...],
) -> None:
    r = await client.request(method, path, json=body, headers={**user_headers(), **ZH})
    _in_chinese(r, status, *fields)


@pytest.mark.parametrize(
    "path",
    [
        "/stations/v1/changes?after=abc",
        "/logistics/v1/changes?after=%EF%BC%91.2",
        "/training/v1/changes?after=1.99999999999999999999",
        "/programme/v1/changes?after=-1.2",
        "/stations/v1/stations?cursor=not-a-cursor",
        "/registry/v1/dashboards/1411?period=2026-13",
        "/training/v1/indicators/training?division=14110",
    ],
)
async def test_refused_queries_answer_in_chinese(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path, headers={**user_headers(Role.PLATFORM, division="14"), **ZH})
    assert 400 <= r.status_code < 500, r.text
    _in_chinese(r, r.status_code)


async def test_sign_in_refusals_answer_in_chinese(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "13800000000", "password": "wrong-one"},
        headers=ZH,
    )
    _in_chinese(r, r.status_code)
    assert r.status_code in (400, 401)
    r = await client.get("/auth/me", headers={"Authorization": "Bearer not.a.token", **ZH})
    _in_chinese(r, 401)


async def test_a_bulk_rows_message_is_in_chinese(client: httpx.AsyncClient) -> None:
    rows = [{"carrier": "zhongtong", "division_code": "1411241002", "mode": "teleport"}]
    r = await client.post(
        "/logistics/v1/coverage/bulk",
        params={"dry_run": "true"},
        json=rows,
        headers={**user_headers(), **ZH},
    )
    assert r.status_code == 200, r.text
    (row,) = r.json()["results"]
    assert row["status"] == "rejected"
    assert _CHINESE.search(row["message"]), row
