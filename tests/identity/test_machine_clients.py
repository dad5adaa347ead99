"""Machine clients: OAuth2 client credentials driven by a stock client library (Authlib),
scopes narrowing what a machine may ask of the services, and secrets that rotate."""

import time
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from fastapi import FastAPI

from common.auth import ALGORITHM
from gateway.identity.tokens import USER_AUDIENCE, USER_ISSUER
from tests.identity.conftest import Tokens
from tests.support import JWT_SECRET, problem

CARRIER = {
    "name": "中通快递 吕梁",
    "role": "carrier",
    "carrier": "zhongtong",
    "scopes": ["coverage:write", "feeds:read"],
}


async def create_client(
    gw: httpx.AsyncClient, admin: Tokens, body: dict[str, Any] = CARRIER
) -> dict[str, Any]:
    r = await gw.post("/auth/clients", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    created: dict[str, Any] = r.json()
    return created


def oauth_client(
    gateway_app: FastAPI, client_id: str, secret: str, **kwargs: Any
) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id,
        secret,
        transport=httpx.ASGITransport(app=gateway_app),
        base_url="http://gateway",
        **kwargs,
    )


@pytest.fixture
async def carrier(gw: httpx.AsyncClient, admin: Tokens) -> dict[str, Any]:
    return await create_client(gw, admin)


async def test_a_stock_oauth2_client_gets_a_token(
    gateway_app: FastAPI, carrier: dict[str, Any]
) -> None:
    for method in ("client_secret_basic", "client_secret_post"):
        async with oauth_client(
            gateway_app,
            carrier["client_id"],
            carrier["client_secret"],
            token_endpoint_auth_method=method,
        ) as client:
            token = await client.fetch_token(
                "http://gateway/auth/token", grant_type="client_credentials"
            )
            assert token["token_type"] == "Bearer"
            assert "refresh_token" not in token  # RFC 6749 §4.4.3: none for machines
            assert token["scope"] == "coverage:write feeds:read"
            me = await client.get("http://gateway/auth/me")
            assert me.status_code == 200
            assert me.json()["principal"] == {
                "subject": f"client:{carrier['client_id']}",
                "role": "carrier",
                "division": None,
                "station": None,
                "carrier": "zhongtong",
                "organiser": None,
            }


async def test_wrong_secrets_and_scopes_get_rfc_6749_errors(
    gateway_app: FastAPI, gw: httpx.AsyncClient, carrier: dict[str, Any]
) -> None:
    async with oauth_client(gateway_app, carrier["client_id"], "cs_wrong") as client:
        with pytest.raises(OAuthError) as refused:
            await client.fetch_token("http://gateway/auth/token", grant_type="client_credentials")
        assert refused.value.error == "invalid_client"
    r = await gw.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(carrier["client_id"], "cs_wrong"),
    )
    problem(r, 401, "invalid_client")
    assert r.headers["www-authenticate"].startswith("Basic")
    async with oauth_client(
        gateway_app, carrier["client_id"], carrier["client_secret"], scope="volumes:write"
    ) as client:
        with pytest.raises(OAuthError) as refused:
            await client.fetch_token("http://gateway/auth/token", grant_type="client_credentials")
        assert refused.value.error == "invalid_scope"
    narrow = await gw.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "scope": "feeds:read"},
        auth=(carrier["client_id"], carrier["client_secret"]),
    )
    assert narrow.json()["scope"] == "feeds:read"
    both = await gw.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": carrier["client_id"],
            "client_secret": "x",
        },
        auth=(carrier["client_id"], carrier["client_secret"]),
    )
    problem(both, 400, "invalid_request")
    for forged in ("rn-\x00", "x" * 500, "rn-0000000000000000"):
        r = await gw.post(
            "/auth/token", data={"grant_type": "client_credentials"}, auth=(forged, "x")
        )
        problem(r, 401, "invalid_client")


async def _token(
    gw: httpx.AsyncClient,
    client: dict[str, Any],
    secret: str | None = None,
    scope: str | None = None,
) -> httpx.Response:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    return await gw.post(
        "/auth/token", data=data, auth=(client["client_id"], secret or client["client_secret"])
    )


async def test_scopes_decide_what_a_machine_may_ask_of_the_services(
    gw: httpx.AsyncClient, carrier: dict[str, Any]
) -> None:
    feeds_only = {
        "Authorization": f"Bearer {(await _token(gw, carrier, scope='feeds:read')).json()['access_token']}"
    }
    refused = await gw.post(
        "/logistics/v1/coverage/bulk", json=[], headers={**feeds_only, "Accept-Language": "zh"}
    )
    body = problem(refused, 403, "insufficient_scope")
    assert 'scope="coverage:write"' in refused.headers["www-authenticate"]
    assert "权限范围" in body["detail"]
    problem(
        await gw.post("/stations/v1/stations", json={}, headers=feeds_only),
        403,
        "insufficient_scope",
    )
    problem(
        await gw.get("/stations/v1/indicators/141124000000", headers=feeds_only),
        403,
        "insufficient_scope",
    )
    # Public reads need no scope; a granted scope lets the request through to the service.
    assert (
        await gw.get("/stations/v1/divisions/141124000000", headers=feeds_only)
    ).status_code == 200
    full = {"Authorization": f"Bearer {(await _token(gw, carrier)).json()['access_token']}"}
    passed = await gw.post("/logistics/v1/coverage/bulk", json=[], headers=full)
    problem(passed, 503, "service_unreachable")  # past the scope check, to a service that is down


async def test_rotation_keeps_two_secrets_valid_for_the_overlap(
    gw: httpx.AsyncClient, admin: Tokens, carrier: dict[str, Any], db: asyncpg.Pool
) -> None:
    r = await gw.post(
        f"/auth/clients/{carrier['client_id']}/secrets",
        json={"overlap_hours": 24},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    rotated = r.json()
    assert rotated["client_secret"] != carrier["client_secret"]
    assert len(rotated["secrets"]) == 2
    assert (await _token(gw, carrier)).status_code == 200
    assert (await _token(gw, carrier, rotated["client_secret"])).status_code == 200
    # The overlap ends (moved into the past here rather than waiting a day).
    await db.execute(
        "UPDATE gateway.client_secret SET expires_at = now() - interval '1 second' WHERE expires_at IS NOT NULL"
    )
    problem(await _token(gw, carrier), 401, "invalid_client")
    assert (await _token(gw, carrier, rotated["client_secret"])).status_code == 200


async def test_a_revoked_secret_or_a_disabled_client_stops_at_once(
    gw: httpx.AsyncClient, admin: Tokens, carrier: dict[str, Any]
) -> None:
    token = {"Authorization": f"Bearer {(await _token(gw, carrier)).json()['access_token']}"}
    assert (await gw.get("/auth/me", headers=token)).status_code == 200
    secret_id = carrier["secrets"][0]["id"]
    r = await gw.delete(
        f"/auth/clients/{carrier['client_id']}/secrets/{secret_id}", headers=admin.headers
    )
    assert r.status_code == 204
    problem(await gw.get("/auth/me", headers=token), 401, "token_revoked")
    problem(await _token(gw, carrier), 401, "invalid_client")
    rotated = (
        await gw.post(
            f"/auth/clients/{carrier['client_id']}/secrets", json={}, headers=admin.headers
        )
    ).json()
    fresh = {
        "Authorization": f"Bearer {(await _token(gw, carrier, rotated['client_secret'])).json()['access_token']}"
    }
    assert (await gw.get("/auth/me", headers=fresh)).status_code == 200
    disabled = await gw.patch(
        f"/auth/clients/{carrier['client_id']}",
        json={"status": "disabled"},
        headers={**admin.headers, "If-Match": f'"{rotated["version"]}"'},
    )
    assert disabled.status_code == 200, disabled.text
    problem(await gw.get("/auth/me", headers=fresh), 401, "token_revoked")
    problem(await _token(gw, carrier, rotated["client_secret"]), 401, "client_disabled")


async def test_a_client_holds_only_what_its_kind_may(gw: httpx.AsyncClient, admin: Tokens) -> None:
    bad = {**CARRIER, "scopes": ["training:write"]}
    problem(
        await gw.post("/auth/clients", json=bad, headers=admin.headers),
        422,
        "scope_not_allowed",
        field="scopes[0]",
    )
    nested = {**CARRIER, "scopes": [["coverage:write"]]}
    problem(
        await gw.post("/auth/clients", json=nested, headers=admin.headers),
        422,
        "validation_failed",
        field="scopes.0",
    )
    unknown = {**CARRIER, "scopes": ["everything"]}
    problem(
        await gw.post("/auth/clients", json=unknown, headers=admin.headers), 422, "unknown_scope"
    )
    unbound = {**CARRIER, "carrier": None}
    problem(
        await gw.post("/auth/clients", json=unbound, headers=admin.headers),
        422,
        "missing_binding",
        field="carrier",
    )
    platform = await create_client(
        gw,
        admin,
        {
            "name": "山西省平台",
            "role": "platform",
            "division": "14",
            "scopes": ["reports:read", "feeds:read"],
        },
    )
    assert platform["division"] == "14"
    organiser = await create_client(
        gw,
        admin,
        {
            "name": "承办单位",
            "role": "organiser",
            "organiser": "91350100M000100Y43",
            "scopes": ["training:write"],
        },
    )
    assert organiser["organiser"] == "91350100M000100Y43"
    scopes = await gw.get("/auth/scopes")
    assert {s["name"] for s in scopes.json()} >= {
        "coverage:write",
        "volumes:write",
        "reports:read",
        "feeds:read",
    }


async def test_a_scope_not_held_and_a_token_without_its_scopes_are_refused_in_chinese(
    gw: httpx.AsyncClient, carrier: dict[str, Any]
) -> None:
    asked = await gw.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "scope": "coverage:write training:write"},
        auth=(carrier["client_id"], carrier["client_secret"]),
        headers={"Accept-Language": "zh"},
    )
    body = problem(asked, 400, "scope_not_granted")
    assert body["error"] == "invalid_scope"
    assert "training:write" in body["detail"]
    assert "权限范围" in body["detail"]
    # Signed by the gateway, but a machine's token without its scopes would hold them all;
    # a person's token carries none.
    now = int(time.time())
    base = {"iss": USER_ISSUER, "aud": USER_AUDIENCE, "iat": now, "exp": now + 300}
    machine = {**base, "sub": "client:x", "role": "carrier", "car": "zhongtong"}
    person = {**base, "sub": "user:1", "role": "admin", "scope": "feeds:read"}
    for claims, said in ((machine, "缺少权限范围"), (person, "不应含权限范围")):
        token = jwt.encode(claims, JWT_SECRET, ALGORITHM)
        r = await gw.get(
            "/auth/me", headers={"Authorization": f"Bearer {token}", "Accept-Language": "zh"}
        )
        assert said in problem(r, 401, "token_invalid")["detail"]
