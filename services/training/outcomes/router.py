"""``/v1/trainees/{trainee_id}/outcomes``: what became of the people trained."""

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
from common.db import SessionDep
from common.errors import Conflict, Forbidden, NotFound, Unprocessable, problem_responses
from common.months import china_today
from services.training import authz
from services.training.deps import TraineeIdPath
from services.training.outcomes import repository, service
from services.training.outcomes.schemas import OutcomeIn, OutcomeOut
from services.training.trainees import service as trainees

router = APIRouter(prefix="/v1/trainees/{trainee_id}/outcomes", tags=["outcomes"])


@router.post(
    "",
    status_code=201,
    summary="Record a follow-up (培训后服务)",
    response_model=OutcomeOut,
    responses=problem_responses(
        (NotFound, "`trainee_not_found`"),
        (Forbidden, "`role_forbidden`, `outside_scope`"),
        (Conflict, "`not_trained`"),
        (Unprocessable, "`outcome_detail_required`, `future_outcome`, `before_training`"),
    ),
)
async def record(
    session: SessionDep, principal: PrincipalDep, trainee_id: TraineeIdPath, body: OutcomeIn
) -> Response:
    row = await service.record(session, principal, trainee_id, body, today=china_today())
    return JSONResponse(service.outcome_out(row).model_dump(mode="json"), status_code=201)


@router.get(
    "",
    summary="A trainee's follow-ups",
    description="In the trainee's scope only (they describe one person's business).",
    responses=problem_responses((NotFound, "`trainee_not_found`"), (Forbidden, "`role_forbidden`")),
)
async def list_outcomes(
    session: SessionDep, principal: PrincipalDep, trainee_id: TraineeIdPath
) -> list[OutcomeOut]:
    authz.require_personal_reader(principal)
    row = await trainees.get_trainee(session, trainee_id)
    if not await trainees.sees_in_clear(session, principal, row):
        raise trainees.trainee_not_found(trainee_id)
    return [service.outcome_out(o) for o in await repository.of_trainee(session, row.id)]
