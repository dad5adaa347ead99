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
}
