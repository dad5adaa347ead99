"""A person signs in with a stock OAuth2 client (Authlib's httpx client, as a front end or a
generated client would): the password grant, a protected write through the gateway with the
token it holds, the refresh grant, signing out — and the refusals a client library reads."""

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from fastapi import FastAPI

from tests.identity.conftest import ADMIN_PASSWORD, ADMIN_PHONE, Tokens
from tests.support import problem

TOKEN_URL = "http://gateway/auth/token"
ZH = {"Accept-Language": "zh"}


def person_client(gateway_app: FastAPI, **kwargs: object) -> AsyncOAuth2Client:
    """A public client (no secret), as Swagger UI's "Authorize" is."""
    return AsyncOAuth2Client(
        "ruralnet-web",
        token_endpoint_auth_method="none",
        transport=httpx.ASGITransport(app=gateway_app),
        base_url="http://gateway",
        **kwargs,
    )


async def test_a_stock_client_signs_a_person_in_refreshes_and_signs_out(
    gateway_app: FastAPI, admin: Tokens
) -> None:
    async with person_client(gateway_app) as client:
        token = await client.fetch_token(TOKEN_URL, username=ADMIN_PHONE, password=ADMIN_PASSWORD)
        assert token["token_type"] == "Bearer"
        assert token["refresh_token"].startswith("rt_")
        me = await client.get("/auth/me")
        assert me.status_code == 200
        assert me.json()["principal"]["role"] == "admin"
        # A write forwarded to the stations service, on the token the library attached.
        flagged = await client.put(
            "/stations/v1/divisions/141124100201/flags", json={"poor_village": True}
        )
        assert flagged.status_code == 200, flagged.text
        assert flagged.json()["poor_village"] is True

        first_refresh = token["refresh_token"]
        renewed = await client.refresh_token(TOKEN_URL)
        assert renewed["refresh_token"] != first_refresh
        assert (await client.get("/auth/me")).status_code == 200
        out = await client.post("/auth/logout")
        assert out.status_code == 204
        assert (await client.get("/auth/me")).status_code == 401
        with pytest.raises(OAuthError) as ended:
            await client.refresh_token(TOKEN_URL)
        assert ended.value.error == "invalid_grant"


async def test_wrong_or_missing_credentials_are_401_with_www_authenticate_in_chinese(
    gateway_app: FastAPI, gw: httpx.AsyncClient, admin: Tokens
) -> None:
    async with person_client(gateway_app) as client:
        with pytest.raises(OAuthError) as refused:
            await client.fetch_token(TOKEN_URL, username=ADMIN_PHONE, password="not the password")
        assert refused.value.error == "invalid_grant"
    wrong = await gw.post(
        "/auth/token",
        data={"grant_type": "password", "username": ADMIN_PHONE, "password": "not it"},
        headers=ZH,
    )
    body = problem(wrong, 401, "invalid_credentials")
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert "手机号或密码" in body["detail"]
    missing = await gw.post("/auth/logout", headers=ZH)
    body = problem(missing, 401, "authentication_required")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "登录" in body["detail"]
    forged = await gw.get("/auth/me", headers={"Authorization": "Bearer not.a.jwt", **ZH})
    body = problem(forged, 401, "token_invalid")
    assert 'error="invalid_token"' in forged.headers["www-authenticate"]
    assert "令牌无效" in body["detail"]
    client = await gw.post(
        "/auth/token", data={"grant_type": "client_credentials"}, auth=("rn-x", "cs_x"),
        headers=ZH,
    )  # fmt: skip
    body = problem(client, 401, "invalid_client")
    assert client.headers["www-authenticate"].startswith("Basic")
    assert "客户端" in body["detail"]
