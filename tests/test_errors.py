"""Every kind of bad input answers an RFC 9457 problem: a 4xx with a stable code, a human
detail and the field; Chinese on ``Accept-Language: zh``; never a stack trace."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from common.errors import PROBLEM_JSON
from tests.probe import probe_app

GOOD_DRAFT = {
    "name": "城关镇服务站",
    "households": 12,
    "operator": {"name": "张三", "phone": "13800138000"},
}
GOOD_HEADERS = {"X-Station-App": "app/1.2"}


@pytest.fixture(scope="module")
async def probe(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = probe_app(database_url)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            # A crash must come back as a 500 response, as a real server sends it.
            transport=httpx.ASGITransport(app=manager.app, raise_app_exceptions=False),
            base_url="http://test",
        ) as client,
    ):
        yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:ruralnet:problem:{code}"
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


async def test_a_valid_request_passes(probe: httpx.AsyncClient) -> None:
    r = await probe.post("/v1/probe/stations/141124", json=GOOD_DRAFT, headers=GOOD_HEADERS)
    assert r.status_code == 200, r.text
    assert r.json() == {"county": "141124", "name": "城关镇服务站", "dry_run": False}


async def test_our_own_problem(probe: httpx.AsyncClient) -> None:
    body = assert_problem(await probe.get("/v1/probe/conflict"), 409, "station_code_taken")
    assert body["title"] == "Conflict"
    assert body["detail"] == "Station code 141124101-01 is already taken"
    assert body["field"] == "code"
    assert body["errors"] == [
        {
            "location": "body",
            "pointer": "/code",
            "field": "code",
            "code": "station_code_taken",
            "detail": "Station code 141124101-01 is already taken",
        }
    ]


async def test_our_own_problem_in_chinese(probe: httpx.AsyncClient) -> None:
    r = await probe.get(
        "/v1/probe/conflict", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    )
    body = assert_problem(r, 409, "station_code_taken")
    assert body["title"] == "冲突"
    assert body["detail"] == "站点编码 141124101-01 已被占用"


async def test_validation_points_at_each_bad_field(probe: httpx.AsyncClient) -> None:
    draft = {"name": "x", "households": -1, "operator": {"name": "张三", "phone": "12345"}}
    r = await probe.post(
        "/v1/probe/stations/14112",
        params={"dry_run": "maybe"},
        json=draft,
        headers={"X-Station-App": "browser"},
    )
    body = assert_problem(r, 422, "validation_failed")
    found = {(e["location"], e["pointer"]): e for e in body["errors"]}
    assert set(found) == {
        ("path", "/county"),
        ("query", "/dry_run"),
        ("header", "/x-station-app"),
        ("body", "/name"),
        ("body", "/households"),
        ("body", "/operator/phone"),
    }
    assert found["body", "/operator/phone"]["field"] == "operator.phone"
    assert found["body", "/operator/phone"]["code"] == "string_pattern_mismatch"
    assert found["body", "/households"]["code"] == "greater_than_equal"
    assert found["query", "/dry_run"]["code"] == "bool_parsing"
    assert body["detail"].startswith("6 fields invalid:")
    assert "body.operator.phone" in body["detail"]
    assert "field" not in body  # one field is named only when it is the only one


async def test_a_missing_field_and_a_missing_body(probe: httpx.AsyncClient) -> None:
    draft = {k: v for k, v in GOOD_DRAFT.items() if k != "households"}
    r = await probe.post("/v1/probe/stations/141124", json=draft, headers=GOOD_HEADERS)
    body = assert_problem(r, 422, "validation_failed")
    assert body["field"] == "households"
    assert body["errors"][0]["code"] == "missing"
    assert body["errors"][0]["pointer"] == "/households"

    r = await probe.post("/v1/probe/stations/141124", headers=GOOD_HEADERS)
    body = assert_problem(r, 422, "validation_failed")
    assert body["errors"][0]["location"] == "body"
    assert body["errors"][0]["code"] == "missing"


async def test_validation_in_chinese(probe: httpx.AsyncClient) -> None:
    draft = {**GOOD_DRAFT, "households": -1}
    r = await probe.post(
        "/v1/probe/stations/141124",
        json=draft,
        headers={**GOOD_HEADERS, "Accept-Language": "zh"},
    )
    body = assert_problem(r, 422, "validation_failed")
    assert body["title"] == "字段校验失败"
    assert body["detail"] == "1 个字段无效:body.households"
    assert body["errors"][0]["detail"] == "必须大于或等于 0"


async def test_a_lower_english_preference_keeps_english(probe: httpx.AsyncClient) -> None:
    r = await probe.get("/v1/probe/conflict", headers={"Accept-Language": "en;q=1, zh;q=0.5"})
    assert assert_problem(r, 409, "station_code_taken")["title"] == "Conflict"


async def test_malformed_json_is_400(probe: httpx.AsyncClient) -> None:
    r = await probe.post(
        "/v1/probe/stations/141124",
        content='{"name": "城关镇服务站", "households": '.encode(),
        headers={**GOOD_HEADERS, "Content-Type": "application/json"},
    )
    body = assert_problem(r, 400, "malformed_json")
    assert body["detail"].startswith("The body is not valid JSON")
    assert body["errors"][0]["code"] == "malformed_json"

    r = await probe.post(
        "/v1/probe/stations/141124",
        content=b"{not json",
        headers={**GOOD_HEADERS, "Content-Type": "application/json", "Accept-Language": "zh"},
    )
    assert assert_problem(r, 400, "malformed_json")["title"] == "请求体不是有效的 JSON"


async def test_unknown_route_is_404(probe: httpx.AsyncClient) -> None:
    body = assert_problem(await probe.get("/v1/no-such-thing"), 404, "not_found")
    assert body["detail"] == "No route for GET /v1/no-such-thing"
    r = await probe.get("/v1/no-such-thing", headers={"Accept-Language": "zh"})
    body = assert_problem(r, 404, "not_found")
    assert body["title"] == "未找到"
    assert body["detail"] == "没有这个地址:GET /v1/no-such-thing"


async def test_wrong_method_is_405_with_allow(probe: httpx.AsyncClient) -> None:
    r = await probe.delete("/v1/probe/conflict")
    body = assert_problem(r, 405, "method_not_allowed")
    # Every GET route answers HEAD, and every path OPTIONS.
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"
    assert body["detail"] == (
        "DELETE is not allowed on /v1/probe/conflict; allowed: GET, HEAD, OPTIONS"
    )
    r = await probe.put("/v1/probe/conflict", headers={"Accept-Language": "zh"})
    assert assert_problem(r, 405, "method_not_allowed")["title"] == "不支持该请求方法"


async def test_an_unexpected_exception_is_a_500_without_internals(
    probe: httpx.AsyncClient,
) -> None:
    r = await probe.get("/v1/probe/crash", headers={"X-Request-ID": "crash-1"})
    body = assert_problem(r, 500, "internal_error")
    assert body["request_id"] == "crash-1"
    assert body["detail"] == "An internal error occurred and was logged"
    for secret in ("RuntimeError", "hunter2", "postgresql://", "crash()", 'File "'):
        assert secret not in r.text
    r = await probe.get("/v1/probe/crash", headers={"Accept-Language": "zh"})
    assert assert_problem(r, 500, "internal_error")["detail"] == "服务器内部错误,已记录"


async def test_the_request_id_is_kept_or_replaced(probe: httpx.AsyncClient) -> None:
    r = await probe.get("/v1/no-such-thing", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert r.json()["request_id"] == "abc-123"
    # An implausible id (spaces, too long) is replaced, not echoed into logs and headers.
    for bad in ("two words", "x" * 200):
        r = await probe.get("/healthz", headers={"X-Request-ID": bad})
        assert r.headers["x-request-id"] != bad
        assert len(r.headers["x-request-id"]) == 32
    first, second = (await probe.get("/healthz")), (await probe.get("/healthz"))
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_openapi_documents_errors_as_problem_details() -> None:
    """What /openapi.json says of errors is what the apps send: problem+json, 401 included."""
    from gateway.app import create as gateway
    from services.logistics.app import create as logistics
    from services.programme.app import create as programme
    from services.stations.app import create as stations
    from services.training.app import create as training

    for create in (stations, logistics, training, programme, gateway):
        schema = create().openapi()
        assert "HTTPValidationError" not in schema["components"]["schemas"]
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation["responses"]
                if operation.get("security"):
                    assert "401" in responses, (path, method)
                for status, response in responses.items():
                    # /readyz answers 503 with its readiness report, and says so.
                    if int(status) >= 400 and path != "/readyz":
                        assert list(response["content"]) == ["application/problem+json"], (
                            path,
                            method,
                            status,
                        )
