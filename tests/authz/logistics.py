"""The logistics service's write routes in the authorization matrix (see ``tests/authz``)."""

from collections.abc import Mapping

from common.auth import Principal, Role
from tests.authz import Context, Forwarded, Write, roles
from tests.logistics.factories import ADMIN, JIESHANG, coverage

ZTO = Principal(subject="carrier:zto", role=Role.CARRIER, carrier="zto")
FLEET = "matrix_fleet"
WRITERS = roles(Role.ADMIN, Role.OFFICIAL, Role.CARRIER)


async def fleet(ctx: Context) -> Mapping[str, str]:
    """A carrier of the test's own (the bundled ones are kept between tests)."""
    body = {"code": FLEET, "name_zh": "矩阵车队", "name_en": "Matrix fleet", "kind": "local"}
    r = await ctx.clients["logistics"].post("/v1/carriers", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return {}


ROUTES: dict[tuple[str, str], Write | Forwarded] = {
    ("POST", "/v1/carriers"): Write(
        allowed=roles(Role.ADMIN),
        ok_as=Principal(subject="admin:1", role=Role.ADMIN),
        success=201,
        body={"code": "lx_fleet", "name_zh": "临县车队", "name_en": "Lin fleet", "kind": "local"},
    ),
    ("PATCH", "/v1/carriers/{code}"): Write(
        allowed=roles(Role.ADMIN, Role.CARRIER),
        ok_as=Principal(subject="carrier:fleet", role=Role.CARRIER, carrier=FLEET),
        success=200,
        path={"code": FLEET},
        body={"service_phone": "0358-4420000"},
        headers={"If-Match": '"1"'},
        setup=fleet,
        carrier=FLEET,
    ),
    ("POST", "/v1/coverage"): Write(
        allowed=WRITERS,
        ok_as=ZTO,
        success=201,
        body=coverage(JIESHANG, carrier="zto"),
        division=JIESHANG,
        carrier="zto",
    ),
    ("POST", "/v1/coverage/bulk"): Write(
        allowed=WRITERS,
        ok_as=ZTO,
        success=200,
        body=[coverage(JIESHANG, carrier="zto")],
        division=JIESHANG,
        carrier="zto",
        per_row=True,
    ),
}
