"""Policy targets: presets from the seed documents, officials' own sets, adoption by
counties, and every bad target refused with its own code."""

from typing import Any

import httpx

from tests.programme.helpers import (
    ADMIN,
    FANGSHAN,
    FANGSHAN_OFFICIAL,
    JINGHONG,
    LINXIAN_OFFICIAL,
    PLATFORM,
    ZH,
)
from tests.support import problem


def a_set(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "fangshan-2018",
        "title": "方山县电子商务进农村三年行动计划",
        "issuer": "方山县人民政府",
        "year": 2018,
        "region_code": "141128",
        "targets": [
            {"indicator": "village_point_coverage", "comparator": "ge", "value": "80",
             "deadline": "2019-12-31"},
            {"indicator": "training_people_times", "comparator": "ge", "value": 2000,
             "period": "year"},
        ],
    }  # fmt: skip
    body.update(overrides)
    return body


async def test_presets_carry_the_seed_documents_figures(programme: httpx.AsyncClient) -> None:
    r = await programme.get("/v1/target-sets", params={"preset": "true"}, headers=PLATFORM)
    assert r.status_code == 200, r.text
    sets = {s["code"]: s for s in r.json()["items"]}
    assert set(sets) == {"jinghong-2016", "lishui-2015", "lvliang-2016", "shanxi-2017"}
    shanxi = {t["indicator"]: t for t in sets["shanxi-2017"]["targets"]}
    assert sets["shanxi-2017"]["document_number"] == "晋财建二〔2017〕87号"
    assert {k: (t["comparator"], t["value"]) for k, t in shanxi.items()} == {
        "township_station_coverage": ("ge", "100.00"),
        "village_point_coverage": ("ge", "55.00"),
        "poor_village_point_coverage": ("ge", "55.00"),
        "main_products_online_share": ("ge", "60.00"),
        "rural_online_retail_growth": ("ge", "20.00"),
        "farm_produce_online_retail_growth": ("ge", "30.00"),
        "persons_trained": ("ge", "3000.00"),
    }
    jinghong = {t["indicator"]: t for t in sets["jinghong-2016"]["targets"]}
    assert jinghong["village_point_coverage"]["deadline"] == "2017-04-01"
    assert jinghong["courier_township_coverage"]["comparator"] == "gt"
    assert jinghong["training_people_times"]["value"] == "10000.00"
    lvliang = sets["lvliang-2016"]["targets"]
    assert [(t["indicator"], t["period"]) for t in lvliang] == [("training_people_times", "year")]
    assert sets["lishui-2015"]["targets"][0]["indicator"] == "rural_stations"

    applies = await programme.get(
        "/v1/target-sets", params={"applies_to": "141128"}, headers=PLATFORM
    )
    assert [s["code"] for s in applies.json()["items"]] == ["lvliang-2016", "shanxi-2017"]


async def test_an_official_creates_changes_and_adopts_a_set(
    programme: httpx.AsyncClient,
) -> None:
    r = await programme.post(
        "/v1/target-sets",
        json=a_set(),
        headers={**FANGSHAN_OFFICIAL, "Idempotency-Key": "set-fangshan-1"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/v1/target-sets/fangshan-2018")
    created = r.json()
    assert created["targets"][1]["unit"] == "people_times"
    assert created["targets"][0]["indicator_name_zh"] == "建制村电子商务服务点覆盖率"
    again = await programme.post(
        "/v1/target-sets",
        json=a_set(),
        headers={**FANGSHAN_OFFICIAL, "Idempotency-Key": "set-fangshan-1"},
    )
    assert again.status_code == 201
    assert again.json() == created

    stale = await programme.patch(
        "/v1/target-sets/fangshan-2018", json={"title": "x"},
        headers={**FANGSHAN_OFFICIAL, "If-Match": '"7"'},
    )  # fmt: skip
    problem(stale, 412, "stale_version")
    changed = await programme.patch(
        "/v1/target-sets/fangshan-2018",
        json={"targets": [{"indicator": "persons_trained", "comparator": "ge", "value": 500}]},
        headers={**FANGSHAN_OFFICIAL, "If-Match": r.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert [t["indicator"] for t in changed.json()["targets"]] == ["persons_trained"]

    for set_code in ("fangshan-2018", "shanxi-2017"):
        adopted = await programme.put(
            f"/v1/counties/141128/adoptions/{set_code}", headers=FANGSHAN_OFFICIAL
        )
        assert adopted.status_code == 201, adopted.text
    twice = await programme.put("/v1/counties/141128/adoptions/shanxi-2017", headers=ADMIN)
    assert twice.status_code == 200
    targets = await programme.get(f"/v1/counties/{FANGSHAN}/targets", headers=PLATFORM)
    assert [a["target_set"]["code"] for a in targets.json()["adoptions"]] == [
        "fangshan-2018",
        "shanxi-2017",
    ]
    withdrawn = await programme.delete(
        "/v1/counties/141128/adoptions/fangshan-2018", headers=FANGSHAN_OFFICIAL
    )
    assert withdrawn.status_code == 204
    problem(
        await programme.delete(
            "/v1/counties/141128/adoptions/fangshan-2018", headers=FANGSHAN_OFFICIAL
        ),
        404,
        "adoption_not_found",
    )

    feed = (await programme.get("/v1/changes", headers=PLATFORM)).json()["items"]
    assert [(e["topic"], e["action"], e["version"]) for e in feed] == [
        ("target_set", "created", 1),
        ("target_set", "updated", 2),
        ("adoption", "adopted", 1),
        ("adoption", "adopted", 1),
        ("adoption", "withdrawn", 2),
    ]


async def test_bad_targets_each_get_their_code(programme: httpx.AsyncClient) -> None:
    cases = [
        ({"indicator": "happiness_index", "comparator": "ge", "value": 1},
         "unknown_indicator", "targets[0].indicator"),
        ({"indicator": "village_point_coverage", "comparator": "ge", "value": "120"},
         "percent_out_of_range", "targets[0].value"),
        ({"indicator": "village_point_coverage", "comparator": "ge", "value": 50,
          "unit": "count"}, "unit_mismatch", "targets[0].unit"),
        ({"indicator": "persons_trained", "comparator": "ge", "value": "10.5"},
         "not_whole_number", "targets[0].value"),
        ({"indicator": "rural_online_retail_growth", "comparator": "ge", "value": -100},
         "growth_out_of_range", "targets[0].value"),
        ({"indicator": "township_station_coverage", "comparator": "ge", "value": 90,
          "period": "year"}, "period_not_applicable", "targets[0].period"),
    ]  # fmt: skip
    for target, code, field in cases:
        r = await programme.post(
            "/v1/target-sets", json=a_set(targets=[target]), headers=FANGSHAN_OFFICIAL
        )
        problem(r, 422, code, field)
    zh = await programme.post(
        "/v1/target-sets",
        json=a_set(targets=[cases[1][0]]),
        headers={**FANGSHAN_OFFICIAL, **ZH},
    )
    assert "不在 0 到 100 之间" in problem(zh, 422, "percent_out_of_range")["detail"]
    both = await programme.post(
        "/v1/target-sets", json=a_set(targets=[cases[0][0], cases[1][0]]), headers=ADMIN
    )
    body = problem(both, 422, "invalid_targets")
    assert [e["code"] for e in body["errors"]] == ["unknown_indicator", "percent_out_of_range"]


async def test_writes_stay_inside_the_officials_division(programme: httpx.AsyncClient) -> None:
    outside = await programme.post(
        "/v1/target-sets", json=a_set(region_code="141124"), headers=FANGSHAN_OFFICIAL
    )
    problem(outside, 403, "outside_scope")
    problem(
        await programme.put("/v1/counties/141128/adoptions/shanxi-2017", headers=LINXIAN_OFFICIAL),
        403,
        "outside_scope",
    )
    problem(
        await programme.post("/v1/target-sets", json=a_set(), headers=PLATFORM),
        403,
        "role_forbidden",
    )
    preset = await programme.patch(
        "/v1/target-sets/shanxi-2017", json={"title": "x"}, headers={**ADMIN, "If-Match": '"1"'}
    )
    problem(preset, 409, "preset_read_only")
    elsewhere = await programme.put(f"/v1/counties/{JINGHONG}/adoptions/shanxi-2017", headers=ADMIN)
    problem(elsewhere, 422, "target_set_not_applicable")
    problem(
        await programme.put("/v1/counties/141128100/adoptions/shanxi-2017", headers=ADMIN),
        422,
        "wrong_division_level",
    )
    problem(
        await programme.post("/v1/target-sets", json=a_set(code="lvliang-2016"), headers=ADMIN),
        409,
        "target_set_exists",
    )
