"""Sessions and trainees: each bad input as its own problem (in Chinese when asked, never
echoing an ID number), masking by scope, one record per person, export and erasure."""

import asyncpg
import httpx

from tests.training.helpers import (
    OTHER_ORGANISER,
    VILLAGE,
    ZH,
    admin,
    days_ago,
    make_session,
    official,
    organiser,
    person,
    problem,
    resident_id,
    session_body,
)


async def test_session_lifecycle_and_bad_dates(training: httpx.AsyncClient) -> None:
    s = await make_session(
        training,
        organiser(),
        place={
            "division_code": "141124100000",
            "address": "临泉镇",
            "location": {"lon": 110.99, "lat": 37.96, "crs": "gcj02"},
        },
    )
    assert s["status"]["status"] == "planned"
    assert s["place"]["location"]["crs"] == "wgs84"
    r = await training.post(
        "/v1/sessions", json=session_body(ends_on=days_ago(3)), headers=admin() | ZH
    )
    body = problem(r, 422, "ends_before_start", "ends_on")
    assert "早于" in body["detail"]
    r = await training.post(
        "/v1/sessions", json=session_body(duration_kind="several_days"), headers=admin()
    )
    problem(r, 422, "duration_mismatch", "duration_kind")
    other = session_body(organiser={"name": "x", "credit_code": OTHER_ORGANISER})
    problem(
        await training.post("/v1/sessions", json=other, headers=organiser()),
        403,
        "not_your_session",
    )
    r = await training.post("/v1/sessions", json=session_body(), headers=official("341504"))
    problem(r, 403, "outside_scope")

    r = await training.post(
        f"/v1/sessions/{s['id']}/status", json={"status": "held"}, headers=organiser()
    )
    assert r.status_code == 200, r.text
    held = r.json()["status"]
    assert held["status"] == "held"
    assert held["changed_by"] == "organiser:91110000802100433B"
    r = await training.patch(
        f"/v1/sessions/{s['id']}", json={"topic": "x"}, headers=admin() | {"If-Match": '"2"'}
    )
    problem(r, 409, "session_not_planned")


async def test_trainee_id_checks_never_echo_the_number(training: httpx.AsyncClient) -> None:
    good = resident_id()
    bad_check = good[:-1] + ("1" if good[-1] == "0" else "0")
    for number, code in [
        (bad_check, "resident_id_checksum"),
        (resident_id("19900230"), "resident_id_birth_date"),
    ]:
        r = await training.post("/v1/trainees", json=person(number), headers=official() | ZH)
        body = problem(r, 422, code, "id_number")
        assert number not in r.text
        assert "身份证" in body["detail"]
    r = await training.post(
        "/v1/trainees", json=person(residence_code="141124100000"), headers=official()
    )
    problem(r, 422, "residence_not_village", "residence_code")
    r = await training.post(
        "/v1/trainees", json=person(residence_code="141124100299"), headers=official()
    )
    problem(r, 422, "unknown_division", "residence_code")
    r = await training.post("/v1/trainees", json=person(phone="12345"), headers=official())
    problem(r, 422, "invalid_phone", "phone")


async def test_one_person_one_record_and_masking_by_scope(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    number = resident_id()
    r = await training.post("/v1/trainees", json=person(number), headers=official())
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["id_number"] == number
    assert not created["masked"]
    assert (created["sex"], created["birth_year"]) == ("male", 1990)
    stored = await db.fetchrow("SELECT * FROM training.trainee")
    assert number.encode() not in bytes(stored["id_number_cipher"])
    assert stored["key_id"] == "test-1"

    r = await training.post("/v1/trainees", json=person(number, name="别人"), headers=official())
    body = problem(r, 409, "trainee_exists", "id_number")
    assert body["existing_trainee_id"] == created["id"]
    assert number not in r.text

    outsider = await training.get(f"/v1/trainees/{created['id']}", headers=official("341504"))
    masked = outsider.json()
    assert masked["masked"]
    assert masked["name"] == "王*甲"
    assert masked["phone"] == "139****0001"
    assert masked["id_number"] == number[:6] + "********" + number[-4:]
    # The organiser of a session the trainee attended sees the person in clear.
    s = await make_session(training)
    org = await training.get(f"/v1/trainees/{created['id']}", headers=organiser())
    assert org.json()["masked"]
    r = await training.post(
        f"/v1/sessions/{s['id']}/attendance",
        json={"trainee_id": created["id"], "day": s["starts_on"]},
        headers=admin(),
    )
    assert r.status_code == 201, r.text
    org = await training.get(f"/v1/trainees/{created['id']}", headers=organiser())
    assert not org.json()["masked"]
    assert org.json()["id_number"] == number

    found = await training.post(
        "/v1/trainees/lookup", json={"id_number": number}, headers=official()
    )
    assert found.json()["id"] == created["id"]


async def test_export_and_erasure_keep_the_counts(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    s = await make_session(training)
    r = await training.post(
        f"/v1/sessions/{s['id']}/attendance",
        json={"trainee": person(), "day": s["starts_on"]},
        headers=organiser(),
    )
    assert r.status_code == 201, r.text
    trainee_id = r.json()["trainee_id"]
    assert r.json()["trainee_created"]
    problem(
        await training.get(f"/v1/trainees/{trainee_id}/export", headers=official("341504")),
        403,
        "outside_scope",
    )
    export = (await training.get(f"/v1/trainees/{trainee_id}/export", headers=official())).json()
    assert export["trainee"]["id_number"] == resident_id()
    assert export["birth_date"] == "1990-03-07"
    assert [a["session_id"] for a in export["attendance"]] == [s["id"]]

    before = (await training.get(f"/v1/sessions/{s['id']}/counts", headers=admin())).json()
    r = await training.post(f"/v1/trainees/{trainee_id}/erasure", headers=official())
    assert r.status_code == 200, r.text
    row = await db.fetchrow("SELECT * FROM training.trainee WHERE id = $1", trainee_id)
    assert row["name"] is None
    assert row["id_number_cipher"] is None
    assert row["phone"] is None
    assert row["residence_code"] == VILLAGE
    assert row["categories"] == ["poor_household"]
    assert (await training.get(f"/v1/sessions/{s['id']}/counts", headers=admin())).json() == before
    problem(
        await training.post(f"/v1/trainees/{trainee_id}/erasure", headers=official()),
        409,
        "trainee_erased",
    )
    # The same person may register again: nothing links them to the erased record.
    r = await training.post("/v1/trainees", json=person(), headers=official())
    assert r.status_code == 201, r.text


async def test_trainees_listed_by_category(training: httpx.AsyncClient) -> None:
    poor = await training.post("/v1/trainees", json=person(), headers=official())
    youth = await training.post(
        "/v1/trainees",
        json=person(resident_id(seq="124"), categories=["rural_youth", "veteran"]),
        headers=official(),
    )
    assert poor.status_code == youth.status_code == 201, (poor.text, youth.text)
    for category, expected in (
        ("poor_household", [poor.json()["id"]]),
        ("veteran", [youth.json()["id"]]),
        ("first_secretary", []),
    ):
        r = await training.get(
            "/v1/trainees", params={"division": VILLAGE, "category": category}, headers=admin()
        )
        assert r.status_code == 200, r.text
        assert [t["id"] for t in r.json()["items"]] == expected, category
