"""``/v1/points``: station points as logistics knows them (the stations feed), and which
carriers reach each one — answered from logistics alone."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from common import bulkwrite
from common.db import SessionDep
from common.errors import NotFound, problem_responses
from common.identifiers import STATION_CODE_PATTERN
from common.months import china_today
from services.logistics import listing
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
    responses=problem_responses((NotFound, "`station_not_found`")),
)
async def carriers_of_point(
    session: SessionDep,
    principal: SignedInCallerDep,
    code: CodePath,
    as_of: Annotated[date | None, Query(description="the day, YYYY-MM-DD")] = None,
) -> PointCarriers:
    [point] = await bulkwrite.fetch(
        session,
        "SELECT code, tier, name, division_code, status, ST_X(location) AS lon,"
        " ST_Y(location) AS lat FROM logistics.station_point WHERE code = $1",
        code,
    ) or [None]
    if point is None:
        raise NotFound(
            f"no station point {code}",
            detail_zh=f"没有站点 {code}",
            code="station_not_found",
            field="code",
            location="path",
        )
    visible = await listing.visible(session, principal, carrier=None, division=None)
    carrier_id = visible[0] if visible else None
    day = as_of or china_today()
    village = point["division_code"]
    township = village[:9] + "000"
    rows = await bulkwrite.fetch(session, REACHING, carrier_id, village, township, day)
    return PointCarriers(
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
