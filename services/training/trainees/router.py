"""``/v1/trainees``: people trained, with their personal data protected."""

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
from common.db import SessionDep
from common.errors import Conflict, Forbidden, NotFound, Unprocessable, problem_responses
from common.etag import etag
from common.idempotency import REPLAY_HEADER, Idempotency, IdempotencyKeyHeader
from common.pagination import Page, cursor_key, next_link
from services.training import authz
from services.training.changes.models import TrainingIdempotencyRecord
from services.training.deps import CipherDep, IfMatchHeader, PageDep, TraineeIdPath
from services.training.subsidies.service import division_query_prefix
from services.training.trainees import repository, service
from services.training.trainees.models import TraineeCategory
from services.training.trainees.schemas import (
    ErasureOut,
    LookupIn,
    TraineeExport,
    TraineeIn,
    TraineeOut,
    TraineePatch,
)

router = APIRouter(prefix="/v1/trainees", tags=["trainees"])

_BAD_ID = (
    Unprocessable,
    "`invalid_resident_id`, `resident_id_checksum`, `resident_id_birth_date`, "
    "`resident_id_first_generation`, `residence_not_village`, `invalid_phone`",
)
_NOT_FOUND = (NotFound, "`trainee_not_found`")


def _trainee_response(out: TraineeOut, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version)}
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.post(
    "",
    status_code=201,
    summary="Register a trainee",
    description="Officials of the residence and admins. One person has one record: a second "
    "registration of the same ID number is 409 `trainee_exists` with `existing_trainee_id`. "
    "An ID number whose birthplace code is unknown for its birth year is accepted with a "
    "warning (codes are retired when counties merge).",
    response_model=TraineeOut,
    responses=problem_responses(
        (Forbidden, "`role_forbidden`, `outside_scope`"),
        (Conflict, "`trainee_exists`"),
        _BAD_ID,
    ),
)
async def register(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    fields: CipherDep,
    body: TraineeIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    idempotency = await Idempotency.from_request(
        request, session, TrainingIdempotencyRecord, subject=principal.subject, key=idempotency_key
    )
    replayed = await idempotency.replay()
    if replayed is not None:
        # The record keeps the trainee's id only; the answer is rebuilt from the trainee.
        row = await service.get_trainee(session, int(json.loads(replayed.body)["id"]))
        out = service.trainee_out(row, clear=True, fields=fields)
        response = _trainee_response(out, 201)
        response.headers[REPLAY_HEADER] = "true"
        return response
    row, warnings = await service.register(session, principal, fields, body)
    out = service.trainee_out(row, clear=True, fields=fields, warnings=warnings or None)
    # The replay needs the id only: nothing personal is kept in the idempotency record.
    await idempotency.remember(201, {"id": row.id})
    return _trainee_response(out, 201)


@router.get(
    "",
    summary="List trainees by residence",
    description="Officials see the trainees residing in their division (in clear); admins "
    "everyone. Erased trainees are not listed.",
    responses=problem_responses((Forbidden, "`role_forbidden`, `outside_scope`")),
)
async def list_trainees(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    fields: CipherDep,
    params: PageDep,
    division: Annotated[str | None, Query(max_length=12, description="residence prefix")] = None,
    category: TraineeCategory | None = None,
) -> Page[TraineeOut]:
    prefix = division_query_prefix(division) if division else (principal.division or "")
    service.require_lister(principal, prefix)
    rows = await repository.list_trainees(
        session,
        prefix=prefix,
        category=category,
        after=cursor_key(params, int),
        limit=params.limit,
    )
    return Page(
        items=[service.trainee_out(r, clear=True, fields=fields) for r in rows[: params.limit]],
        next=next_link(request, rows, params, lambda r: [r.id]),
    )


@router.post(
    "/lookup",
    summary="Find a trainee by ID number",
    description="POST so that the number never travels in a URL (and in proxies' logs). "
    "The trainee in clear for the caller's scope; 404 outside it, as for nobody.",
    response_model=TraineeOut,
    responses=problem_responses(_NOT_FOUND, _BAD_ID, (Forbidden, "`role_forbidden`")),
)
async def lookup(
    session: SessionDep, principal: PrincipalDep, fields: CipherDep, body: LookupIn
) -> Response:
    authz.require_personal_reader(principal)
    from services.training import checks

    rid = checks.resident_id(body.id_number)
    row = await service.find_by_number(session, fields, rid.number)
    # Outside the trainee's scope the answer is the same as for nobody: a lookup must not
    # tell an outsider who is registered.
    if row is None or not await service.sees_in_clear(session, principal, row):
        raise NotFound(
            "no trainee has this ID number",
            detail_zh="没有登记该身份证号码的学员",
            code="trainee_not_found",
            field="id_number",
        )
    return _trainee_response(service.trainee_out(row, clear=True, fields=fields))


@router.get(
    "/{trainee_id}",
    summary="A trainee",
    description="Masked (`王*甲`, `139****0001`, `141124********123X`) unless the caller is "
    "in the trainee's scope: officials of the residence or of a session attended, the "
    "organiser of a session attended, admins.",
    response_model=TraineeOut,
    responses=problem_responses(_NOT_FOUND, (Forbidden, "`role_forbidden`")),
)
async def get_trainee(
    session: SessionDep, principal: PrincipalDep, fields: CipherDep, trainee_id: TraineeIdPath
) -> Response:
    authz.require_personal_reader(principal)
    row = await service.get_trainee(session, trainee_id)
    clear = await service.sees_in_clear(session, principal, row)
    return _trainee_response(service.trainee_out(row, clear=clear, fields=fields))


@router.patch(
    "/{trainee_id}",
    summary="Correct a trainee's record",
    description="Officials of the residence; `If-Match` with the ETag read. The ID number "
    "cannot change (register the right one and erase the wrong record).",
    response_model=TraineeOut,
    responses=problem_responses(
        _NOT_FOUND, _BAD_ID, (Forbidden, "`outside_scope`"), (Conflict, "`trainee_erased`")
    ),
)
async def update_trainee(
    session: SessionDep,
    principal: PrincipalDep,
    fields: CipherDep,
    trainee_id: TraineeIdPath,
    patch: TraineePatch,
    if_match: IfMatchHeader = None,
) -> Response:
    row = await service.update_trainee(session, principal, trainee_id, patch, if_match)
    return _trainee_response(service.trainee_out(row, clear=True, fields=fields))


@router.get(
    "/{trainee_id}/export",
    summary="Everything held about one trainee (PIPL art. 45)",
    description="Officials of the residence and admins: the record in clear, attendance, "
    "outcomes and subsidies earned.",
    response_model=TraineeExport,
    responses=problem_responses(_NOT_FOUND, (Forbidden, "`outside_scope`")),
)
async def export(
    session: SessionDep, principal: PrincipalDep, fields: CipherDep, trainee_id: TraineeIdPath
) -> TraineeExport:
    return await service.export(session, principal, fields, trainee_id)


@router.post(
    "/{trainee_id}/erasure",
    summary="Erase a trainee's personal data (PIPL art. 47)",
    description="Officials of the residence and admins. Name, phone, ID number, birth date "
    "and sex go; residence, categories and attendance stay as anonymous people-times, so "
    "the indicators do not change. Cannot be undone.",
    response_model=ErasureOut,
    responses=problem_responses(
        _NOT_FOUND, (Forbidden, "`outside_scope`"), (Conflict, "`trainee_erased`")
    ),
)
async def erase(
    session: SessionDep, principal: PrincipalDep, trainee_id: TraineeIdPath
) -> ErasureOut:
    return await service.erase(session, principal, trainee_id)
