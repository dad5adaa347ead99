"""Issue 10's list of bad input, each a 4xx problem naming its code and field, in Chinese
when asked (``Accept-Language: zh``): one case per item, so a message that loses its
translation fails here."""

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from tests.programme.helpers import (
    FANGSHAN,
    FANGSHAN_OFFICIAL,
    FANGSHAN_VILLAGE,
    JINGHONG_OFFICIAL,
    ZH,
    a_project,
    demonstration_county,
    payment,
    project,
)
from tests.stations.factories import insert_station
from tests.support import problem


@dataclass(frozen=True)
class Case:
    method: str
    url: str  # ``{project}`` and ``{station}`` are filled in from the set-up
    body: Any
    status: int
    code: str
    field: str
    zh: str  # what the Chinese message must say
    headers: dict[str, str] = field(default_factory=lambda: JINGHONG_OFFICIAL)


def a_set(**target: Any) -> dict[str, Any]:
    return {
        "code": "fangshan-own",
        "title": "方山县电子商务进农村目标",
        "issuer": "方山县商务局",
        "year": 2017,
        "region_code": "141128",
        "targets": [target],
    }


CASES = {
    "project in a county that is not a demonstration county": Case(
        "POST", "/v1/projects", a_project(county_code=FANGSHAN), 422,
        "not_a_demonstration_county", "county_code", "不是电子商务进农村综合示范县",
        headers=FANGSHAN_OFFICIAL,
    ),
    "disbursement over the remaining budget": Case(
        "POST", "/v1/projects/{project}/disbursements", payment("JH-1", "1000000.01"), 422,
        "over_remaining_budget", "amount", "剩余预算",
    ),
    "zero amount": Case(
        "POST", "/v1/projects/{project}/disbursements", payment("JH-1", "0"), 422,
        "non_positive_amount", "amount", "金额必须大于 0 元",
    ),
    "negative amount": Case(
        "POST", "/v1/projects/{project}/disbursements", payment("JH-1", "-0.01"), 422,
        "non_positive_amount", "amount", "金额必须大于 0 元",
    ),
    "negative budget": Case(
        "POST", "/v1/projects", a_project(budget={"central": "-1"}), 422,
        "negative_amount", "budget.central", "金额",
    ),
    "milestone due before the programme starts": Case(
        "POST", "/v1/projects/{project}/milestones", {"name": "完成选址", "deadline": "2015-06-30"},
        422, "milestone_before_programme", "deadline", "早于示范项目开始日期",
    ),
    "station link to a station of another county": Case(
        "PUT", "/v1/projects/{project}/stations/{station}", None, 422,
        "station_in_other_county", "station_code", "不在项目所在县",
    ),
    "target with an unknown indicator code": Case(
        "POST", "/v1/target-sets", a_set(indicator="happiness_index", comparator="ge", value=1),
        422, "unknown_indicator", "targets[0].indicator", "指标",
        headers=FANGSHAN_OFFICIAL,
    ),
    "percentage over 100": Case(
        "POST", "/v1/target-sets",
        a_set(indicator="village_point_coverage", comparator="ge", value="100.5"), 422,
        "percent_out_of_range", "targets[0].value", "不在 0 到 100 之间",
        headers=FANGSHAN_OFFICIAL,
    ),
    "official writing outside their scope": Case(
        "POST", "/v1/projects/{project}/disbursements", payment("JH-1"), 403, "outside_scope",
        "", "管辖范围", headers=FANGSHAN_OFFICIAL,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
async def test_bad_input_names_its_code_and_field_in_chinese(
    name: str, programme: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    case = CASES[name]
    await demonstration_county(programme)
    code = (await project(programme))["code"]
    station = await insert_station(db, FANGSHAN_VILLAGE, status="accepted")
    url = case.url.format(project=code, station=station.code)
    kwargs: dict[str, Any] = {} if case.body is None else {"json": case.body}
    r = await programme.request(case.method, url, headers={**case.headers, **ZH}, **kwargs)
    body = problem(r, case.status, r.json()["code"])
    found = body if body["code"] == case.code else body["errors"][0]
    assert found["code"] == case.code, body
    if case.field:
        assert (found.get("field") or found.get("pointer")) == case.field, body
    assert case.zh in found["detail"], body
