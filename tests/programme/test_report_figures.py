"""``/v1/indicators/report``: what a report document reads of programme in one answer, each
part exactly what its own route answers (progress over the period, the county statistics,
a county's adopted targets), for a year and a month, a county, a prefecture and the nation."""

import httpx

from tests.programme.helpers import (
    JINGHONG,
    LINXIAN_OFFICIAL,
    PLATFORM,
    report_figures,
)
from tests.support import problem


async def _get(client: httpx.AsyncClient, path: str, params: dict[str, str] | None = None) -> dict:
    r = await client.get(path, params=params, headers=PLATFORM)
    assert r.status_code == 200, r.text
    body: dict = r.json()
    return body


async def test_each_part_is_what_its_own_route_answers(programme: httpx.AsyncClient) -> None:
    await report_figures(programme)

    periods = {"2017": ("2017-01-01", "2017-12-31"), "2017-03": ("2017-03-01", "2017-03-31")}
    for division in ("141128", "532801", "1411", "53", None):
        where = {"division": division} if division else {}
        for label, (first, last) in periods.items():
            report = await _get(programme, "/v1/indicators/report", {**where, "period": label})
            assert report["progress"] == await _get(
                programme, "/v1/indicators/programme", {**where, "from": first, "to": last}
            )
            assert report["statistics"] == await _get(
                programme, "/v1/indicators/statistics", {**where, "period": label}
            )
            if division is not None and len(division) == 6:
                assert report["targets"] == await _get(
                    programme, f"/v1/counties/{division}/targets"
                )
            else:
                assert report["targets"] is None
    fangshan = await _get(
        programme, "/v1/indicators/report", {"division": "141128", "period": "2017"}
    )
    assert [a["target_set"]["code"] for a in fangshan["targets"]["adoptions"]] == ["shanxi-2017"]
    assert fangshan["statistics"]["rural_online_retail"]["growth"] == 0.18
    jinghong = await _get(
        programme, "/v1/indicators/report", {"division": JINGHONG, "period": "2017-03"}
    )
    assert jinghong["progress"]["disbursed_in_period"] == "30000.00"


async def test_bad_report_queries(programme: httpx.AsyncClient) -> None:
    url = "/v1/indicators/report"
    r = await programme.get(
        url, params={"division": "141128", "period": "2017-13"}, headers=PLATFORM
    )
    problem(r, 422, "invalid_period", "period")
    r = await programme.get(url, params={"division": "141128", "period": "2999"}, headers=PLATFORM)
    problem(r, 422, "period_not_finished", "period")
    r = await programme.get(
        url, params={"division": "141128100", "period": "2017"}, headers=PLATFORM
    )
    problem(r, 422, "below_county", "division")
    r = await programme.get(
        url, params={"division": "141128", "period": "2017"}, headers=LINXIAN_OFFICIAL
    )
    problem(r, 403, "outside_scope")
    r = await programme.get(url, params={"division": "141128"}, headers=PLATFORM)
    problem(r, 422, "validation_failed", "period")
