"""``Accept-Language: zh``: our own checks answer in Chinese — the problem's detail and each
``errors[].detail`` — with no English words inside, enum choices as a Chinese list, and an
acceptance refusal that names what is missing as an official says it."""

import re

import httpx

from tests.stations.factories import problem
from tests.stations.registry_helpers import (
    ADMIN,
    JIESHANG,
    LIULIN_POINT,
    complete,
    create,
    located,
    months_ago,
    move,
)

ZH = ADMIN | {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
# English prose inside a Chinese message (API values such as county or gcj02 are fine).
_ENGLISH_WORDS = re.compile(
    r"\b(not|must|valid|invalid|unknown|one|of|the|should|missing|value|error|say|which|is)\b",
    re.IGNORECASE,
)


def _chinese(text: str) -> str:
    assert re.search(r"[\u4e00-\u9fff]", text), text
    assert not _ENGLISH_WORDS.search(text), text
    return text


async def test_field_checks_answer_in_chinese(stations: httpx.AsyncClient) -> None:
    body = {
        "tier": "vilage",
        "division_code": "14112",
        "name": "街上村服务点",
        "location": {"lon": 111.14, "lat": 37.52},  # no crs
        "operator": {"name": "张小明", "phone": "1381234567"},
        "company": {"credit_code": "91350100M000100Y44"},
        "services": ["parcels", "karaoke"],
    }
    r = await stations.post("/v1/stations", json=body, headers=ZH)
    answer = problem(r, 422, "validation_failed", None)
    _chinese(answer["title"])
    by_field = {e["field"]: e for e in answer["errors"]}
    assert {field: e["code"] for field, e in by_field.items()} == {
        "tier": "enum",
        "division_code": "invalid_division_code",
        "crs": "crs_required",
        "operator.phone": "invalid_phone",
        "company.credit_code": "invalid_credit_code",
        "services.1": "unknown_service",
    }
    for error in answer["errors"]:
        _chinese(error["detail"])
        assert error["detail"] != "取值无效", error
    assert by_field["tier"]["detail"] == "取值应为以下之一:county、township、village"
    assert "gcj02(高德、腾讯)" in by_field["crs"]["detail"]
    assert "应为 3" in by_field["company.credit_code"]["detail"]  # the check character
    # The same request in English says the same in English.
    english = (await stations.post("/v1/stations", json=body, headers=ADMIN)).json()
    assert [e["code"] for e in english["errors"]] == [e["code"] for e in answer["errors"]]
    assert (
        "mainland mobile" in {e["field"]: e for e in english["errors"]}["operator.phone"]["detail"]
    )


async def test_domain_problems_give_chinese_field_details(stations: httpx.AsyncClient) -> None:
    body = {"tier": "village", "division_code": JIESHANG, "name": "x", **located(LIULIN_POINT)}
    answer = problem(
        await stations.post("/v1/stations", json=body, headers=ZH), 422, "outside_county"
    )
    _chinese(answer["detail"])
    assert answer["errors"][0]["detail"] == answer["detail"]


async def test_acceptance_names_what_is_missing_in_words(stations: httpx.AsyncClient) -> None:
    fields = complete()
    fields["operator"] = {"name": "张小明"}  # no phone
    code = (await create(stations, "village", JIESHANG, **fields))["code"]
    await move(stations, code, "building")
    await move(stations, code, "operating", operating_since=months_ago(1).isoformat())
    r = await stations.post(f"/v1/stations/{code}/transitions", json={"to": "accepted"}, headers=ZH)
    answer = problem(r, 422, "acceptance_incomplete", None)
    month = months_ago(1)
    assert (
        answer["detail"] == f"验收未通过,2 项缺失或不符:站长电话、{month.year}年{month.month}月月报"
    )
    assert [e["detail"] for e in answer["errors"]] == [
        "未填写站长电话",
        f"缺少 {month.year}年{month.month}月的月度报表",
    ]
    english = (
        await stations.post(
            f"/v1/stations/{code}/transitions", json={"to": "accepted"}, headers=ADMIN
        )
    ).json()
    assert english["detail"].endswith(f"the operator's phone, the monthly report for {month:%Y-%m}")
