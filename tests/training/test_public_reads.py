"""What the public may read of training (ADR 0009): sessions (what is taught where, when and
by which company), their counts, subsidy policies and what was paid per organiser and county,
the indicators and gap lists — without naming who created or changed anything. Trainees,
attendance lists, follow-ups, a session's per-trainee subsidy and the change feed need a
token. Every read route is in one of the two tables (``test_every_read_route_is_decided``)."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from common.auth import Role
from services.training.app import create
from services.training.settings import TrainingSettings
from tests.support import internal_headers
from tests.training.helpers import (
    COUNTY,
    VILLAGE,
    ZH,
    admin,
    days_ago,
    make_session,
    person,
)

OPEN = {
    "/openapi.json",
    "/docs",
    "/docs/assets/{name}",
    "/docs/oauth2-redirect",
    "/redoc",
    "/healthz",
    "/readyz",
    "/metrics",
}
PERIOD = f"from={days_ago(30)}&to={days_ago(0)}"
PUBLIC_READS = {
    "/v1/sessions": "/v1/sessions",
    "/v1/sessions/{session_id}": "/v1/sessions/{session}",
    "/v1/sessions/{session_id}/counts": "/v1/sessions/{session}/counts",
    "/v1/attendance/bulk/template": "/v1/attendance/bulk/template",
    "/v1/subsidy-policies": "/v1/subsidy-policies",
    "/v1/subsidy-policies/presets": "/v1/subsidy-policies/presets",
    "/v1/subsidy-policies/{key}": "/v1/subsidy-policies/yeji-2017",
    "/v1/subsidy-policies/{key}/versions": "/v1/subsidy-policies/yeji-2017/versions",
    "/v1/subsidies": f"/v1/subsidies?{PERIOD}&group_by=county",
    "/v1/indicators/training": f"/v1/indicators/training?division={COUNTY}&{PERIOD}",
    "/v1/indicators/training/gaps": f"/v1/indicators/training/gaps?division={COUNTY}&{PERIOD}",
    "/v1/indicators/training/villages": f"/v1/indicators/training/villages?codes={VILLAGE}"
    f"&{PERIOD}",
    # the counts without categories, and why the residents are not listed (ADR 0076)
    "/v1/record-parts/villages/{code}": f"/v1/record-parts/villages/{VILLAGE}"
    f"?interval={days_ago(30)}/{days_ago(0)}",
}
SIGNED_IN_READS = {
    "/v1/trainees": f"/v1/trainees?division={COUNTY}",
    "/v1/trainees/{trainee_id}": "/v1/trainees/{trainee}",
    "/v1/trainees/{trainee_id}/export": "/v1/trainees/{trainee}/export",
    "/v1/trainees/{trainee_id}/outcomes": "/v1/trainees/{trainee}/outcomes",
    "/v1/sessions/{session_id}/attendance": "/v1/sessions/{session}/attendance",
    "/v1/sessions/{session_id}/subsidy": "/v1/sessions/{session}/subsidy",
    "/v1/changes": "/v1/changes",
    "/v1/changes/head": "/v1/changes/head",
}
ANONYMOUS = internal_headers(Role.PUBLIC, subject="anonymous")


def test_every_read_route_is_decided(database_url: str) -> None:
    app: FastAPI = create(TrainingSettings(database_url=database_url, follow_stations=False))
    reads = {
        route.path for route in iter_route_contexts(app.routes) if "GET" in (route.methods or set())
    }
    assert reads - OPEN == set(PUBLIC_READS) | set(SIGNED_IN_READS)
    assert not set(PUBLIC_READS) & set(SIGNED_IN_READS)


@pytest.fixture
async def held(training: httpx.AsyncClient) -> dict[str, Any]:
    """A held session with one trainee signed in, under an adopted policy."""
    r = await training.post("/v1/subsidy-policies/presets/yeji-2017", headers=admin())
    assert r.status_code in (200, 201), r.text
    s = await make_session(training)
    r = await training.post(
        f"/v1/sessions/{s['id']}/attendance",
        json={"trainee": person(), "day": days_ago(1)},
        headers=admin(),
    )
    assert r.status_code == 201, r.text
    r = await training.post(
        f"/v1/sessions/{s['id']}/status", json={"status": "held"}, headers=admin()
    )
    assert r.status_code == 200, r.text
    return {"session": s["id"], "trainee": await _trainee(training)}


async def _trainee(training: httpx.AsyncClient) -> int:
    r = await training.get(f"/v1/trainees?division={COUNTY}", headers=admin())
    assert r.status_code == 200, r.text
    return int(r.json()["items"][0]["id"])


def _url(template: str, held: dict[str, Any]) -> str:
    return template.format(**held)


async def test_the_public_reads_sessions_policies_and_figures(
    training: httpx.AsyncClient, held: dict[str, Any]
) -> None:
    for url in PUBLIC_READS.values():
        r = await training.get(_url(url, held), headers=ANONYMOUS)
        assert r.status_code == 200, (url, r.text)
        # who created or changed a record is a person's account: never shown to the public
        for subject in ("admin", "official:", "organiser:"):
            assert f'"{subject}' not in r.text, (url, r.text)
        assert "王" not in r.text, url
        # the person's phone, whole or masked ("139" alone is in timestamps and ids too)
        assert "13900000001" not in r.text, url
        assert "139****" not in r.text, url
    one = (await training.get(f"/v1/sessions/{held['session']}", headers=ANONYMOUS)).json()
    assert one["created_by"] is None
    assert one["status"]["changed_by"] is None
    assert one["status"]["status"] == "held"
    signed = (await training.get(f"/v1/sessions/{held['session']}", headers=admin())).json()
    assert signed["created_by"] == "admin"
    assert signed["status"]["changed_by"] == "admin"
    village = await training.get(
        PUBLIC_READS["/v1/indicators/training/villages"], headers=ANONYMOUS
    )
    assert village.json()["villages"][0]["by_category"] is None


async def test_the_rest_needs_a_token(training: httpx.AsyncClient, held: dict[str, Any]) -> None:
    for url in SIGNED_IN_READS.values():
        r = await training.get(_url(url, held), headers=ANONYMOUS | ZH)
        assert r.status_code == 401, (url, r.text)
        assert r.headers["www-authenticate"] == "Bearer", url
        assert r.json()["code"] == "authentication_required", url
        assert r.json()["detail"].startswith("请先登录"), url


async def test_a_carrier_reads_no_trainee(
    training: httpx.AsyncClient, held: dict[str, Any]
) -> None:
    carrier = internal_headers(Role.CARRIER, carrier="zhongtong")
    for url in list(SIGNED_IN_READS.values())[:-1]:
        r = await training.get(_url(url, held), headers=carrier)
        assert r.status_code == 403, (url, r.text)
