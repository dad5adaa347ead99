"""A service's ``GET /v1/indicators/report`` (ADR 0088): what the gateway's report documents
read of that service for a division and a finished month, quarter or year, in one answer
whose parts are each exactly what their own indicator route answers.

What the routes share is here: their OpenAPI (:func:`report_route`), who may read them (the
strictest of the parts: officials and platforms over the division, services and admins)
and the period (:func:`report_period`), and, for the services whose figures are hot reads,
the pool's asyncpg connection they run on (:func:`report_on_connection`). Each service keeps
its own figures query. A route reads::

    @router.get("/report", **report_route("logistics", "courier coverage … (`/coverage`) …",
                                          not_public="the volumes are not"))
    async def report(request: Request, principal: SignedInDep, period: PeriodQuery,
                     division: DivisionQuery = None) -> ReportFigures:
        return await report_on_connection(request, principal, division, period, service.report,
                                          READ_VOLUMES)
"""

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import Query
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from common.auth import Principal
from common.authz import require_division_reader
from common.db import read_connection
from common.divisionscope import Scope, division_scope
from common.errors import (
    Forbidden,
    NotFound,
    Problem,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from common.hotpath import HotRoute, NotHot, Plain, answer, route_query
from common.periods import PERIOD_EXAMPLES, Period, parse_period

T = TypeVar("T")

PeriodQuery = Annotated[str, Query(max_length=16, description=PERIOD_EXAMPLES)]
# What a division given as a scope (``common.divisionscope``) answers when it is malformed or,
# looked up by the figures' first statement, not found.
SCOPE_PROBLEMS: tuple[tuple[type[Problem], str], ...] = (
    (NotFound, "`division_not_found`"),
    (Unprocessable, "`invalid_division` (division)"),
)


def report_route(
    service: str,
    parts: str,
    *,
    not_public: str,
    division_problems: tuple[tuple[type[Problem], str], ...] = SCOPE_PROBLEMS,
) -> dict[str, Any]:
    """The route's ``router.get`` arguments: ``parts`` says which route answers each part,
    ``not_public`` which part makes the whole not public."""
    return {
        "summary": "What a report document reads of a division for a period",
        "description": (
            f"In one answer, each part exactly as its own route answers it: {parts} — what the "
            f"gateway's report documents read of {service}, one request instead of one per "
            f"route. A finished month, quarter or year. Not public ({not_public}): officials "
            "and platforms over the division (national ones without `division`), services and "
            "admins."
        ),
        "response_model_by_alias": True,
        "responses": problem_responses(
            *division_problems,
            (Unprocessable, "`invalid_period`, `period_not_finished` (period)"),
            (Unauthorized, "`authentication_required`: not public"),
            (Forbidden, "`outside_scope` or `role_forbidden`"),
        ),
    }


def report_period(
    principal: Principal, division_code: str | None, raw: str, doing: tuple[str, str]
) -> Period:
    """The finished period asked for, once ``principal`` may read the division's figures
    (``None``: the nation); ``doing`` completes "role … may not …", in English and Chinese."""
    require_division_reader(principal, division_code, doing=doing[0], doing_zh=doing[1])
    return parse_period(raw, field="period", location="query")


async def report_on_connection(
    request: Request,
    principal: Principal,
    division: str | None,
    period: str,
    figures: Callable[[asyncpg.Connection, Scope, Period], Awaitable[T]],
    doing: tuple[str, str],
) -> T:
    """``figures`` of the division's scope (422 ``invalid_division`` for a malformed code) and
    the period, on the pool's asyncpg connection, one statement after another (ADR 0051)."""
    scope = division_scope(division)
    parsed = report_period(principal, scope.code, period, doing)
    async with read_connection(request) as conn:
        return await figures(conn, scope, parsed)


def report_hot_route(
    template: str,
    endpoint: Callable[..., Awaitable[BaseModel]],
    call: Callable[[Plain], Awaitable[BaseModel]],
) -> HotRoute:
    """The route's plain case before FastAPI's routing (``common.hotpath``, ADR 0100): a
    report document asks it of every service each time. ``call`` calls ``endpoint`` (the
    route's own function, whose query declarations the hot path validates by) with what the
    route's dependencies would give it; ``NotHot`` without ``period`` (the route's 422)."""

    async def handler(plain: Plain) -> Response:
        if "period" not in plain.query:
            raise NotHot
        return answer(await call(plain))

    return HotRoute(
        template=template,
        path=re.compile(re.escape(template)),
        handler=handler,
        query=route_query(endpoint),
    )
