"""The programme service's write routes in the authorization matrix (see ``tests/authz``)."""

from common.auth import Principal, Role
from tests.authz import Context, Forwarded, Write, roles
from tests.programme.helpers import ADMIN, FANGSHAN

FANGSHAN_OFFICIAL = Principal(subject="official:fangshan", role=Role.OFFICIAL, division="141128")
SHANXI_OFFICIAL = Principal(subject="official:shanxi", role=Role.OFFICIAL, division="14")
WRITERS = roles(Role.ADMIN, Role.OFFICIAL)
A_SET = {
    "code": "fangshan-2018",
    "title": "方山县电子商务进农村三年行动计划",
    "issuer": "方山县人民政府",
    "year": 2018,
    "region_code": "141128",
    "targets": [{"indicator": "village_point_coverage", "comparator": "ge", "value": "80"}],
}


async def a_set(ctx: Context) -> None:
    r = await ctx.clients["programme"].post("/v1/target-sets", json=A_SET, headers=ADMIN)
    assert r.status_code == 201, r.text


async def adopted(ctx: Context) -> None:
    url = "/v1/counties/141128/adoptions/shanxi-2017"
    r = await ctx.clients["programme"].put(url, headers=ADMIN)
    assert r.status_code == 201, r.text


async def a_product(ctx: Context) -> dict[str, str]:
    r = await ctx.clients["programme"].post(PRODUCTS, json=PRODUCT, headers=ADMIN)
    assert r.status_code == 201, r.text
    return {"product_id": str(r.json()["id"])}


COUNTY = {
    "county_code": "141128",
    "batch_year": 2017,
    "central_funds": "10000000",
    "programme_start": "2017-09-01",
}
PROJECT = {
    "county_code": "141128",
    "name": "村级电子商务服务点建设",
    "category": "village_points",
    "budget": {"central": "900000"},
}
TRAINING = {**PROJECT, "name": "电商培训", "category": "training"}
STATION = "141128100205-01"  # 班庄村委会's village point
SESSION = 7  # a training session's id
PAYMENT = {
    "paid_on": "2018-03-15",
    "amount": "30000",
    "source": "central",
    "payee": "方山县电子商务运营有限公司",
    "voucher_number": "FS-2018-001",
}
RULE_SET = {
    "code": "fangshan-funds-2018",
    "title": "方山县示范项目资金管理办法",
    "issuer": "方山县财政局",
    "year": 2017,
    "region_code": "141128",
    "rules": [{"kind": "station_cap", "station_tier": "village", "amount": "25000"}],
}


async def a_county(ctx: Context) -> None:
    r = await ctx.clients["programme"].post(
        "/v1/demonstration-counties", json=COUNTY, headers=ADMIN
    )
    assert r.status_code == 201, r.text


async def a_project(ctx: Context, body: dict[str, object] = PROJECT) -> dict[str, str]:
    await a_county(ctx)
    r = await ctx.clients["programme"].post("/v1/projects", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return {"code": r.json()["code"]}


async def a_training_project(ctx: Context) -> dict[str, str]:
    return await a_project(ctx, TRAINING)


async def a_training_link(ctx: Context) -> dict[str, str]:
    """Linked straight in the table (checked against training when made; the matrix runs
    no training server for programme to ask): linking it again is the write tried."""
    made = await a_training_project(ctx)
    await ctx.db.execute(
        """
        INSERT INTO programme.project_training_session (project_id, session_id, linked_by)
        SELECT id, $2, 'test' FROM programme.project WHERE code = $1
        """,
        made["code"],
        SESSION,
    )
    return made


async def a_station_link(ctx: Context) -> dict[str, str]:
    """Linked straight in the table: the link was checked against stations when made, and
    the matrix runs no stations server for programme to ask."""
    made = await a_project(ctx)
    await ctx.db.execute(
        """
        INSERT INTO programme.project_station (project_id, station_code, tier, allocation, linked_by)
        SELECT id, $2, 'village', 0, 'test' FROM programme.project WHERE code = $1
        """,
        made["code"],
        STATION,
    )
    return made


async def a_milestone(ctx: Context) -> dict[str, str]:
    made = await a_project(ctx)
    url = f"/v1/projects/{made['code']}/milestones"
    r = await ctx.clients["programme"].post(
        url, json={"name": "完成选址", "deadline": "2018-06-30"}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    return {**made, "milestone_id": str(r.json()["id"])}


async def a_payment(ctx: Context) -> dict[str, str]:
    made = await a_project(ctx)
    url = f"/v1/projects/{made['code']}/disbursements"
    r = await ctx.clients["programme"].post(url, json=PAYMENT, headers=ADMIN)
    assert r.status_code == 201, r.text
    return {"disbursement_id": str(r.json()["disbursement"]["id"])}


async def a_rule_set(ctx: Context) -> None:
    r = await ctx.clients["programme"].post("/v1/fund-rule-sets", json=RULE_SET, headers=ADMIN)
    assert r.status_code == 201, r.text


PRODUCTS = "/v1/counties/141128/products"
PRODUCT = {"name": "方山小米", "category": "grain", "sold_online": True, "channels": ["淘宝"]}
ADOPTION = {"county_code": "141128", "set_code": "shanxi-2017"}  # a preset of the seed

ROUTES: dict[tuple[str, str], Write | Forwarded] = {
    ("POST", "/v1/target-sets"): Write(
        allowed=WRITERS, ok_as=FANGSHAN_OFFICIAL, success=201, body=A_SET, division=FANGSHAN
    ),
    ("PATCH", "/v1/target-sets/{code}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"code": "fangshan-2018"},
        body={"title": "方山县电子商务进农村行动计划(修订)"},
        headers={"If-Match": '"1"'},
        setup=a_set,
        division=FANGSHAN,
    ),
    ("PUT", "/v1/counties/{county_code}/adoptions/{set_code}"): Write(
        allowed=WRITERS, ok_as=FANGSHAN_OFFICIAL, success=201, path=ADOPTION, division=FANGSHAN
    ),
    ("DELETE", "/v1/counties/{county_code}/adoptions/{set_code}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=204,
        path=ADOPTION,
        setup=adopted,
        division=FANGSHAN,
    ),
    ("PUT", "/v1/counties/{county_code}/statistics/{period}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"county_code": "141128", "period": "2017"},
        body={
            "figures": [
                {"figure": "rural_online_retail", "value": "118000000", "source": "platform"}
            ]
        },
        division=FANGSHAN,
    ),
    ("POST", "/v1/counties/{county_code}/products"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=201,
        path={"county_code": "141128"},
        body=PRODUCT,
        division=FANGSHAN,
    ),
    ("PATCH", "/v1/counties/{county_code}/products/{product_id}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"county_code": "141128"},
        body={"channels": ["淘宝", "832平台"]},
        headers={"If-Match": '"1"'},
        setup=a_product,
        division=FANGSHAN,
    ),
    ("DELETE", "/v1/counties/{county_code}/products/{product_id}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=204,
        path={"county_code": "141128"},
        setup=a_product,
        division=FANGSHAN,
    ),
    ("POST", "/v1/demonstration-counties"): Write(
        allowed=WRITERS, ok_as=SHANXI_OFFICIAL, success=201, body=COUNTY, division=FANGSHAN
    ),
    ("PATCH", "/v1/demonstration-counties/{county_code}"): Write(
        allowed=WRITERS,
        ok_as=SHANXI_OFFICIAL,
        success=200,
        path={"county_code": "141128"},
        body={"local_funds": "2000000"},
        headers={"If-Match": '"1"'},
        setup=a_county,
        division=FANGSHAN,
    ),
    ("PUT", "/v1/demonstration-counties/{county_code}/publication"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"county_code": "141128"},
        body={"published": True},
        setup=a_county,
        division=FANGSHAN,
    ),
    ("POST", "/v1/projects"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=201,
        body=PROJECT,
        setup=a_county,
        division=FANGSHAN,
    ),
    ("PATCH", "/v1/projects/{code}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        body={"name": "村级电子商务服务点改造"},
        headers={"If-Match": '"1"'},
        setup=a_project,
        division=FANGSHAN,
    ),
    ("POST", "/v1/projects/{code}/transitions"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        body={"to": "in_progress"},
        setup=a_project,
        division=FANGSHAN,
    ),
    ("POST", "/v1/projects/{code}/milestones"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=201,
        body={"name": "完成选址", "deadline": "2018-06-30"},
        setup=a_project,
        division=FANGSHAN,
    ),
    ("PATCH", "/v1/projects/{code}/milestones/{milestone_id}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        body={"status": "in_progress"},
        headers={"If-Match": '"1"'},
        setup=a_milestone,
        division=FANGSHAN,
    ),
    ("PUT", "/v1/projects/{code}/stations/{station_code}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"station_code": STATION},
        body={"allocation": "20000"},
        setup=a_station_link,
        division=FANGSHAN,
    ),
    ("DELETE", "/v1/projects/{code}/stations/{station_code}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"station_code": STATION},
        setup=a_station_link,
        division=FANGSHAN,
    ),
    ("PUT", "/v1/projects/{code}/training-sessions/{session_id}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"session_id": str(SESSION)},
        setup=a_training_link,
        division=FANGSHAN,
    ),
    ("DELETE", "/v1/projects/{code}/training-sessions/{session_id}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"session_id": str(SESSION)},
        setup=a_training_link,
        division=FANGSHAN,
    ),
    ("POST", "/v1/projects/{code}/disbursements"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=201,
        body=PAYMENT,
        setup=a_project,
        division=FANGSHAN,
    ),
    ("POST", "/v1/disbursements/{disbursement_id}/cancellation"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        body={"reason": "凭证号录入错误"},
        setup=a_payment,
        division=FANGSHAN,
    ),
    ("POST", "/v1/fund-rule-sets"): Write(
        allowed=WRITERS, ok_as=FANGSHAN_OFFICIAL, success=201, body=RULE_SET, division=FANGSHAN
    ),
    ("PATCH", "/v1/fund-rule-sets/{code}"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"code": "fangshan-funds-2018"},
        body={"title": "方山县示范项目资金管理办法(修订)"},
        headers={"If-Match": '"1"'},
        setup=a_rule_set,
        division=FANGSHAN,
    ),
    ("POST", "/v1/demonstration-counties/{county_code}/disbursements/bulk"): Write(
        allowed=WRITERS,
        ok_as=FANGSHAN_OFFICIAL,
        success=200,
        path={"county_code": "141128"},
        body=lambda: [{**PAYMENT, "project": "141128-001"}],
        setup=a_project,
        division=FANGSHAN,
    ),
}
