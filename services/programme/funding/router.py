"""``/v1/stations/{code}/funding``: the projects and payments that fund one station; its
plain case also answered before FastAPI's routing on the pool's asyncpg connection
(``common.hotpath``, ADR 0076: a station's record asks it every time)."""

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from common.auth import Principal, PrincipalDep
from common.authz import require_division_reader
from common.db import SessionDep, read_connection
from common.errors import Forbidden, Unauthorized, problem_responses
from common.hotpath import HotRoute, NotHot, Plain
from common.identifiers import STATION_CODE_PATTERN
from common.responses import model_response
from services.programme.disbursements.service import disbursement_out
from services.programme.divisions import READ
from services.programme.funding import repository
from services.programme.funding.schemas import FundingProject, StationFunding
from services.programme.ledger.models import ProjectCategory, ProjectStatus
from services.programme.projects.service import manages_county

router = APIRouter(prefix="/v1/stations", tags=["project ledger"])


@router.get(
    "/{code}/funding",
    summary="What funds a station",
    description="The county's projects linked to the station (allocation, and what was paid "
    "naming it) and every payment naming it. Not public (payees and vouchers): officials and "
    "platforms over the county, services and admins. A station no project names answers "
    "empty lists: the ledger does not know which stations exist.",
    response_model=StationFunding,
    responses=problem_responses(
        (Unauthorized, "`authentication_required`"),
        (Forbidden, "`outside_scope`, `role_forbidden`"),
    ),
)
async def station_funding(
    session: SessionDep,
    principal: PrincipalDep,
    code: Annotated[
        str,
        Path(
            pattern=STATION_CODE_PATTERN, description="station code", examples=["141128100201-01"]
        ),
    ],
) -> Response:
    county_code = _county_of(principal, code)
    projects = await repository.projects_of(session, county_code, code)
    payments = await repository.disbursements_of(session, county_code, code)
    return _funding(principal, code, county_code, projects, payments)


def _county_of(principal: Principal, code: str) -> str:
    """The station's county, if ``principal`` may read its funding."""
    county_code = code[:6] + "000000"
    require_division_reader(principal, county_code, doing=READ[0], doing_zh=READ[1])
    return county_code


def _funding(
    principal: Principal,
    code: str,
    county_code: str,
    projects: Sequence[tuple[Any, Decimal, Decimal]],
    payments: Sequence[tuple[Any, str]],
) -> Response:
    return model_response(
        StationFunding(
            station_code=code,
            county_code=county_code,
            projects=[
                FundingProject(
                    code=p.code,
                    name=p.name,
                    category=ProjectCategory(p.category),
                    status=ProjectStatus(p.status),
                    allocation=allocation,
                    disbursed=paid,
                )
                for p, allocation, paid in projects
            ],
            disbursements=[
                disbursement_out(d, project_code, sees_payee=manages_county(principal, county_code))
                for d, project_code in payments
            ],
        )
    )


async def _hot_funding(plain: Plain) -> Response:
    """``station_funding``'s answer before FastAPI's routing; ``NotHot`` for a code that is
    not one (the route's 422). A refusal goes to the route too (``common.hotpath``)."""
    code = plain.params["code"]
    if _STATION_CODE.fullmatch(code) is None:
        raise NotHot
    county_code = _county_of(plain.principal, code)
    async with read_connection(plain.request) as conn:
        projects, payments = await repository.read_funding(conn, county_code, code)
    return _funding(plain.principal, code, county_code, projects, payments)


_STATION_CODE = re.compile(STATION_CODE_PATTERN)
HOT_FUNDING = HotRoute(
    template=f"{router.prefix}/{{code}}/funding",
    path=re.compile(re.escape(router.prefix) + r"/(?P<code>[^/]+)/funding"),
    handler=_hot_funding,
)
