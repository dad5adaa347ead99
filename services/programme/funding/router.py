"""``/v1/stations/{code}/funding``: the projects and payments that fund one station."""

from typing import Annotated

from fastapi import APIRouter, Path

from common.auth import PrincipalDep
from common.authz import require_division_reader
from common.db import SessionDep
from common.errors import Forbidden, Unauthorized, problem_responses
from common.identifiers import STATION_CODE_PATTERN
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
) -> StationFunding:
    county_code = code[:6] + "000000"
    require_division_reader(principal, county_code, doing=READ[0], doing_zh=READ[1])
    projects = await repository.projects_of(session, county_code, code)
    payments = await repository.disbursements_of(session, county_code, code)
    return StationFunding(
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
