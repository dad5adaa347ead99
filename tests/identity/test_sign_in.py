"""Signing in with phone and password, refresh tokens, lockout and signing out."""

import asyncpg
import httpx
import jwt
import pytest
from fastapi import FastAPI

from common.errors import Unauthorized
from gateway.identity.tokens import USER_AUDIENCE, USER_ISSUER
from tests.identity.conftest import ADMIN_PASSWORD, ADMIN_PHONE, Tokens, login
from tests.support import JWT_SECRET, problem


def _grant(phone: str, password: str) -> dict[str, str]:
    return {"grant_type": "password", "username": phone, "password": password}


async def test_a_person_signs_in_and_the_token_says_who(
    gw: httpx.AsyncClient, admin: Tokens
) -> None:
    r = await gw.post("/auth/token", data=_grant("+86 138-0000-0001", ADMIN_PASSWORD))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["refresh_token"].startswith("rt_")
    claims = jwt.decode(
        body["access_token"],
        JWT_SECRET,
        algorithms=["HS256"],
        audience=USER_AUDIENCE,
        issuer=USER_ISSUER,
    )
    assert claims["role"] == "admin"
    assert claims["exp"] - claims["iat"] == 600
    assert claims["jti"]
    assert claims["sid"]
    assert claims["gen"] == 1
    me = await gw.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["account"]["phone"] == "138****0001"


async def test_unknown_phone_and_wrong_password_get_the_same_answer(
    gw: httpx.AsyncClient, admin: Tokens, db: asyncpg.Pool
) -> None:
    wrong = await gw.post("/auth/token", data=_grant(ADMIN_PHONE, "not the password"))
    unknown = await gw.post("/auth/token", data=_grant("13900000009", "not the password"))
    for r in (wrong, unknown):
        body = problem(r, 401, "invalid_credentials")
        assert body["error"] == "invalid_grant"
        assert r.headers["www-authenticate"].startswith("Bearer")
    strip = {"request_id", "instance"}
    assert {k: v for k, v in wrong.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }
    # Both were counted (by the phone's keyed index, known or not) and logged.
    assert (
        await db.fetchval("SELECT count(*) FROM gateway.login_throttle WHERE key LIKE 'phone:%'")
        == 2
    )
    assert (
        await db.fetchval("SELECT count(*) FROM gateway.audit_event WHERE event = 'login_failed'")
        == 2
    )


async def test_lockout_after_five_failures_says_when_it_ends_in_chinese(
    gw: httpx.AsyncClient, admin: Tokens, db: asyncpg.Pool
) -> None:
    for _ in range(4):
        problem(
            await gw.post("/auth/token", data=_grant(ADMIN_PHONE, "wrong guess")),
            401,
            "invalid_credentials",
        )
    fifth = await gw.post(
        "/auth/token", data=_grant(ADMIN_PHONE, "wrong guess"), headers={"Accept-Language": "zh"}
    )
    body = problem(fifth, 429, "account_locked")
    assert "账号已临时锁定" in body["detail"]
    assert "北京时间" in body["detail"]
    assert body["unlocks_at"]
    assert 800 < int(fifth.headers["retry-after"]) <= 901
    # Locked means locked: the right password waits too.
    problem(
        await gw.post("/auth/token", data=_grant(ADMIN_PHONE, ADMIN_PASSWORD)),
        429,
        "account_locked",
    )
    # An unknown phone is locked alike, so a lockout tells nobody who has an account.
    for _ in range(5):
        last = await gw.post("/auth/token", data=_grant("13900000009", "wrong guess"))
    problem(last, 429, "account_locked")
    events = await db.fetch("SELECT event FROM gateway.audit_event WHERE event = 'account_locked'")
    assert len(events) == 2
    # The lock runs out (its end moved into the past here rather than waiting 15 minutes).
    await db.execute("UPDATE gateway.login_throttle SET locked_until = now() - interval '1 second'")
    await login(gw, ADMIN_PHONE, ADMIN_PASSWORD)
    lockouts = await db.fetchval(
        "SELECT count(*) FROM gateway.login_throttle WHERE key LIKE 'phone:%'"
    )
    assert lockouts == 1  # the admin's count was cleared by signing in; the unknown one stays


async def test_one_address_guessing_many_phones_is_locked(
    gw: httpx.AsyncClient, admin: Tokens, db: asyncpg.Pool
) -> None:
    await db.execute(
        "INSERT INTO gateway.login_throttle (key, failures, window_started_at, lockouts) "
        "VALUES ('address:127.0.0.1', 49, now(), 0)"
    )
    problem(
        await gw.post("/auth/token", data=_grant("13900000123", "x" * 9)), 429, "account_locked"
    )
    problem(
        await gw.post("/auth/token", data=_grant(ADMIN_PHONE, ADMIN_PASSWORD)),
        429,
        "account_locked",
    )


async def test_an_old_failure_window_starts_counting_again(
    gw: httpx.AsyncClient, admin: Tokens, db: asyncpg.Pool
) -> None:
    for _ in range(4):
        await gw.post("/auth/token", data=_grant(ADMIN_PHONE, "wrong guess"))
    await db.execute(
        "UPDATE gateway.login_throttle SET window_started_at = now() - interval '16 minutes'"
    )
    problem(
        await gw.post("/auth/token", data=_grant(ADMIN_PHONE, "wrong guess")),
        401,
        "invalid_credentials",
    )
    assert (
        await db.fetchval("SELECT failures FROM gateway.login_throttle WHERE key LIKE 'phone:%'")
        == 1
    )


async def test_refresh_rotates_and_a_reused_token_ends_the_session(
    gw: httpx.AsyncClient, admin: Tokens
) -> None:
    first = admin
    r = await gw.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": first.refresh}
    )
    assert r.status_code == 200, r.text
    second = Tokens(r.json()["access_token"], r.json()["refresh_token"])
    assert second.refresh != first.refresh
    assert (await gw.get("/auth/me", headers=second.headers)).status_code == 200
    # The first refresh token again: someone holds a copy. The whole session ends.
    again = await gw.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": first.refresh},
        headers={"Accept-Language": "zh"},
    )
    body = problem(again, 400, "refresh_token_reused")
    assert body["error"] == "invalid_grant"
    assert "重新登录" in body["detail"]
    after = await gw.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": second.refresh}
    )
    problem(after, 400, "session_ended")
    problem(await gw.get("/auth/me", headers=second.headers), 401, "token_revoked")
    problem(await gw.get("/auth/me", headers=first.headers), 401, "token_revoked")


async def test_logout_ends_the_session_at_once(gw: httpx.AsyncClient, admin: Tokens) -> None:
    other = await login(gw, ADMIN_PHONE, ADMIN_PASSWORD)
    r = await gw.post("/auth/logout", headers=admin.headers)
    assert r.status_code == 204
    problem(await gw.get("/auth/me", headers=admin.headers), 401, "token_revoked")
    refused = await gw.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": admin.refresh}
    )
    problem(refused, 400, "session_ended")
    # Another device's session goes on.
    assert (await gw.get("/auth/me", headers=other.headers)).status_code == 200


async def test_an_expired_access_token_is_refused(gw: httpx.AsyncClient, admin: Tokens) -> None:
    claims = jwt.decode(admin.access, options={"verify_signature": False})
    old = jwt.encode(
        {**claims, "iat": claims["iat"] - 1200, "exp": claims["exp"] - 1200}, JWT_SECRET, "HS256"
    )
    problem(
        await gw.get("/auth/me", headers={"Authorization": f"Bearer {old}"}), 401, "token_expired"
    )


async def test_an_expired_refresh_token_is_refused(
    gw: httpx.AsyncClient, admin: Tokens, db: asyncpg.Pool
) -> None:
    await db.execute("UPDATE gateway.refresh_token SET expires_at = now() - interval '1 second'")
    r = await gw.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": admin.refresh}
    )
    problem(r, 400, "refresh_token_expired")


async def test_the_token_endpoint_answers_as_rfc_6749_says(gw: httpx.AsyncClient) -> None:
    as_json = await gw.post("/auth/token", json={"grant_type": "password"})
    assert problem(as_json, 400, "invalid_request")["error"] == "invalid_request"
    missing = await gw.post("/auth/token", data={"grant_type": "password", "username": ADMIN_PHONE})
    assert problem(missing, 400, "invalid_request", field="password")["error"] == "invalid_request"
    unknown = await gw.post("/auth/token", data={"grant_type": "implicit"})
    assert problem(unknown, 400, "unsupported_grant_type")["error"] == "unsupported_grant_type"
    not_phone = await gw.post("/auth/token", data=_grant("admin", "whatever1"))
    problem(not_phone, 400, "invalid_request", field="username")
    forged = await gw.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": "rt_forged"}
    )
    assert problem(forged, 400, "refresh_token_invalid")["error"] == "invalid_grant"


async def test_a_changed_argon2_cost_rehashes_at_the_next_sign_in(
    gw: httpx.AsyncClient, admin: Tokens, gateway_app: FastAPI, db: asyncpg.Pool
) -> None:
    from gateway.identity.passwords import Passwords
    from tests.identity.conftest import FAST_ARGON2

    before = await db.fetchval("SELECT password_hash FROM gateway.user_account")
    assert "m=8192,t=1" in before
    identity = gateway_app.state.identity
    settings = gateway_app.state.settings.model_copy(update={**FAST_ARGON2, "argon2_time_cost": 2})
    original = identity.passwords
    identity.passwords = Passwords(settings)
    try:
        await login(gw, ADMIN_PHONE, ADMIN_PASSWORD)
    finally:
        identity.passwords = original
    after = await db.fetchval("SELECT password_hash FROM gateway.user_account")
    assert "m=8192,t=2" in after
    await login(gw, ADMIN_PHONE, ADMIN_PASSWORD)  # the new hash verifies under any cost


async def test_another_gateway_process_learns_a_revocation_at_its_next_reload(
    gw: httpx.AsyncClient, admin: Tokens, gateway_app: FastAPI
) -> None:
    from gateway.identity.tokens import AccessTokens, Revocations

    elsewhere = AccessTokens(JWT_SECRET, Revocations())
    assert elsewhere.verify(admin.access).principal.role == "admin"
    assert (await gw.post("/auth/logout", headers=admin.headers)).status_code == 204
    async with gateway_app.state.sessionmaker() as session:
        await elsewhere.revocations.reload(session)
    with pytest.raises(Unauthorized) as refused:
        elsewhere.verify(admin.access)
    assert refused.value.code == "token_revoked"


async def test_the_openapi_document_declares_both_flows(gw: httpx.AsyncClient) -> None:
    schemes = (await gw.get("/openapi.json")).json()["components"]["securitySchemes"]
    flows = next(s["flows"] for s in schemes.values() if s["type"] == "oauth2")
    assert flows["password"]["tokenUrl"] == "/auth/token"
    assert flows["clientCredentials"]["tokenUrl"] == "/auth/token"
    assert "coverage:write" in flows["clientCredentials"]["scopes"]
