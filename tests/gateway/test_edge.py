"""Item 13 and 7 of the hardening issue, through a real gateway: CORS for the configured
origins, gzip for large JSON, HEAD on every GET, OPTIONS with the path's Allow, one Date and
one Server header, and a control character in the path answered as the service answers it."""

import gzip
import re
from typing import Any

import httpx
import pytest

from common.errors import PROBLEM_JSON
from tests.gateway.conftest import SERVICES, WEB_ORIGIN, Front, user_headers
from tests.support import internal_headers

# 离石区 has 14 township-level units: their list is a few kilobytes of JSON.
LISHI_CHILDREN = "/stations/v1/divisions/141102000000/children"


async def test_a_configured_origin_may_call_the_api(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/stations/v1/stations",
        headers={
            "Origin": WEB_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == WEB_ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key", "if-match"} <= {
        h.strip() for h in allowed.split(",")
    }
    r = await client.get("/stations/v1/divisions/141102000000", headers={"Origin": WEB_ORIGIN})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == WEB_ORIGIN
    exposed = r.headers["access-control-expose-headers"].lower()
    assert {"etag", "location", "link", "x-request-id"} <= {h.strip() for h in exposed.split(",")}


async def test_the_gateways_own_routes_answer_cors_too(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/auth/token",
        headers={
            "Origin": WEB_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept-language",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == WEB_ORIGIN
    for path in ("/auth/scopes", "/registry/v1/gaps/points-without-carrier?division=141102"):
        r = await client.get(path, headers={**user_headers(), "Origin": WEB_ORIGIN})
        assert r.status_code == 200, (path, r.text)
        assert r.headers["access-control-allow-origin"] == WEB_ORIGIN, path
        assert "x-request-id" in r.headers["access-control-expose-headers"].lower(), path


async def test_another_origin_gets_no_cors_headers(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/stations/v1/stations",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    r = await client.get(
        "/stations/v1/divisions/141102000000", headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


async def test_large_json_is_gzipped_small_json_is_not(client: httpx.AsyncClient) -> None:
    r = await client.get(LISHI_CHILDREN, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers["vary"].lower()
    assert int(r.headers["content-length"]) < len(r.content) / 2  # httpx decoded it
    assert len(r.json()["items"]) > 5
    small = await client.get("/stations/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


@pytest.mark.parametrize(
    "path", ["/openapi.json", "/registry/v1/gaps/points-without-carrier?division=14"]
)
async def test_the_gateways_own_large_answers_are_gzipped(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path, headers={**user_headers(), "Accept-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    if len(r.content) >= 1024:
        assert r.headers["content-encoding"] == "gzip", path
    else:
        assert "content-encoding" not in r.headers, path


async def test_no_gzip_for_a_caller_that_does_not_ask(front: Front) -> None:
    # A raw request without Accept-Encoding (httpx would add one).
    async with httpx.AsyncClient(base_url=front.gateway, timeout=60) as client:
        request = client.build_request("GET", LISHI_CHILDREN)
        del request.headers["accept-encoding"]
        r = await client.send(request)
    assert "content-encoding" not in r.headers
    assert r.json()["items"]


async def test_the_gateway_passes_gzip_through_untouched(front: Front) -> None:
    async with httpx.AsyncClient(base_url=front.gateway, timeout=60) as client:
        request = client.build_request("GET", LISHI_CHILDREN, headers={"Accept-Encoding": "gzip"})
        r = await client.send(request, stream=True)
        raw = b"".join([chunk async for chunk in r.aiter_raw()])
        await r.aclose()
    assert r.headers["content-encoding"] == "gzip"
    assert len(raw) == int(r.headers["content-length"])
    assert b'"items"' in gzip.decompress(raw)


@pytest.mark.parametrize(
    "path",
    [
        "/stations/v1/divisions/141102000000",
        LISHI_CHILDREN,
        "/stations/v1/stations?limit=2",
        "/stations/v1/stations/lifecycle",
        "/healthz",
        "/openapi.json",
        "/docs",
    ],
)
async def test_head_answers_the_headers_of_get(client: httpx.AsyncClient, path: str) -> None:
    headers = {**user_headers(), "Accept-Encoding": "identity"}
    got = await client.get(path, headers=headers)
    head = await client.head(path, headers=headers)
    assert got.status_code == 200, got.text
    assert head.status_code == 200, head.text
    assert head.content == b""
    for name in ("content-type", "content-length", "etag"):
        assert head.headers.get(name) == got.headers.get(name), name


def _concrete(path: str) -> str:
    """A template's path with a value in each parameter (most answer 404 or 422: HEAD must
    answer as GET does whatever GET answers)."""
    return re.sub(r"\{[^}]+\}", "141102100200", path)


async def test_head_answers_as_get_on_every_get_of_the_document(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    headers = {**user_headers(), "Accept-Encoding": "identity"}
    differ = []
    gets = [path for path, operations in document["paths"].items() if "get" in operations]
    assert {path.split("/")[1] for path in gets} >= {*SERVICES, "auth", "registry"}
    for path in gets:
        try:
            got = await client.get(_concrete(path), headers=headers)
            head = await client.head(_concrete(path), headers=headers)
        except httpx.HTTPError as error:
            differ.append((path, repr(error)))
            continue
        if (head.status_code, head.headers.get("content-type"), head.content) != (
            got.status_code,
            got.headers.get("content-type"),
            b"",
        ):
            differ.append((path, got.status_code, head.status_code, head.content[:80]))
    assert differ == [], "\n".join(map(str, differ))


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


async def test_options_answers_the_methods_of_every_path(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    """``Allow`` is every method a request to that URL would be routed by, whichever of the
    document's templates matches it (``/stations/lifecycle`` is also ``/stations/{code}``)."""
    templates = [(_template(path), operations) for path, operations in document["paths"].items()]
    wrong = []
    for path in document["paths"]:
        url = _concrete(path)
        methods = {"OPTIONS"} | {
            m.upper() for pattern, ops in templates if pattern.match(url) for m in ops
        }
        if "GET" in methods:
            methods.add("HEAD")
        r = await client.options(url)
        allow = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
        if r.status_code != 204 or allow != methods:
            wrong.append((path, r.status_code, sorted(allow), sorted(methods)))
    assert wrong == []


@pytest.mark.parametrize("target", ["gateway", "stations"])
async def test_head_keeps_the_connection(front: Front, target: str) -> None:
    """Three HEADs and a GET on one connection: the server must not wait for a body after
    a HEAD (and drop the connection, which the gateway's pool would meet as a 502)."""
    base = front.gateway if target == "gateway" else front.stations
    path = "/auth/scopes" if target == "gateway" else "/v1/stations/lifecycle"
    token = user_headers() if target == "gateway" else internal_headers()
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as one:
        for _ in range(3):
            r = await one.head(path, headers={**token, "Accept-Encoding": "identity"})
            assert r.status_code == 200
            assert int(r.headers["content-length"]) > 0
        assert (await one.get(path, headers=token)).status_code == 200
        if target == "gateway":
            forwarded = [await one.head("/stations/v1/stations/lifecycle") for _ in range(3)]
            assert [r.status_code for r in forwarded] == [200, 200, 200]


async def test_head_of_a_missing_thing_is_its_404(client: httpx.AsyncClient) -> None:
    head = await client.head("/stations/v1/stations/141102100200-99")
    assert head.status_code == 404
    assert head.content == b""


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/stations/v1/stations", "GET, HEAD, OPTIONS, POST"),
        ("/stations/v1/stations/141102100200-01", "GET, HEAD, OPTIONS, PATCH"),
        ("/stations/v1/divisions/141102000000/flags", "GET, HEAD, OPTIONS, PUT"),
        ("/stations/v1/reports/bulk", "OPTIONS, POST"),
        ("/healthz", "GET, HEAD, OPTIONS"),
    ],
)
async def test_options_answers_allow(client: httpx.AsyncClient, path: str, allow: str) -> None:
    r = await client.options(path)
    assert r.status_code == 204, r.text
    assert r.headers["allow"] == allow
    wrong = await client.request("DELETE", path, headers=user_headers())
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == allow


async def test_options_of_an_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    r = await client.options("/stations/v1/nothing-here")
    assert r.status_code == 404


async def test_one_date_and_one_server_header(client: httpx.AsyncClient) -> None:
    for path in (
        "/stations/v1/divisions/141102000000",
        "/logistics/v1/carriers",
        "/training/v1/indicators/training?division=141102",
        "/programme/v1/indicators",
        "/auth/scopes",
        "/auth/me",
        "/registry/v1/gaps/points-without-carrier?division=141102",
        "/healthz",
        "/payments/x",
    ):
        r = await client.get(path, headers=user_headers())
        assert len(r.headers.get_list("date")) == 1, (path, r.headers)
        assert len(r.headers.get_list("server")) <= 1, (path, r.headers)
        assert len(r.headers.get_list("x-request-id")) == 1, (path, r.headers)


CONTROL_CHARACTERS = ["%0D", "%0A", "%00", "%0D%0AX-Injected:%201", "%E2%80%A8", "%FF", "%7F"]
# A path of every service that takes a code or an id in its last segment.
SERVICE_PATHS = [
    ("stations", "/v1/divisions/{}"),
    ("stations", "/v1/stations/{}"),
    ("logistics", "/v1/carriers/{}"),
    ("logistics", "/v1/points/{}/carriers"),
    ("training", "/v1/sessions/{}"),
    ("training", "/v1/trainees/{}"),
    ("programme", "/v1/projects/{}"),
    ("programme", "/v1/disclosure/{}"),
]


@pytest.mark.parametrize("code", CONTROL_CHARACTERS)
@pytest.mark.parametrize(("service", "path"), SERVICE_PATHS)
async def test_control_characters_in_the_path_are_the_services_answer(
    front: Front, service: str, path: str, code: str
) -> None:
    async with (
        httpx.AsyncClient(base_url=front.gateway, timeout=60) as via,
        httpx.AsyncClient(base_url=front.services[service], timeout=60) as direct,
    ):
        through = await via.get(f"/{service}{path.format(code)}", headers=user_headers())
        straight = await direct.get(path.format(code), headers=internal_headers())
    assert 400 <= through.status_code < 500, through.text
    assert through.status_code == straight.status_code
    assert through.headers["content-type"] == PROBLEM_JSON
    assert through.json()["code"] == straight.json()["code"]
    assert "x-injected" not in through.headers


@pytest.mark.parametrize("code", CONTROL_CHARACTERS)
@pytest.mark.parametrize(
    "path", ["/auth/users/{}", "/auth/clients/{}", "/registry/v1/stations/{}", "/{}/v1/stations"]
)
async def test_control_characters_in_the_gateways_own_paths_are_4xx(
    client: httpx.AsyncClient, path: str, code: str
) -> None:
    r = await client.get(path.format(code), headers=user_headers())
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["code"]
    assert "x-injected" not in r.headers


async def test_the_gateway_counts_forwarded_requests_by_service(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/stations/v1/divisions/141102000000")
    text = (await client.get("/metrics")).text
    assert 'route="/stations/{path}"' in text
    assert "141102000000" not in text
