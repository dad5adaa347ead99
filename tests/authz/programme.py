"""The programme service's write routes in the authorization matrix (see ``tests/authz``)."""

from common.auth import Principal, Role
from tests.authz import Context, Forwarded, Write, roles
from tests.programme.helpers import ADMIN, FANGSHAN

FANGSHAN_OFFICIAL = Principal(subject="official:fangshan", role=Role.OFFICIAL, division="141128")
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
}
