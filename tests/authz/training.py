"""The training service's write routes in the authorization matrix (see ``tests/authz``)."""

from common.auth import Principal, Role
from tests.authz import CREDIT_CODE, Context, Forwarded, Write, roles
from tests.training.helpers import admin, days_ago, person, resident_id, session_body

COUNTY_OFFICIAL = Principal(subject="official:141124", role=Role.OFFICIAL, division="141124")
YEJI_OFFICIAL = Principal(subject="official:341504", role=Role.OFFICIAL, division="341504")
PLACE = "141124100000"  # 临泉镇: where the sessions are held
VILLAGE = "141124100201"  # where the trainees live
YEJI = "341504000000"
SESSION_WRITERS = roles(Role.ADMIN, Role.OFFICIAL, Role.ORGANISER)
OFFICIALS = roles(Role.ADMIN, Role.OFFICIAL)


async def a_session(ctx: Context) -> dict[str, str]:
    r = await ctx.clients["training"].post("/v1/sessions", json=session_body(), headers=admin())
    assert r.status_code == 201, r.text
    return {"session_id": str(r.json()["id"])}


async def a_trainee(ctx: Context) -> dict[str, str]:
    r = await ctx.clients["training"].post("/v1/trainees", json=person(), headers=admin())
    assert r.status_code == 201, r.text
    return {"trainee_id": str(r.json()["id"])}


async def a_trained_person(ctx: Context) -> dict[str, str]:
    made = await a_session(ctx)
    url = f"/v1/sessions/{made['session_id']}/attendance"
    r = await ctx.clients["training"].post(
        url, json={"trainee": person(), "day": days_ago(1)}, headers=admin()
    )
    assert r.status_code == 201, r.text
    return {"trainee_id": str(r.json()["trainee_id"])}


async def yeji_policy(ctx: Context) -> None:
    r = await ctx.clients["training"].post(
        "/v1/subsidy-policies/presets/yeji-2017", headers=admin()
    )
    assert r.status_code == 201, r.text


def _policy() -> dict[str, object]:
    return {
        "name": "叶集区电子商务培训定额补助(2027)",
        "region": "341504",
        "valid_from": "2017-01-01",
        "rules": [
            {"name": "半天", "duration_kinds": ["half_day"], "unit": "person", "amount": "80"}
        ],
    }


def _sheet() -> list[dict[str, object]]:
    # The setup's session is the first of the test (ids restart after every test).
    return [{"session_id": 1, "day": days_ago(1), **person()}]


SESSION = {"division": PLACE, "organiser": CREDIT_CODE}

ROUTES: dict[tuple[str, str], Write | Forwarded] = {
    ("POST", "/v1/sessions"): Write(
        allowed=SESSION_WRITERS, ok_as=COUNTY_OFFICIAL, success=201, body=session_body, **SESSION
    ),
    ("PATCH", "/v1/sessions/{session_id}"): Write(
        allowed=SESSION_WRITERS,
        ok_as=COUNTY_OFFICIAL,
        success=200,
        body={"topic": "直播带货"},
        headers={"If-Match": '"1"'},
        setup=a_session,
        **SESSION,
    ),
    ("POST", "/v1/sessions/{session_id}/status"): Write(
        allowed=SESSION_WRITERS,
        ok_as=COUNTY_OFFICIAL,
        success=200,
        body={"status": "held"},
        setup=a_session,
        **SESSION,
    ),
    ("POST", "/v1/sessions/{session_id}/attendance"): Write(
        allowed=SESSION_WRITERS,
        ok_as=COUNTY_OFFICIAL,
        success=201,
        body=lambda: {"trainee": person(), "day": days_ago(1)},
        setup=a_session,
        **SESSION,
    ),
    ("POST", "/v1/attendance/bulk"): Write(
        allowed=SESSION_WRITERS,
        ok_as=COUNTY_OFFICIAL,
        success=200,
        body=_sheet,
        setup=a_session,
        per_row=True,
        **SESSION,
    ),
    ("POST", "/v1/trainees"): Write(
        allowed=OFFICIALS, ok_as=COUNTY_OFFICIAL, success=201, body=person, division=VILLAGE
    ),
    ("POST", "/v1/trainees/lookup"): Write(
        allowed=SESSION_WRITERS,
        ok_as=COUNTY_OFFICIAL,
        success=200,
        body={"id_number": resident_id()},
        setup=a_trainee,
        division=VILLAGE,
        hides=True,
    ),
    ("PATCH", "/v1/trainees/{trainee_id}"): Write(
        allowed=OFFICIALS,
        ok_as=COUNTY_OFFICIAL,
        success=200,
        body={"phone": "13900000002"},
        headers={"If-Match": '"1"'},
        setup=a_trainee,
        division=VILLAGE,
    ),
    ("POST", "/v1/trainees/{trainee_id}/erasure"): Write(
        allowed=OFFICIALS, ok_as=COUNTY_OFFICIAL, success=200, setup=a_trainee, division=VILLAGE
    ),
    ("POST", "/v1/trainees/{trainee_id}/outcomes"): Write(
        allowed=SESSION_WRITERS,
        ok_as=COUNTY_OFFICIAL,
        success=201,
        body=lambda: {"kind": "employed", "occurred_on": days_ago(0), "source": "official"},
        setup=a_trained_person,
        division=VILLAGE,
        organiser=CREDIT_CODE,
    ),
    ("POST", "/v1/subsidy-policies"): Write(
        allowed=OFFICIALS,
        ok_as=YEJI_OFFICIAL,
        success=201,
        body=lambda: {**_policy(), "key": "yeji-2027"},
        division=YEJI,
    ),
    ("POST", "/v1/subsidy-policies/presets/{key}"): Write(
        allowed=OFFICIALS,
        ok_as=YEJI_OFFICIAL,
        success=201,
        path={"key": "yeji-2017"},
        division=YEJI,
    ),
    ("PUT", "/v1/subsidy-policies/{key}"): Write(
        allowed=OFFICIALS,
        ok_as=YEJI_OFFICIAL,
        success=200,
        path={"key": "yeji-2017"},
        body=_policy,
        headers={"If-Match": '"1"'},
        setup=yeji_policy,
        division=YEJI,
    ),
}
