"""The logistics service's write routes in the authorization matrix (see ``tests/authz``)."""

from collections.abc import Mapping

from common.auth import Principal, Role
from tests.authz import Context, Forwarded, Write, roles
from tests.logistics.factories import ADMIN, JIESHANG, add_point, coverage

ZTO = Principal(subject="carrier:zto", role=Role.CARRIER, carrier="zto")
FLEET = "matrix_fleet"
WRITERS = roles(Role.ADMIN, Role.OFFICIAL, Role.CARRIER)


async def fleet(ctx: Context) -> Mapping[str, str]:
    """A carrier of the test's own (the bundled ones are kept between tests)."""
    body = {"code": FLEET, "name_zh": "矩阵车队", "name_en": "Matrix fleet", "kind": "local"}
    r = await ctx.clients["logistics"].post("/v1/carriers", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return {}


async def point(ctx: Context) -> None:
    await add_point(ctx.db, JIESHANG)


VOLUME = {
    "carrier": "zto",
    "day": "2026-11-11",
    "station_code": f"{JIESHANG}-01",
    "outbound_parcels": 12,
    "outbound_weight_kg": "30.5",
    "inbound_parcels": 40,
    "inbound_weight_kg": "61",
}

HUB = {
    "code": "ZTO-WC",
    "kind": "township_hub",
    "name": "吴城镇中通网点",
    "division_code": "141102100000",
    "operator_carrier": "zto",
}

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
    ("POST", "/v1/volumes"): Write(
        allowed=WRITERS,
        ok_as=ZTO,
        success=201,
        body=VOLUME,
        setup=point,
        division=JIESHANG,
        carrier="zto",
    ),
    ("POST", "/v1/volumes/bulk"): Write(
        allowed=WRITERS,
        ok_as=ZTO,
        success=200,
        body=[VOLUME],
        setup=point,
        division=JIESHANG,
        carrier="zto",
        per_row=True,
    ),
    ("PUT", "/v1/depots/{code}"): Write(
        allowed=WRITERS,
        ok_as=ZTO,
        success=201,
        path={"code": "ZTO-WC"},
        body=HUB,
        division="141102100000",
        carrier="zto",
    ),
    ("POST", "/v1/depots/bulk"): Write(
        allowed=WRITERS,
        ok_as=ZTO,
        success=200,
        body=[HUB],
        division="141102100000",
        carrier="zto",
        per_row=True,
    ),
}
