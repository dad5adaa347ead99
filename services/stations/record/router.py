"""``/v1/record-parts/stations/{code}``: what the gateway's station record shows from
stations — the station and its monthly reports of the last 12 finished months — in one read
on the pool's asyncpg connection (ADR 0076), also answered before FastAPI's routing
(``common.hotpath``, ADR 0051) in the plain case."""

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from common.auth import Principal, PrincipalDep, require_signed_in
from common.db import read_connection
from common.errors import NotFound, Problem, problem_responses
from common.hotpath import HotRoute, NotHot, Plain
from common.months import add_months
from common.recordparts import refusal
from common.responses import model_response
from services.stations import authz
from services.stations.record.schemas import StationRecordPart
from services.stations.registry import service as registry
from services.stations.registry import views
from services.stations.registry.schemas import STATION_CODE_PATTERN
from services.stations.reports import repository as reports
from services.stations.reports import service as reporting
from services.stations.reports.schemas import format_month

router = APIRouter(prefix="/v1/record-parts", tags=["station records"])
_STATION_CODE = re.compile(STATION_CODE_PATTERN)
MONTHS = 12


@router.get(
    "/stations/{code}",
    summary="A station's record: the stations part",
    description="What the gateway's `GET /registry/v1/stations/{code}` shows from stations, "
    "in one read: the station as `GET /v1/stations/{code}` answers it to you, and its "
    f"reports of the last {MONTHS} finished months as `GET /v1/stations/{{code}}/reports` "
    "answers them — or, where that route refuses you, why (`refused.reports`).",
    response_model=StationRecordPart,
    responses=problem_responses((NotFound, "`station_not_found`")),
)
async def station_record_part(
    request: Request,
    principal: PrincipalDep,
    code: Annotated[
        str,
        Path(
            pattern=STATION_CODE_PATTERN, description="station code", examples=["141124100201-01"]
        ),
    ],
) -> Response:
    return await _answer(request, principal, code)


async def _answer(request: Request, principal: Principal, code: str) -> Response:
    month = reporting.last_finished_month()
    refused = {}
    async with read_connection(request) as conn:
        row = await registry.read_station(conn, code)
        station = row.station
        try:
            await require_signed_in(principal)  # as the reports route's dependencies
            authz.require_station_reader(principal, station.code, station.division_code)
        except Problem as e:
            refused["reports"] = refusal(e, request)
            found = None
        else:
            found = await reports.read_reports(
                conn, station.id, add_months(month, 1 - MONTHS), month
            )
    return model_response(
        StationRecordPart(
            station=views.station_out(row, principal),
            month=format_month(month),
            reports=None if found is None else [reporting.report_out(code, r) for r in found],  # type: ignore[arg-type]
            refused=refused,
        )
    )


async def _hot_answer(plain: Plain) -> Response:
    """The route's answer before FastAPI's routing; ``NotHot`` for a code that is not one
    (the route's 422). Anything else that fails goes to the route too (``common.hotpath``)."""
    code = plain.params["code"]
    if _STATION_CODE.fullmatch(code) is None:
        raise NotHot
    return await _answer(plain.request, plain.principal, code)


HOT_RECORD_PART = HotRoute(
    template=f"{router.prefix}/stations/{{code}}",
    path=re.compile(re.escape(router.prefix) + r"/stations/(?P<code>[^/]+)"),
    handler=_hot_answer,
)
