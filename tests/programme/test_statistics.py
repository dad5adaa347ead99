"""County statistics with sources and revisions, growth from the same period a year before,
and the main-products list behind the 60 % sold-online target."""

from collections.abc import Awaitable, Mapping

import httpx

from tests.programme.helpers import (
    FANGSHAN_OFFICIAL,
    LINXIAN_OFFICIAL,
    PLATFORM,
    SHANXI_OFFICIAL,
    ZH,
)
from tests.support import problem


def figure(name: str, value: str | int, source: str = "statistics_bureau") -> dict[str, object]:
    return {"figure": name, "value": value, "source": source}


async def test_figures_keep_revisions_and_growth_compares_a_year_before(
    programme: httpx.AsyncClient,
) -> None:
    for county, official, year, retail, produce in (
        ("141128", FANGSHAN_OFFICIAL, "2016", "100000000", "20000000"),
        ("141128", FANGSHAN_OFFICIAL, "2017", "118000000", "27000000"),
        ("141124", LINXIAN_OFFICIAL, "2016", "50000000", "10000000"),
        ("141124", LINXIAN_OFFICIAL, "2017", "64000000", "13500000"),
    ):
        r = await programme.put(
            f"/v1/counties/{county}/statistics/{year}",
            json={"figures": [figure("rural_online_retail", retail),
                              figure("farm_produce_online_retail", produce, "platform")]},
            headers=official,
        )  # fmt: skip
        assert r.status_code == 200, r.text
    # A third county records 2017 only: it is summed but not counted in growth.
    await programme.put(
        "/v1/counties/141123/statistics/2017",
        json={"figures": [figure("rural_online_retail", "9000000"), figure("online_shops", 40)]},
        headers=SHANXI_OFFICIAL,
    )

    fangshan = await programme.get(
        "/v1/indicators/statistics", params={"division": "141128", "period": "2017"},
        headers=PLATFORM,
    )  # fmt: skip
    assert fangshan.status_code == 200, fangshan.text
    retail = fangshan.json()["rural_online_retail"]
    assert (retail["value"], retail["year_before"], retail["growth"]) == (
        "118000000.00",
        "100000000.00",
        0.18,
    )
    assert fangshan.json()["farm_produce_online_retail"]["growth"] == 0.35

    lvliang = (
        await programme.get(
            "/v1/indicators/statistics",
            params={"division": "1411", "period": "2017"},
            headers=PLATFORM,
        )
    ).json()
    assert lvliang["rural_online_retail"]["value"] == "191000000.00"
    assert lvliang["rural_online_retail"]["counties"] == 3
    assert lvliang["rural_online_retail"]["compared_counties"] == 2
    assert lvliang["rural_online_retail"]["growth"] == round(182 / 150 - 1, 4)
    assert lvliang["online_shops"] == {"value": "40.00", "counties": 1}

    # A correction is a new revision; the same figure again changes nothing.
    corrected = figure("rural_online_retail", "119500000.50")
    for _ in range(2):
        r = await programme.put(
            "/v1/counties/141128/statistics/2017",
            json={"figures": [corrected]},
            headers=FANGSHAN_OFFICIAL,
        )
    current = {f["figure"]: f for f in r.json()["figures"]}
    assert current["rural_online_retail"]["revision"] == 2
    assert current["farm_produce_online_retail"]["revision"] == 1
    history = await programme.get(
        "/v1/counties/141128/statistics/2017/rural_online_retail/revisions", headers=PLATFORM
    )
    assert [(h["revision"], h["value"]) for h in history.json()["items"]] == [
        (1, "118000000.00"),
        (2, "119500000.50"),
    ]
    listed = await programme.get(
        "/v1/counties/141128/statistics", params={"kind": "year"}, headers=PLATFORM
    )
    assert [p["period"] for p in listed.json()["items"]] == ["2016", "2017"]


async def test_bad_statistics_each_get_their_code(programme: httpx.AsyncClient) -> None:
    def put(
        period: str, *figures: dict[str, object], headers: Mapping[str, str] = FANGSHAN_OFFICIAL
    ) -> Awaitable[httpx.Response]:
        return programme.put(
            f"/v1/counties/141128/statistics/{period}",
            json={"figures": list(figures)},
            headers=headers,
        )

    ok = figure("online_shops", 3)
    problem(await put("2017-13", ok), 422, "invalid_period", "period")
    problem(await put("2999", ok), 422, "period_not_finished", "period")
    zh = await put("2999-Q1", ok, headers={**FANGSHAN_OFFICIAL, **ZH})
    assert "尚未结束" in problem(zh, 422, "period_not_finished")["detail"]
    problem(await put("2017", figure("happiness", 1)), 422, "unknown_figure", "figures[0].figure")
    problem(
        await put("2017", figure("online_shops", "2.5")), 422, "not_whole_number",
        "figures[0].value",
    )  # fmt: skip
    problem(
        await put("2017-Q2", figure("rural_online_retail", "-1")), 422, "negative_figure",
        "figures[0].value",
    )  # fmt: skip
    problem(await put("2017", ok, ok), 422, "duplicate_figure", "figures[1].figure")
    problem(await put("2017", ok, headers=LINXIAN_OFFICIAL), 403, "outside_scope")
    problem(await put("2017", ok, headers=PLATFORM), 403, "role_forbidden")
    below = await programme.get(
        "/v1/indicators/statistics", params={"division": "141128100", "period": "2017"},
        headers=PLATFORM,
    )  # fmt: skip
    problem(below, 422, "below_county", "division")


async def test_main_products_measure_the_share_sold_online(programme: httpx.AsyncClient) -> None:
    base = "/v1/counties/141128/products"
    millet = await programme.post(
        base,
        json={"name": "方山小米", "category": "grain", "sold_online": True,
              "channels": ["淘宝", "832平台"]},
        headers=FANGSHAN_OFFICIAL,
    )  # fmt: skip
    assert millet.status_code == 201, millet.text
    for name, category in (("核桃", "fruit"), ("土豆", "vegetables")):
        r = await programme.post(
            base, json={"name": name, "category": category}, headers=FANGSHAN_OFFICIAL
        )
        assert r.status_code == 201, r.text
    walnut = r.json()
    problem(
        await programme.post(base, json={"name": "核桃", "category": "fruit"},
                             headers=FANGSHAN_OFFICIAL),
        409, "product_exists", "name",
    )  # fmt: skip
    problem(
        await programme.post(
            base, json={"name": "红枣", "category": "fruit", "channels": ["淘宝"]},
            headers=FANGSHAN_OFFICIAL,
        ),
        422, "channels_without_online_sales", "channels",
    )  # fmt: skip
    online = await programme.patch(
        f"{base}/{walnut['id']}",
        json={"sold_online": True, "channels": ["拼多多"]},
        headers={**FANGSHAN_OFFICIAL, "If-Match": '"1"'},
    )
    assert online.status_code == 200, online.text
    listed = (await programme.get(base, headers=PLATFORM)).json()
    assert (listed["online"], listed["total"]) == (2, 3)
    share = await programme.get(
        "/v1/indicators/statistics", params={"division": "141128", "period": "2017"},
        headers=PLATFORM,
    )  # fmt: skip
    assert share.json()["main_products_online"] == {"online": 2, "total": 3, "rate": 0.6667}
    removed = await programme.delete(f"{base}/{walnut['id']}", headers=FANGSHAN_OFFICIAL)
    assert removed.status_code == 204
    problem(
        await programme.delete(f"{base}/{walnut['id']}", headers=FANGSHAN_OFFICIAL),
        404,
        "product_not_found",
    )
