"""Money is exact: numeric(14,2) in the tables, Decimal in the code, a string with two
decimals in every answer. A client may send a JSON number; it is read as the decimal it
spells, never through a binary float's rounding."""

import json

import httpx

from services.programme.app import create
from tests.programme.helpers import JINGHONG_OFFICIAL, demonstration_county, payment, project

# Ratios, not money: a growth rate and a share of products sold online.
RATIOS = {("Growth", "growth"), ("ProductsOnline", "rate")}
INPUTS = ("In", "Create", "Patch")


def test_no_answer_carries_money_as_a_json_number() -> None:
    schemas = create().openapi()["components"]["schemas"]
    numbers = {
        (name, prop)
        for name, schema in schemas.items()
        for prop, value in schema.get("properties", {}).items()
        if '"number"' in json.dumps(value)
    }
    answered = {(n, p) for n, p in numbers if not n.endswith(INPUTS)}
    assert answered == RATIOS


async def test_a_json_number_is_read_as_the_decimal_it_spells(
    programme: httpx.AsyncClient,
) -> None:
    await demonstration_county(programme, central_funds=987654321098.76)
    code = (await project(programme, budget={"central": 1234567.89, "local": "0.1"}))["code"]
    body = payment("JH-M-1", amount="0")
    body["amount"] = 0.3  # 0.1 + 0.2 in floating point is 0.30000000000000004
    r = await programme.post(
        f"/v1/projects/{code}/disbursements",
        content=json.dumps(body),
        headers={**JINGHONG_OFFICIAL, "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["disbursement"]["amount"] == "0.30"
    assert r.json()["project_remaining"]["central"] == "1234567.59"
    funds = await programme.get(
        "/v1/demonstration-counties/532801/funds", headers=JINGHONG_OFFICIAL
    )
    assert funds.status_code == 200, funds.text
    assert "987654321098.76" in funds.text
