"""The stations service's write routes in the authorization matrix (see ``tests/authz``)."""

from common.auth import Principal, Role
from tests.authz import Context, Write, roles
from tests.stations.factories import figures, insert_station, months_from_now
from tests.stations.registry_helpers import JIESHANG, create

LIN_VILLAGE = "141124100201"  # 前麻峪村委会, 临县
REPORTING = f"{LIN_VILLAGE}-01"
STATION = f"{JIESHANG}-01"  # 街上村, 离石区

LISHI_OFFICIAL = Principal(subject="official:lishi", role=Role.OFFICIAL, division="141102")
LIN_OFFICIAL = Principal(subject="official:lin", role=Role.OFFICIAL, division="141124")
WRITERS = roles(Role.ADMIN, Role.OFFICIAL)
REPORTERS = roles(Role.ADMIN, Role.OFFICIAL, Role.OPERATOR)


def last_month() -> str:
    return months_from_now(-1).strftime("%Y-%m")


async def registered(ctx: Context) -> None:
    await create(ctx.clients["stations"], "village", JIESHANG)


async def operating(ctx: Context) -> None:
    await insert_station(ctx.db, LIN_VILLAGE)


ROUTES = {
    ("POST", "/v1/divisions/flags/bulk"): Write(
        allowed=WRITERS,
        ok_as=LIN_OFFICIAL,
        success=200,
        body=[{"code": LIN_VILLAGE, "poor_village": True}],
        division=LIN_VILLAGE,
        per_row=True,
    ),
    ("PUT", "/v1/divisions/{code}/flags"): Write(
        allowed=WRITERS,
        ok_as=LIN_OFFICIAL,
        success=200,
        path={"code": LIN_VILLAGE},
        body={"poor_village": True},
        division=LIN_VILLAGE,
    ),
    ("POST", "/v1/stations"): Write(
        allowed=WRITERS,
        ok_as=LISHI_OFFICIAL,
        success=201,
        body={"tier": "village", "division_code": JIESHANG, "name": "街上村服务点"},
        division=JIESHANG,
    ),
    ("PATCH", "/v1/stations/{code}"): Write(
        allowed=REPORTERS,  # an operator edits its own station's operator fields
        ok_as=LISHI_OFFICIAL,
        success=200,
        path={"code": STATION},
        body={"name": "街上村电商服务点"},
        headers={"If-Match": '"1"'},
        setup=registered,
        division=JIESHANG,
        station=STATION,
    ),
    ("POST", "/v1/stations/{code}/transitions"): Write(
        allowed=WRITERS,
        ok_as=LISHI_OFFICIAL,
        success=201,
        path={"code": STATION},
        body={"to": "building"},
        setup=registered,
        division=JIESHANG,
        station=STATION,
    ),
    ("PUT", "/v1/stations/{station_code}/reports/{month}"): Write(
        allowed=REPORTERS,
        ok_as=Principal(subject="operator:lin", role=Role.OPERATOR, station=REPORTING),
        success=201,
        path={"station_code": REPORTING, "month": last_month},
        body=figures,
        setup=operating,
        division=LIN_VILLAGE,
        station=REPORTING,
    ),
    ("POST", "/v1/reports/bulk"): Write(
        allowed=REPORTERS,
        ok_as=LIN_OFFICIAL,
        success=200,
        body=lambda: [{"station_code": REPORTING, "month": last_month(), **figures()}],
        setup=operating,
        division=LIN_VILLAGE,
        station=REPORTING,
        per_row=True,
    ),
}
