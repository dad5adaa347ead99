"""Trained residents per village for a batch of villages: the counts the gateway's station
record and gap lists ask for, category counts only for readers of the village's trainees."""

import httpx

from common.auth import Role
from tests.support import internal_headers
from tests.training.helpers import (
    TODAY,
    admin,
    days_ago,
    make_session,
    official,
    person,
    problem,
    resident_id,
)

A, B, C = "141124100201", "141124100202", "141124100203"


async def test_counts_per_village_and_who_sees_categories(training: httpx.AsyncClient) -> None:
    s = await make_session(
        training, starts_on=days_ago(3), ends_on=days_ago(2), duration_kind="several_days"
    )
    people = [
        person(resident_id(seq="201"), residence_code=A, categories=["poor_household"]),
        person(resident_id(seq="202"), residence_code=A, categories=["rural_youth"]),
        person(resident_id(seq="203"), residence_code=B, categories=[]),
    ]
    rows = [{"session_id": s["id"], "day": days_ago(3), **p} for p in people]
    rows.append({"session_id": s["id"], "day": days_ago(2), **people[0]})  # same session: 1 人次
    r = await training.post("/v1/attendance/bulk", json=rows, headers=admin())
    assert r.json()["counts"]["rejected"] == 0, r.text

    url = f"/v1/indicators/training/villages?codes={C},{B},{A}&from={days_ago(10)}&to={TODAY}"
    got = (await training.get(url, headers=official())).json()
    assert [v["code"] for v in got["villages"]] == [A, B]  # C: nobody trained, left out
    a = got["villages"][0]
    assert (a["people_times"], a["persons"], a["poor_household_people_times"]) == (2, 2, 1)
    assert a["by_category"] == {
        "poor_household": {"people_times": 1, "persons": 1},
        "rural_youth": {"people_times": 1, "persons": 1},
    }
    # Another county's official and the public get the counts without the categories.
    for headers in (official("141128"), internal_headers(Role.PUBLIC, subject="anonymous")):
        other = (await training.get(url, headers=headers)).json()
        assert other["villages"][0]["by_category"] is None
        # Poor households are a category too: in a small village the count points to people.
        assert other["villages"][0]["poor_household_people_times"] is None
        assert other["villages"][0]["persons"] == 2

    base = f"/v1/indicators/training/villages?from={days_ago(10)}&to={TODAY}"
    problem(
        await training.get(f"{base}&codes=141124100000", headers=admin()),
        422,
        "wrong_division_level",
        "codes",
    )
    problem(
        await training.get(f"{base}&codes=14x", headers=admin()),
        422,
        "invalid_division_code",
        "codes",
    )
    problem(
        await training.get(f"{base}&codes=,", headers=admin()),
        422,
        "invalid_code_list",
        "codes",
    )
    many = ",".join(f"141124100{n:03d}" for n in range(201, 402))
    problem(
        await training.get(f"{base}&codes={many}", headers=admin()),
        422,
        "invalid_code_list",
        "codes",
    )
