"""Item 4 of the hardening issue: request bodies are capped per kind of route, at the
gateway and in each app, and refused with 413 problem+json as early as can be — before
reading when the Content-Length says so, as soon as the count passes the limit when the body
is streamed (chunked)."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from common.errors import PROBLEM_JSON
from common.limits import BODY_LIMIT, BULK_BODY_LIMIT, MIB
from gateway import proxy
from gateway.app import create as create_gateway
from gateway.openapi import service_app
from gateway.settings import GatewaySettings
from tests.gateway.conftest import SERVICES, Front, user_headers
from tests.support import internal_headers, serve

STATION = {"tier": "village", "division_code": "141102100200", "name": "街上村服务点"}


def _oversized_station(size: int) -> bytes:
    """A station whose JSON is ``size`` bytes: padded with whitespace, valid all the same."""
    body = json.dumps(STATION).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


async def _chunks(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _assert_413(r: httpx.Response, limit: str) -> None:
    assert r.status_code == 413, r.text[:300]
    assert r.headers["content-type"] == PROBLEM_JSON
    body = r.json()
    assert body["code"] == "payload_too_large"
    assert limit in body["detail"]


async def _raw(base: str, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One request written by hand (a Content-Length the body never fulfils)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head + body)
        await writer.drain()
        status_line = await reader.readline()
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        content = await reader.readexactly(int(headers.get("content-length", "0")))
        return int(status_line.split()[1]), headers, content
    finally:
        writer.close()


@pytest.mark.parametrize("through", ["gateway", "direct"])
async def test_a_single_write_over_its_limit_is_413(front: Front, through: str) -> None:
    base, path, headers = (
        (front.gateway, "/stations/v1/stations", user_headers())
        if through == "gateway"
        else (front.stations, "/v1/stations", internal_headers())
    )
    data = _oversized_station(BODY_LIMIT + 1)
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        known = await client.post(
            path, content=data, headers={**headers, "Content-Type": "application/json"}
        )
        streamed = await client.post(
            path, content=_chunks(data), headers={**headers, "Content-Type": "application/json"}
        )
        zh = await client.post(
            path,
            content=data,
            headers={**headers, "Content-Type": "application/json", "Accept-Language": "zh"},
        )
        fits = await client.post(
            path,
            content=_oversized_station(BODY_LIMIT),
            headers={**headers, "Content-Type": "application/json"},
        )
    _assert_413(known, "1 MiB")
    _assert_413(streamed, "1 MiB")
    assert zh.json()["detail"] == "请求体超过此接口允许的 1 MiB"
    assert fits.status_code == 201, fits.text


async def test_a_bulk_route_takes_more_than_a_single_one(client: httpx.AsyncClient) -> None:
    rows = json.dumps([{"code": "141124100201", "poor_village": True}]).encode()
    padded = rows[:-1] + b" " * (2 * MIB) + b"]"
    r = await client.post(
        "/stations/v1/divisions/flags/bulk",
        content=_chunks(padded),
        headers={**user_headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()  # the upload was read and answered (its shape is the bulk reader's)


async def test_the_gateway_refuses_an_announced_body_over_the_bulk_limit(front: Front) -> None:
    status, headers, body = await _raw(
        front.gateway,
        b"POST /stations/v1/reports/bulk HTTP/1.1\r\nHost: gw\r\n"
        b"Content-Type: application/json\r\n"
        + f"Authorization: {user_headers()['Authorization']}\r\n".encode()
        + f"Content-Length: {BULK_BODY_LIMIT + 1}\r\n\r\n".encode(),
        b"[",
    )
    assert status == 413
    assert headers["content-type"] == PROBLEM_JSON
    assert json.loads(body)["code"] == "payload_too_large"
    assert "64 MiB" in json.loads(body)["detail"]
    assert headers["x-request-id"]


@pytest.fixture
def small_gateway(
    front: Front, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A gateway whose own limit is 2 MiB, below the stations bulk routes' limit, to see
    the gateway itself cut a streamed body."""
    monkeypatch.setattr(proxy, "BULK_BODY_LIMIT", 2 * MIB)
    settings = GatewaySettings(database_url=database_url, stations_url=front.stations)
    with serve(create_gateway(settings)) as url:
        yield url


async def test_the_gateway_counts_a_streamed_body(small_gateway: str) -> None:
    rows = json.dumps([{"code": "141124100201", "poor_village": True}]).encode()
    async with httpx.AsyncClient(base_url=small_gateway, timeout=10) as client:
        r = await client.post(
            "/stations/v1/divisions/flags/bulk",
            content=_chunks(rows[:-1] + b" " * (3 * MIB) + b"]"),
            headers={**user_headers(), "Content-Type": "application/json"},
        )
        _assert_413(r, "2 MiB")
        ok = await client.post(
            "/stations/v1/divisions/flags/bulk",
            content=_chunks(rows[:-1] + b" " * MIB + b"]"),
            headers={**user_headers(), "Content-Type": "application/json"},
        )
        assert ok.status_code == 200, ok.text


def test_bulk_routes_say_so_in_the_openapi_document(document: dict[str, Any]) -> None:
    bulk = document["paths"]["/stations/v1/reports/bulk"]["post"]
    single = document["paths"]["/stations/v1/stations"]["post"]
    assert bulk["x-max-body-size"] == BULK_BODY_LIMIT
    assert single["x-max-body-size"] == BODY_LIMIT
    assert "64 MiB" in bulk["responses"]["413"]["description"]
    assert "1 MiB" in single["responses"]["413"]["description"]


def _apps() -> dict[str, FastAPI]:
    return {name: service_app(name) for name in SERVICES} | {
        "gateway": create_gateway(GatewaySettings())
    }


def _takes_uploads(path: str, route: APIRoute) -> bool:
    """A bulk route: named so, or taking the CSV an official saves from Excel."""
    content = ((route.openapi_extra or {}).get("requestBody") or {}).get("content", {})
    return path.endswith("/bulk") or "text/csv" in content


def test_every_bulk_route_of_every_app_takes_the_bulk_limit() -> None:
    bulk = []
    for name, app in _apps().items():
        for context in iter_route_contexts(app.routes):
            route, path = context.original_route, str(context.path)
            if not isinstance(route, APIRoute) or not route.methods & {"POST", "PUT", "PATCH"}:
                continue
            if _takes_uploads(path, route):
                bulk.append((name, path, route.max_body_size or BODY_LIMIT))
    assert {n for n, _, _ in bulk} >= set(SERVICES)
    assert [b for b in bulk if b[2] != BULK_BODY_LIMIT] == []


# One single write and one bulk upload of every app, as the gateway's callers reach them.
SINGLE_WRITES = [
    "/stations/v1/stations",
    "/logistics/v1/coverage",
    "/training/v1/sessions",
    "/programme/v1/projects",
    "/auth/users",
    "/auth/clients",
]
BULK_UPLOADS = [
    "/stations/v1/reports/bulk",
    "/logistics/v1/coverage/bulk",
    "/logistics/v1/depots/bulk",
    "/logistics/v1/volumes/bulk",
    "/training/v1/attendance/bulk",
    "/programme/v1/demonstration-counties/141124/disbursements/bulk",
]


@pytest.mark.parametrize("path", SINGLE_WRITES)
async def test_every_app_refuses_a_single_write_over_1_mib(
    client: httpx.AsyncClient, path: str
) -> None:
    data = b"{}" + b" " * BODY_LIMIT
    headers = {**user_headers(), "Content-Type": "application/json"}
    known = await client.post(path, content=data, headers=headers)
    streamed = await client.post(path, content=_chunks(data), headers=headers)
    _assert_413(known, "1 MiB")
    _assert_413(streamed, "1 MiB")


async def test_the_token_endpoint_refuses_a_form_over_1_mib(client: httpx.AsyncClient) -> None:
    form = b"grant_type=password&username=13800138000&password=" + b"x" * BODY_LIMIT
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "zh"}
    r = await client.post("/auth/token", content=_chunks(form), headers=headers)
    _assert_413(r, "1 MiB")
    assert "请求体超过" in r.json()["detail"]


@pytest.mark.parametrize("path", BULK_UPLOADS)
async def test_every_bulk_upload_takes_more_than_1_mib(
    client: httpx.AsyncClient, path: str
) -> None:
    padded = b"[{}" + b" " * (2 * MIB) + b"]"
    r = await client.post(
        path,
        params={"dry_run": "true"},
        content=_chunks(padded),
        headers={**user_headers(), "Content-Type": "application/json"},
    )
    # Read and judged row by row: the one empty row is refused, the upload is not.
    assert r.status_code == 200, r.text[:500]
    assert r.json()["counts"]["rejected"] == 1, r.text[:500]
