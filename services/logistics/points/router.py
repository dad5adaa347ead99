"""``/v1/points``: station points as logistics knows them (the stations feed), and which
carriers reach each one — answered from logistics alone."""

import re
from datetime import date
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from common import bulkwrite
from common.auth import Role
from common.db import SessionDep, read_connection
from common.errors import NotFound, problem_responses
from common.hotpath import HotRoute, NotHot, Plain
from common.identifiers import STATION_CODE_PATTERN
from common.months import china_today
from common.responses import model_response
from services.logistics import authz, listing
from services.logistics.caller import SignedInCallerDep
from services.logistics.points.repository import REACHING
from services.logistics.points.schemas import PointCarriers, PointOut, ReachingCarrier

router = APIRouter(prefix="/v1/points", tags=["station points"])

CodePath = Annotated[
    str,
    Path(pattern=STATION_CODE_PATTERN, description="station code", examples=["141102100200-01"]),
]


@router.get(
    "/{code}/carriers",
    summary="Which carriers reach a station point",
    description="Carriers whose coverage of the point's village counts on `as_of` (default "
    "today, China time), then those that reach only its township. Carriers see only "
    "themselves. The point comes from the stations feed (seconds behind the registry).",
    response_model=PointCarriers,
    responses=problem_responses((NotFound, "`station_not_found`")),
)
async def carriers_of_point(
    session: SessionDep,
    principal: SignedInCallerDep,
    code: CodePath,
    as_of: Annotated[date | None, Query(description="the day, YYYY-MM-DD")] = None,
) -> Response:
    conn = await bulkwrite.driver_connection(session)
    point = await _point(conn, code)
    visible = await listing.visible(session, principal, carrier=None, division=None)
    carrier_id = visible[0] if visible else None
    return await _carriers(conn, point, carrier_id, as_of or china_today())


async def _point(conn: asyncpg.Connection, code: str) -> asyncpg.Record:
    point = await conn.fetchrow(
        "SELECT code, tier, name, division_code, status, ST_X(location) AS lon,"
        " ST_Y(location) AS lat FROM logistics.station_point WHERE code = $1",
        code,
    )
    if point is None:
        raise NotFound(
            f"no station point {code}",
            detail_zh=f"没有站点 {code}",
            code="station_not_found",
            field="code",
            location="path",
        )
    return point


async def _carriers(
    conn: asyncpg.Connection, point: asyncpg.Record, carrier_id: int | None, day: date
) -> Response:
    village = point["division_code"]
    township = village[:9] + "000"
    rows = await conn.fetch(REACHING, carrier_id, village, township, day)
    return model_response(
        PointCarriers(
            point=PointOut(
                code=point["code"],
                tier=point["tier"],
                name=point["name"],
                division_code=village,
                status=point["status"],
                lon=point["lon"],
                lat=point["lat"],
            ),
            as_of=day,
            carriers=[ReachingCarrier(**dict(r)) for r in rows if r["village"]],
            township_only=[ReachingCarrier(**dict(r)) for r in rows if not r["village"]],
        )
    )


async def _hot_carriers(plain: Plain) -> Response:
    """``carriers_of_point``'s plain case for ``common.hotpath`` (ADR 0076: a station's
    record asks it for every record), on the pool's asyncpg connection: a caller who sees
    every carrier (no carrier name to resolve: not a carrier), today. ``NotHot`` for the
    rest — a carrier, the public (the route's 401), ``as_of``, a code that is not one."""
    code = plain.params["code"]
    if _STATION_CODE.fullmatch(code) is None or plain.principal.role is Role.PUBLIC:
        raise NotHot
    own, _ = authz.reading_scope(plain.principal)
    if own is not None:
        raise NotHot
    async with read_connection(plain.request) as conn:
        return await _carriers(conn, await _point(conn, code), None, china_today())


_STATION_CODE = re.compile(STATION_CODE_PATTERN)
HOT_CARRIERS = HotRoute(
    template=f"{router.prefix}/{{code}}/carriers",
    path=re.compile(re.escape(router.prefix) + r"/(?P<code>[^/]+)/carriers"),
    handler=_hot_carriers,
)
