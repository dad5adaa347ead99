"""The audit log: what is recorded, who may read it, and that no secret, password or phone
number is in it or in the logs."""

import logging

import asyncpg
import httpx
import pytest

from tests.identity.conftest import ADMIN_PASSWORD, ADMIN_PHONE, Tokens, create_user, login
from tests.support import problem


async def test_events_are_recorded_without_secrets_and_read_by_subtree(
    gw: httpx.AsyncClient, admin: Tokens, db: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await create_user(gw, admin, phone="13900000800", role="official", division="141124")
    await create_user(gw, admin, phone="13900000801", role="official", division="141125")
    official = await login(gw, "13900000800", "shanxi lin county 9")
    await gw.post(
        "/auth/token",
        data={"grant_type": "password", "username": "13900000801", "password": "guess-guess"},
    )
    client = (
        await gw.post(
            "/auth/clients",
            json={"name": "平台", "role": "platform", "division": "14", "scopes": ["feeds:read"]},
            headers=admin.headers,
        )
    ).json()
    await gw.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )
    await gw.post("/auth/logout", headers=official.headers)

    everything = await gw.get("/auth/audit", headers=admin.headers)
    assert everything.status_code == 200
    events = [e["event"] for e in everything.json()["items"]]
    for expected in (
        "user_created",
        "login_succeeded",
        "login_failed",
        "client_created",
        "client_token_issued",
        "logout",
    ):
        assert expected in events, events
    failed = next(e for e in everything.json()["items"] if e["event"] == "login_failed")
    assert failed["address"] == "127.0.0.1"
    assert failed["detail"]["phone"] == "139****0801"

    # Nothing secret anywhere: not in the table, not in a log line.
    dump = await db.fetchval("SELECT string_agg(t::text, '|') FROM gateway.audit_event t")
    logs = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    for secret in (
        ADMIN_PASSWORD,
        "shanxi lin county 9",
        "guess-guess",
        client["client_secret"],
        ADMIN_PHONE,
        "13900000801",
        official.access,
        official.refresh,
    ):
        assert secret not in dump
        assert secret not in logs

    county = await login(gw, "13900000800", "shanxi lin county 9")
    mine = await gw.get("/auth/audit", headers=county.headers)
    assert mine.status_code == 200
    divisions = {e["division"] for e in mine.json()["items"]}
    assert divisions == {"141124"}, divisions
    page = await gw.get(
        "/auth/audit", headers=admin.headers, params={"limit": 2, "event": "user_created"}
    )
    assert [e["event"] for e in page.json()["items"]] == ["user_created"] * 2
    assert page.json()["next"]


async def test_operators_do_not_read_the_audit_log(
    gw: httpx.AsyncClient, admin: Tokens, db: asyncpg.Pool
) -> None:
    from tests.stations.factories import insert_station

    station = await insert_station(db, "141124100201")
    await create_user(gw, admin, phone="13900000900", role="operator", station=station.code)
    operator = await login(gw, "13900000900", "shanxi lin county 9")
    problem(await gw.get("/auth/audit", headers=operator.headers), 403, "role_forbidden")
    problem(await gw.get("/auth/audit"), 401, "authentication_required")
    assert (await gw.get("/auth/me", headers=operator.headers)).json()["principal"][
        "station"
    ] == station.code
    await login(gw, ADMIN_PHONE, ADMIN_PASSWORD)
