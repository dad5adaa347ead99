"""Outcomes, indicators against an independent count (erasure changes none of them), the
gap list, and the change feed without a personal field."""

import json

import asyncpg
import httpx

from tests.training.helpers import (
    TODAY,
    admin,
    days_ago,
    make_session,
    official,
    organiser,
    person,
    problem,
    resident_id,
)

COMMITTEE_A = "141124100201"
COMMITTEE_B = "141124100202"


async def _sheet(training: httpx.AsyncClient, rows: list[dict[str, object]]) -> dict[str, object]:
    r = await training.post("/v1/attendance/bulk", json=rows, headers=admin())
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["rejected"] == 0, r.text
    return r.json()


async def test_outcome_rules(training: httpx.AsyncClient) -> None:
    r = await training.post("/v1/trainees", json=person(), headers=official())
    trainee_id = r.json()["id"]
    url = f"/v1/trainees/{trainee_id}/outcomes"
    employed = {"kind": "employed", "occurred_on": days_ago(0), "source": "official"}
    problem(await training.post(url, json=employed, headers=official()), 409, "not_trained")
    s = await make_session(training)
    body = {"trainee_id": trainee_id, "day": s["starts_on"]}
    assert (
        await training.post(f"/v1/sessions/{s['id']}/attendance", json=body, headers=admin())
    ).status_code == 201
    shop = {"kind": "online_shop", "occurred_on": days_ago(0), "source": "organiser_visit"}
    problem(
        await training.post(url, json=shop, headers=organiser()),
        422,
        "outcome_detail_required",
        "platform",
    )
    early = employed | {"occurred_on": days_ago(5)}
    problem(
        await training.post(url, json=early, headers=official()),
        422,
        "before_training",
        "occurred_on",
    )
    r = await training.post(url, json=shop | {"platform": "淘宝"}, headers=organiser())
    assert r.status_code == 201, r.text
    problem(
        await training.post(url, json=employed, headers=organiser("91350100M000100Y43")),
        403,
        "role_forbidden",
    )


async def test_indicators_match_an_independent_count(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    basic = await make_session(
        training, starts_on=days_ago(3), ends_on=days_ago(2), duration_kind="several_days"
    )
    senior = await make_session(training, level="senior", duration_kind="half_day")
    people = [
        person(resident_id(seq=f"{100 + i}"), residence_code=village, categories=cats)
        for i, (village, cats) in enumerate(
            [
                (COMMITTEE_A, ["poor_household"]),
                (COMMITTEE_A, []),
                (COMMITTEE_A, ["rural_youth"]),
                (COMMITTEE_B, ["poor_household", "veteran"]),
            ]
        )
    ]
    rows: list[dict[str, object]] = []
    for p in people:
        rows.append({"session_id": basic["id"], "day": days_ago(3), **p})
    rows.append({"session_id": basic["id"], "day": days_ago(2), "part": "am", **people[0]})
    rows.append({"session_id": senior["id"], "day": senior["starts_on"], **people[0]})
    rows.append({"session_id": senior["id"], "day": senior["starts_on"], **people[3]})
    await _sheet(training, rows)
    first, last = days_ago(10), TODAY.isoformat()
    url = f"/v1/indicators/training?division=141124&from={first}&to={last}"
    got = (await training.get(url, headers=admin())).json()

    # The same figures counted here from what was sent.
    pairs = {(r["session_id"], r["id_number"]) for r in rows}
    poor = {p["id_number"] for p in people if "poor_household" in p["categories"]}
    committees = await db.fetchval(
        "SELECT count(*) FROM training.reference_division WHERE code LIKE '141124%' "
        "AND level = 'village' AND division_class = 'village_committee' AND until_edition IS NULL"
    )
    assert got["people_times"] == len(pairs) == 6
    assert got["person_days"] == "5.5"  # 4 + 0.5 (basic), 2 × 0.5 (the half-day senior)
    assert got["persons"] == 4
    assert got["poor_household_people_times"] == sum(1 for _, n in pairs if n in poor) == 4
    assert got["poor_household_persons"] == 2
    assert got["by_level"] == {
        "basic": {"people_times": 4, "persons": 4},
        "senior": {"people_times": 2, "persons": 2},
    }
    assert got["by_category"]["poor_household"] == {"people_times": 4, "persons": 2}
    assert got["villages_with_trained_person"] == {
        "count": 2,
        "with_three_or_more": 1,
        "of": committees,
        "rate": round(2 / committees, 6),
    }
    assert got["trained_persons_per_village"] == round(4 / committees, 4)

    # Erasure keeps every figure; the gap list leaves the two villages out.
    trainee_id = await db.fetchval("SELECT id FROM training.trainee ORDER BY id LIMIT 1")
    assert (
        await training.post(f"/v1/trainees/{trainee_id}/erasure", headers=official())
    ).status_code == 200
    assert (await training.get(url, headers=admin())).json() == got
    gaps = await training.get(
        f"/v1/indicators/training/gaps?division=141124100&from={first}&to={last}&limit=500",
        headers=admin(),
    )
    codes = [g["code"] for g in gaps.json()["items"]]
    assert COMMITTEE_A not in codes
    assert COMMITTEE_B not in codes
    assert (
        len(codes)
        == await db.fetchval(
            "SELECT count(*) FROM training.reference_division WHERE code LIKE '141124100%' "
            "AND level = 'village' AND division_class = 'village_committee' AND until_edition IS NULL"
        )
        - 2
    )

    problem(
        await training.get(f"/v1/indicators/training?from={last}&to={first}", headers=admin()),
        422,
        "ends_before_start",
        "to",
    )
    problem(
        await training.get(
            f"/v1/indicators/training?division=149999&from={first}&to={last}", headers=admin()
        ),
        422,
        "unknown_division",
        "division",
    )

    # The change feed: sessions, attendance counts, no personal field anywhere.
    feed = (await training.get("/v1/changes?limit=1000", headers=official())).json()
    assert {e["topic"] for e in feed["items"]} == {"session", "attendance"}
    text = json.dumps(feed, ensure_ascii=False)
    for p in people:
        assert p["id_number"] not in text
        assert p["name"] not in text
        assert p["phone"] not in text
