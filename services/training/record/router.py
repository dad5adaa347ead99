"""``/v1/record-parts/villages/{code}``: what the gateway's record of a village station shows
from training — who was trained from the village in a period, and the residents listed — in
one read on the pool's asyncpg connection (ADR 0076), also answered before FastAPI's routing
(``common.hotpath``, ADR 0051) in the plain case."""

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from common.auth import Principal, PrincipalDep
from common.codelists import division_codes
from common.db import read_connection
from common.errors import Problem, Unprocessable, problem_responses
from common.hotpath import HotRoute, NotHot, Plain, route_query
from common.identifiers import DivisionLevel
from common.recordparts import refusal
from common.responses import model_response
from services.training.indicators import repository as indicators
from services.training.indicators.router import village_trained
from services.training.record.schemas import VillageRecordPart
from services.training.subsidies.service import check_period, division_query_prefix
from services.training.trainees import repository as trainees
from services.training.trainees import service as trainee_views

router = APIRouter(prefix="/v1/record-parts", tags=["station records"])
# Residents listed; the rest are a page of the trainees list away.
TRAINEES_SHOWN = 20
_INTERVAL = re.compile(r"(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})")


def parse_interval(raw: str) -> tuple[date, date]:
    """``2026-01-01/2026-09-30`` (ISO 8601: first and last day): 422 naming ``interval``."""
    found = _INTERVAL.fullmatch(raw)
    try:
        if found is None:
            raise ValueError(raw)
        first, last = date.fromisoformat(found[1]), date.fromisoformat(found[2])
    except ValueError:
        raise Unprocessable(
            f"interval: {raw!r} is not first/last day (2026-01-01/2026-09-30)",
            detail_zh=f"interval:{raw!r} 不是“起始日/截止日”格式(如 2026-01-01/2026-09-30)",
            code="invalid_interval",
            field="interval",
            location="query",
        ) from None
    check_period(first, last)
    return first, last


@router.get(
    "/villages/{code}",
    summary="A village station's record: the training part",
    description="What the gateway's `GET /registry/v1/stations/{code}` shows from training "
    "for a village point, in one read: the village's residents trained in `interval`, counted "
    "as `GET /v1/indicators/training/villages` counts them to you, and its first "
    f"{TRAINEES_SHOWN} residents as `GET /v1/trainees?division={{code}}` lists them to you — "
    "or, where that route refuses you, why (`refused.trainees`).",
    response_model=VillageRecordPart,
    responses=problem_responses(
        (
            Unprocessable,
            "`invalid_division_code`, `wrong_division_level` (code); `invalid_interval`, "
            "`ends_before_start` (interval)",
        )
    ),
)
async def village_record_part(
    request: Request,
    principal: PrincipalDep,
    code: Annotated[str, Path(description="village code", examples=["141124100201"])],
    interval: Annotated[
        str,
        Query(
            max_length=32,
            description="first and last day, ISO 8601 (`first/last`)",
            examples=["2026-01-01/2026-09-30"],
        ),
    ],
) -> Response:
    return await _answer(request, principal, code, interval)


async def _answer(request: Request, principal: Principal, code: str, interval: str) -> Response:
    [village] = division_codes(
        code, levels=[DivisionLevel.VILLAGE], limit=1, field="code", location="path"
    )
    first, last = parse_interval(interval)
    refused = {}
    try:
        prefix = division_query_prefix(village)
        trainee_views.require_lister(principal, prefix)
    except Problem as e:
        refused["trainees"] = refusal(e, request)
        prefix = None
    listed = None
    async with read_connection(request) as conn:
        [found] = await indicators.read_villages(conn, [village], first, last) or [None]
        if prefix is not None:
            listed = await trainees.read_first_trainees(conn, prefix, TRAINEES_SHOWN)
    fields = request.app.state.field_cipher
    return model_response(
        VillageRecordPart(
            code=village,
            period_from=first,
            period_to=last,
            trained=None if found is None else village_trained(principal, found),
            trainees=None
            if listed is None
            else [
                trainee_views.trainee_out(r, clear=True, fields=fields)  # type: ignore[arg-type]
                for r in listed[:TRAINEES_SHOWN]
            ],
            more_trainees=listed is not None and len(listed) > TRAINEES_SHOWN,
            refused=refused,
        )
    )


async def _hot_answer(plain: Plain) -> Response:
    """The route's answer before FastAPI's routing; ``NotHot`` without ``interval`` (the
    route's 422). Anything else that fails goes to the route too (``common.hotpath``)."""
    interval = plain.query.get("interval")
    if interval is None:
        raise NotHot
    return await _answer(plain.request, plain.principal, plain.params["code"], interval)


HOT_RECORD_PART = HotRoute(
    template=f"{router.prefix}/villages/{{code}}",
    path=re.compile(re.escape(router.prefix) + r"/villages/(?P<code>[^/]+)"),
    handler=_hot_answer,
    query=route_query(village_record_part),
)
