"""Internal service authentication: services accept only the short-lived token the gateway
signs with the internal secret, and say why they refuse one; health and OpenAPI stay open."""

import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from common.auth import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    InternalTokens,
    Principal,
    Role,
    VerifiedInternalTokens,
    mint_internal_token,
    verify_internal_token,
)
from common.errors import PROBLEM_JSON, Unauthorized
from gateway.auth import mint_user_token
from services.stations.app import create as create_stations
from services.stations.settings import StationsSettings
from tests.probe import probe_app
from tests.support import INTERNAL_SECRET, JWT_SECRET, internal_headers

WHOAMI = "/v1/private/whoami"
OPEN_PATHS = {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@pytest.fixture(scope="module")
async def probe(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        LifespanManager(probe_app(database_url)) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
        ) as client,
    ):
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 60,
        "sub": "user:42",
        "role": "official",
        "div": "141124",
        **overrides,
    }


def assert_401(response: httpx.Response, code: str) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == code
    assert body["status"] == 401
    return body


async def test_a_valid_token_carries_the_principal(probe: httpx.AsyncClient) -> None:
    headers = internal_headers(Role.OFFICIAL, subject="user:42", division="141124")
    r = await probe.get(WHOAMI, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["principal"] == {
        "subject": "user:42",
        "role": "official",
        "division": "141124",
        "station": None,
        "carrier": None,
        "organiser": None,
    }


async def test_a_missing_token_is_401(probe: httpx.AsyncClient) -> None:
    body = assert_401(await probe.get(WHOAMI), "token_missing")
    assert "gateway" in body["detail"]
    zh = assert_401(await probe.get(WHOAMI, headers={"Accept-Language": "zh"}), "token_missing")
    assert zh["detail"] == "缺少内部令牌,请通过网关访问"
    # Another scheme is no bearer token either.
    r = await probe.get(WHOAMI, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_401(r, "token_missing")


# Tokens are made when each test runs (a lambda each): made at collection, a long suite
# would see them expire before it uses them.
@pytest.mark.parametrize(
    ("why", "make_token"),
    [
        (
            "wrong secret",
            lambda: jwt.encode(claims(), "not-the-internal-secret-0123456789", ALGORITHM),
        ),
        (
            "wrong audience",
            lambda: jwt.encode(claims(aud="ruralnet-api"), INTERNAL_SECRET, ALGORITHM),
        ),
        (
            "wrong issuer",
            lambda: jwt.encode(claims(iss="someone-else"), INTERNAL_SECRET, ALGORITHM),
        ),
        ("unknown role", lambda: jwt.encode(claims(role="emperor"), INTERNAL_SECRET, ALGORITHM)),
        ("no expiry", lambda: jwt.encode(claims(exp=None), INTERNAL_SECRET, ALGORITHM)),
        ("unsigned", lambda: jwt.encode(claims(), None, "none")),
        ("not a JWT", lambda: "garbage.token.here"),
        (
            "a user token, not an internal one",
            lambda: mint_user_token(
                Principal(subject="user:1", role=Role.ADMIN), secret=JWT_SECRET
            ),
        ),
    ],
)
async def test_a_forged_token_is_401(
    probe: httpx.AsyncClient, why: str, make_token: Callable[[], str]
) -> None:
    r = await probe.get(WHOAMI, headers=bearer(make_token()))
    body = assert_401(r, "token_invalid")
    assert body["detail"].startswith("The token is invalid"), why
    assert INTERNAL_SECRET not in body["detail"]


async def test_an_expired_token_is_401(probe: httpx.AsyncClient) -> None:
    past = int(time.time()) - 120
    token = jwt.encode(claims(iat=past, exp=past + 60), INTERNAL_SECRET, ALGORITHM)
    body = assert_401(await probe.get(WHOAMI, headers=bearer(token)), "token_expired")
    assert body["detail"] == "The token has expired"
    r = await probe.get(WHOAMI, headers={**bearer(token), "Accept-Language": "zh"})
    assert assert_401(r, "token_expired")["detail"] == "令牌已过期"


def test_minted_tokens_round_trip_and_expire() -> None:
    principal = Principal(subject="carrier:zto", role=Role.CARRIER, carrier="zhongtong")
    token = mint_internal_token(principal, secret=INTERNAL_SECRET, ttl_seconds=60)
    assert verify_internal_token(token, secret=INTERNAL_SECRET) == principal
    with pytest.raises(Unauthorized) as caught:
        verify_internal_token(token, secret="another-secret-0123456789abcdef0123")
    assert caught.value.code == "token_invalid"
    expired = mint_internal_token(principal, secret=INTERNAL_SECRET, ttl_seconds=-1)
    with pytest.raises(Unauthorized) as caught:
        verify_internal_token(expired, secret=INTERNAL_SECRET)
    assert caught.value.code == "token_expired"


def test_internal_tokens_are_reused_for_two_thirds_of_their_lifetime() -> None:
    start = int(time.time())
    now = [float(start)]
    tokens = InternalTokens(INTERNAL_SECRET, 60, clock=lambda: now[0])
    official = Principal(subject="user:7", role=Role.OFFICIAL, division="141124")
    operator = Principal(subject="user:8", role=Role.OPERATOR, station="141124100200-01")
    first = tokens(official)
    claims = jwt.decode(first, options={"verify_signature": False})
    assert (claims["iat"], claims["exp"]) == (start, start + 60)
    assert verify_internal_token(first, secret=INTERNAL_SECRET) == official
    other = tokens(operator)
    assert verify_internal_token(other, secret=INTERNAL_SECRET) == operator
    # An equal principal built anew is the same key.
    now[0] += 39.9
    assert tokens(Principal(subject="user:7", role=Role.OFFICIAL, division="141124")) == first
    # A third of its lifetime left: the next request gets a fresh one.
    now[0] += 0.1
    renewed = tokens(official)
    assert renewed != first
    claims = jwt.decode(renewed, options={"verify_signature": False})
    assert (claims["iat"], claims["exp"]) == (start + 40, start + 100)


def test_internal_tokens_keep_a_bounded_number_of_principals() -> None:
    tokens = InternalTokens(INTERNAL_SECRET, 60)
    tokens.CACHED = 3
    for n in range(10):
        tokens(Principal(subject=f"user:{n}", role=Role.ADMIN))
        assert len(tokens) <= 3


def test_verified_internal_tokens_remember_only_what_verified() -> None:
    verified = VerifiedInternalTokens(INTERNAL_SECRET)
    principal = Principal(subject="user:9", role=Role.PLATFORM, division="14")
    token = mint_internal_token(principal, secret=INTERNAL_SECRET, ttl_seconds=60)
    assert verified(token) == principal
    assert verified(token) == principal
    assert len(verified) == 1
    forged = mint_internal_token(principal, secret="a-forger-guessing-the-secret-0123456789")
    expired = mint_internal_token(principal, secret=INTERNAL_SECRET, ttl_seconds=-1)
    for refused, code in ((forged, "token_invalid"), (expired, "token_expired")):
        for _ in range(2):
            with pytest.raises(Unauthorized) as caught:
                verified(refused)
            assert caught.value.code == code
    assert len(verified) == 1


def test_a_remembered_internal_token_is_checked_again_at_its_expiry() -> None:
    now = [time.time()]
    verified = VerifiedInternalTokens(INTERNAL_SECRET, clock=lambda: now[0])
    principal = Principal(subject="user:9", role=Role.ADMIN)
    token = mint_internal_token(principal, secret=INTERNAL_SECRET, ttl_seconds=60)
    assert verified(token) == principal
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    now[0] = expires
    # Not taken from memory any more: the secret decides again (here: another app's).
    verified._secret = "another-apps-secret-0123456789abcdef0"
    with pytest.raises(Unauthorized):
        verified(token)


async def test_health_and_openapi_stay_open(probe: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs", "/redoc"):
        r = await probe.get(path)
        assert r.status_code == 200, (path, r.text)


async def test_every_stations_route_but_health_and_docs_needs_the_token(
    database_url: str,
) -> None:
    app: FastAPI = create_stations(StationsSettings(database_url=database_url))
    operations = [
        (method.upper(), re.sub(r"\{[^}]+\}", "141124000000", path))
        for path, item in app.openapi()["paths"].items()
        if path not in OPEN_PATHS
        for method in item
    ]
    assert operations, "the stations service has routes"
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
        ) as client,
    ):
        for method, path in operations:
            r = await client.request(method, path)
            assert r.status_code == 401, (method, path, r.text)
            assert r.json()["code"] == "token_missing"
