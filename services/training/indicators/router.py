"""``/v1/indicators/training`` and the gap list, computed in SQL (ADR 0031).

The indicators' plain case is also answered before FastAPI's routing (``HOT_ROUTES``,
``common.hotpath``, ADR 0052, 0098): the endpoint itself, called with the request's session.
"""

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from common.auth import Principal, PrincipalDep, Role
from common.codelists import division_codes
from common.db import SessionDep, read_connection
from common.errors import BadRequest, Unprocessable, problem_responses
from common.hotpath import HotRoute, NotHot, Plain, answer, route_query
from common.identifiers import DivisionLevel
from common.pagination import Page, cursor_key, next_link
from services.training.deps import PageDep
from services.training.indicators import repository, service
from services.training.indicators.schemas import (
    Counted,
    GapVillage,
    TrainedInVillages,
    TrainingIndicators,
    VillageTrained,
)
from services.training.subsidies.service import check_period

router = APIRouter(prefix="/v1/indicators", tags=["indicators"])

DivisionQuery = Annotated[
    str | None,
    Query(
        max_length=12,
        description="province, prefecture, county or township code (or its prefix: 14, "
        "1411, 141124); the nation when absent",
        examples=["141124"],
    ),
]
FromQuery = Annotated[date, Query(alias="from", description="first day", examples=["2026-01-01"])]
ToQuery = Annotated[date, Query(alias="to", description="last day", examples=["2026-12-31"])]
_PROBLEMS = (
    Unprocessable,
    "`ends_before_start` (to), `invalid_division_code`, `unknown_division`, "
    "`division_not_current`, `wrong_division_level` (division)",
)


@router.get(
    "/training",
    summary="Training indicators of a division for a period",
    description="People-times, person-days and distinct persons residing in the division, "
    "the same for registered poor households, by session level and trainee category; village "
    "committees with a trained resident (and with three); follow-ups; subsidies due for the "
    "sessions held there. Definitions: ADR 0031.",
    responses=problem_responses(_PROBLEMS),
)
async def training(
    request: Request, first: FromQuery, last: ToQuery, division: DivisionQuery = None
) -> TrainingIndicators:
    async with read_connection(request) as conn:
        return await service.training(conn, division, first, last)


@router.get(
    "/training/gaps",
    summary="Village committees with nobody trained in the period",
    description="Current village committees (seq 200–399) of the division none of whose "
    "residents attended a session in the period, by code; keyset-paginated.",
    responses=problem_responses(_PROBLEMS, (BadRequest, "bad cursor")),
)
async def gaps(
    request: Request,
    session: SessionDep,
    params: PageDep,
    first: FromQuery,
    last: ToQuery,
    division: DivisionQuery = None,
) -> Page[GapVillage]:
    check_period(first, last)
    prefix, _ = await service.resolve(session, division)
    after = cursor_key(params, str) or ""
    rows = await repository.gaps(session, prefix, first, last, after, params.limit)
    return Page(
        items=[GapVillage(code=r.code, name=r.name) for r in rows[: params.limit]],
        next=next_link(request, rows, params, lambda r: [r.code]),
    )


MAX_VILLAGES = 200


def _reads_categories(principal: Principal, code: str) -> bool:
    if principal.role in (Role.ADMIN, Role.SERVICE):
        return True
    return principal.role in (Role.OFFICIAL, Role.PLATFORM) and principal.covers(code)


@router.get(
    "/training/villages",
    summary="Who was trained in each of these villages",
    description=f"For up to {MAX_VILLAGES} village codes (comma-separated): people-times, "
    "distinct persons and poor-household people-times of the residents of each in the "
    "period; villages with nobody trained are left out. Counts by trainee category only for "
    "readers of the village's trainees. What a station's record and the gateway's gap lists "
    "ask in one call instead of one per village.",
    responses=problem_responses(
        (
            Unprocessable,
            "`invalid_code_list`, `invalid_division_code`, `wrong_division_level` (codes); "
            "`ends_before_start` (to)",
        )
    ),
)
async def villages(
    session: SessionDep,
    principal: PrincipalDep,
    first: FromQuery,
    last: ToQuery,
    codes: Annotated[
        str,
        Query(
            max_length=4096,
            description="village codes, comma-separated",
            examples=["141124100201,141124100202"],
        ),
    ],
) -> TrainedInVillages:
    check_period(first, last)
    rows = await repository.villages(
        session,
        division_codes(codes, levels=[DivisionLevel.VILLAGE], limit=MAX_VILLAGES),
        first,
        last,
    )
    return TrainedInVillages(
        period_from=first,
        period_to=last,
        villages=[village_trained(principal, r._mapping) for r in rows],
    )


def village_trained(principal: Principal, row: Mapping[str, Any]) -> VillageTrained:
    """A row of ``repository.villages`` (or ``read_villages``) as ``principal`` reads it."""
    reads = _reads_categories(principal, row["code"])
    return VillageTrained(
        code=row["code"],
        people_times=row["people_times"],
        persons=row["persons"],
        poor_household_people_times=row["poor_household_people_times"] if reads else None,
        by_category={
            k: Counted(people_times=v[0], persons=v[1])
            for k, v in sorted(row["by_category"].items())
        }
        if reads
        else None,
    )


async def _hot_training(plain: Plain) -> Response:
    """The plain case of ``training``, before FastAPI's routing: the endpoint itself;
    ``NotHot`` without ``from`` or ``to`` (the route's 422)."""
    if "from" not in plain.query or "to" not in plain.query:
        raise NotHot
    return answer(await training(plain.request, **plain.arguments(training)))


HOT_ROUTES = (
    HotRoute(
        template=f"{router.prefix}/training",
        path=re.compile(re.escape(router.prefix) + "/training"),
        handler=_hot_training,
        query=route_query(training),
    ),
)
