"""``/v1/subsidy-policies`` and what sessions earn under them."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse

from common.auth import Principal, PrincipalDep, Role
from common.db import SessionDep
from common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from services.training import authz
from services.training.deps import IfMatchHeader, SessionIdPath
from services.training.sessions import repository as sessions_repository
from services.training.sessions import service as sessions
from services.training.subsidies import repository, service
from services.training.subsidies.schemas import (
    PolicyCreate,
    PolicyIn,
    PolicyOut,
    SessionSubsidyOut,
    SubsidyGroup,
    SubsidyReport,
    TraineeSubsidy,
)

router = APIRouter(prefix="/v1", tags=["subsidies"])

KeyPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$", examples=["yeji-2017"])]
_WHO = (Forbidden, "`role_forbidden`, `outside_scope`")
_BAD = (Unprocessable, "`ends_before_start` (valid_to), `invalid_division_code` (region)")


def _names_subjects(principal: Principal) -> bool:
    return principal.role is not Role.PUBLIC


def _policy_response(row: object, status_code: int = 200, *, subjects: bool = True) -> JSONResponse:
    out = service.policy_out(row, subjects=subjects)  # type: ignore[arg-type]
    return JSONResponse(
        out.model_dump(mode="json"), status_code=status_code, headers={"ETag": etag(out.version)}
    )


@router.get("/subsidy-policies", summary="Current subsidy policies", response_model=list[PolicyOut])
async def list_policies(
    session: SessionDep,
    principal: PrincipalDep,
    region: Annotated[str | None, Query(max_length=12)] = None,
) -> list[PolicyOut]:
    prefix = service.region_prefix(region, field="region", location="query") if region else None
    subjects = _names_subjects(principal)
    rows = await repository.list_current(session, prefix)
    return [service.policy_out(r, subjects=subjects) for r in rows]


@router.get("/subsidy-policies/presets", summary="Policies from the seed documents, ready to adopt")
async def presets() -> dict[str, PolicyIn]:
    return {key: PolicyIn(**value) for key, value in service.PRESETS.items()}


@router.post(
    "/subsidy-policies/presets/{key}",
    status_code=201,
    summary="Adopt a preset as a policy",
    response_model=PolicyOut,
    responses=problem_responses(
        (NotFound, "`preset_not_found`"), _WHO, (Conflict, "`policy_exists`, `policy_overlap`")
    ),
)
async def adopt(session: SessionDep, principal: PrincipalDep, key: KeyPath) -> Response:
    return _policy_response(await service.adopt_preset(session, principal, key), 201)


@router.post(
    "/subsidy-policies",
    status_code=201,
    summary="Create a subsidy policy",
    description="Admins and officials over its region. Two policies of one region may not "
    "overlap in dates (`policy_overlap`, naming the other).",
    response_model=PolicyOut,
    responses=problem_responses(_WHO, _BAD, (Conflict, "`policy_exists`, `policy_overlap`")),
)
async def create_policy(
    session: SessionDep, principal: PrincipalDep, body: PolicyCreate
) -> Response:
    return _policy_response(await service.create_policy(session, principal, body), 201)


@router.get(
    "/subsidy-policies/{key}",
    summary="A policy's current version",
    response_model=PolicyOut,
    responses=problem_responses((NotFound, "`policy_not_found`")),
)
async def get_policy(session: SessionDep, principal: PrincipalDep, key: KeyPath) -> Response:
    row = await repository.current(session, key)
    if row is None:
        raise service.policy_not_found(key)
    return _policy_response(row, subjects=_names_subjects(principal))


@router.put(
    "/subsidy-policies/{key}",
    summary="Write a new version of a policy",
    description="`If-Match` with the current version's ETag. Sessions whose rate was fixed "
    "under an older version keep it.",
    response_model=PolicyOut,
    responses=problem_responses(
        (NotFound, "`policy_not_found`"),
        _WHO,
        _BAD,
        (Conflict, "`policy_overlap`"),
        (PreconditionFailed, "`stale_version`"),
    ),
)
async def new_version(
    session: SessionDep,
    principal: PrincipalDep,
    key: KeyPath,
    body: PolicyIn,
    if_match: IfMatchHeader = None,
) -> Response:
    return _policy_response(await service.new_version(session, principal, key, body, if_match))


@router.get(
    "/subsidy-policies/{key}/versions",
    summary="Every version of a policy",
    response_model=list[PolicyOut],
    responses=problem_responses((NotFound, "`policy_not_found`")),
)
async def versions(session: SessionDep, principal: PrincipalDep, key: KeyPath) -> list[PolicyOut]:
    rows = await repository.versions(session, key)
    if not rows:
        raise service.policy_not_found(key)
    subjects = _names_subjects(principal)
    return [service.policy_out(r, subjects=subjects) for r in rows]


@router.get(
    "/sessions/{session_id}/subsidy",
    summary="What a session earns",
    description="Per trainee and in total, with the rule and policy version that produced it. "
    "Nothing is due before the session is held. Signed-in readers of trainees only: an amount "
    "per trainee, and `under_age`, say something about a person.",
    response_model=SessionSubsidyOut,
    responses=problem_responses((NotFound, "`session_not_found`"), (Forbidden, "`role_forbidden`")),
)
async def session_subsidy(
    session: SessionDep, principal: PrincipalDep, session_id: SessionIdPath
) -> SessionSubsidyOut:
    authz.require_personal_reader(principal)
    row = await sessions.get_session(session, session_id)
    fixed = await sessions_repository.subsidy_rate(session, row.id)
    if fixed is None:
        days = await repository.days_per_trainee(session, row.id)
        reason = "session_not_held" if row.status != "held" else "no_policy"
        items = [TraineeSubsidy(trainee_id=t, days=d, amount=0, reason=reason) for t, d in days]
        return SessionSubsidyOut(
            session_id=row.id,
            status=row.status,
            policy_key=None,
            policy_version=None,
            rule=None,
            unit=None,
            unit_amount=None,
            breakdown=[],
            trainees=len(items),
            total=0,
            items=items,
        )
    rate, policy = fixed
    items = [
        TraineeSubsidy(
            trainee_id=r.trainee_id,
            days=r.days,
            amount=r.amount,
            reason="under_age" if r.under_age else ("no_rule" if rate.rule is None else None),
        )
        for r in await repository.per_trainee(session, row.id)
    ]
    return SessionSubsidyOut(
        session_id=row.id,
        status=row.status,
        policy_key=policy.key,
        policy_version=policy.version,
        rule=rate.rule,
        unit=rate.unit,
        unit_amount=rate.unit_amount,
        breakdown=rate.breakdown,  # type: ignore[arg-type]
        trainees=len(items),
        total=sum((i.amount for i in items), start=0),
        items=items,  # type: ignore[arg-type]
    )


@router.get(
    "/subsidies",
    summary="Subsidies due per organiser or county for a period",
    description="Held sessions whose first day lies in the period, under their fixed rates.",
    response_model=SubsidyReport,
    responses=problem_responses((Unprocessable, "`ends_before_start`, `invalid_division_code`")),
)
async def subsidy_report(
    session: SessionDep,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    division: Annotated[str | None, Query(max_length=12)] = None,
    group_by: Literal["organiser", "county"] = "organiser",
) -> SubsidyReport:
    service.check_period(first, last)
    prefix = service.division_query_prefix(division)
    rows = await repository.subsidy_report(
        session, prefix=prefix, first=first, last=last, group_by=group_by
    )
    groups = [
        SubsidyGroup(
            key=r.key, name=r.name, sessions=r.sessions, trainees=r.trainees, amount=r.amount
        )
        for r in rows
    ]
    return SubsidyReport(
        division=prefix or None,
        period_from=first,
        period_to=last,
        group_by=group_by,
        total=sum((g.amount for g in groups), start=0),
        groups=groups,  # type: ignore[arg-type]
    )
