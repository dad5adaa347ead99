"""Attendance: one sign-in from an app, or a sign-in sheet in bulk."""

from datetime import date

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from common.auth import PrincipalDep
from common.bulk import READ_PROBLEMS, TEMPLATE_RESPONSE, BulkResult, template_response
from common.bulkroute import DryRunQuery, answer_upload
from common.db import SessionDep
from common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
    problem_responses,
)
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.limits import BULK_BODY_LIMIT
from common.months import china_today
from common.pagination import Page, cursor_key, next_link
from services.training import authz
from services.training.attendance import bulk, repository, service
from services.training.attendance.models import DayPart
from services.training.attendance.schemas import AttendanceIn, AttendanceOut, SessionCounts
from services.training.changes.models import TrainingIdempotencyRecord
from services.training.deps import CipherDep, PageDep, SessionIdPath
from services.training.sessions import service as sessions
from services.training.trainees import repository as trainee_rows
from services.training.trainees import service as trainees

router = APIRouter(prefix="/v1", tags=["attendance"])

_RULES = (
    (Conflict, "`session_cancelled`, `day_counted_twice`, `trainee_exists`"),
    (
        Unprocessable,
        "`future_attendance`, `outside_session_dates`, `part_exceeds_session`, "
        "`trainee_under_age`, ID number and residence checks",
    ),
    (Forbidden, "`role_forbidden`, `outside_scope`, `not_your_session`"),
)


@router.post(
    "/sessions/{session_id}/attendance",
    summary="Sign a trainee in for a day of a session",
    description="By trainee id, or by the person (ID number, name, residence …): a person not "
    "yet registered is registered. The key is trainee × session × day: the same sign-in "
    "again is `unchanged` (200), never counted twice.",
    response_model=AttendanceOut,
    status_code=201,
    responses={
        200: {"model": AttendanceOut, "description": "already signed in (`unchanged`)"},
        **problem_responses((NotFound, "`session_not_found`, `trainee_not_found`"), *_RULES),
    },
)
async def sign_in(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    fields: CipherDep,
    session_id: SessionIdPath,
    body: AttendanceIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    idempotency = await Idempotency.from_request(
        request, session, TrainingIdempotencyRecord, subject=principal.subject, key=idempotency_key
    )
    replayed = await idempotency.replay()
    if replayed is not None:
        return replayed
    row = await sessions.get_session(session, session_id, lock=True)
    out = await service.sign_in(session, principal, fields, row, body, today=china_today())
    status = 201 if out.outcome == "created" else 200
    answer = out.model_dump(mode="json")
    await idempotency.remember(status, answer)
    return JSONResponse(answer, status_code=status)


def _attendee_key(value: object) -> tuple[int, date, str]:
    trainee_id, day, part = str(value).split("/")
    return int(trainee_id), date.fromisoformat(day), DayPart(part).value


@router.get(
    "/sessions/{session_id}/attendance",
    summary="Who attended a session",
    description="Per trainee and day. Trainees are in clear for the session's scope "
    "(officials of its place, its organiser, admins) and masked otherwise.",
    responses=problem_responses((NotFound, "`session_not_found`"), (Forbidden, "`role_forbidden`")),
)
async def attendees(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    fields: CipherDep,
    session_id: SessionIdPath,
    params: PageDep,
) -> Page[dict]:
    authz.require_personal_reader(principal)
    row = await sessions.get_session(session, session_id)
    cursor = cursor_key(params, _attendee_key)
    items = await repository.attendees(session, row.id, cursor, params.limit)
    page = items[: params.limit]
    people = {t: await trainee_rows.get(session, t) for t in {a.trainee_id for a in page}}
    out = []
    for a in page:
        person = people[a.trainee_id]
        assert person is not None
        clear = authz.in_scope(
            principal, person.residence_code, [row.division_code], [row.organiser_code]
        )
        out.append(
            {
                "day": a.day.isoformat(),
                "part": a.part,
                "trainee": trainees.trainee_out(person, clear=clear, fields=fields).model_dump(
                    mode="json"
                ),
            }
        )
    return Page(
        items=out,
        next=next_link(request, items, params, lambda a: [f"{a.trainee_id}/{a.day}/{a.part}"]),
    )


@router.get(
    "/sessions/{session_id}/counts",
    summary="People and person-days of a session",
    response_model=SessionCounts,
    responses=problem_responses((NotFound, "`session_not_found`")),
)
async def counts(session: SessionDep, session_id: SessionIdPath) -> SessionCounts:
    row = await sessions.get_session(session, session_id)
    found = await repository.counts(session, [row.id])
    if not found:
        return SessionCounts(session_id=row.id, people=0, person_days=0, attendance_rows=0)
    _, people, days, rows = found[0]
    return SessionCounts(
        session_id=row.id, people=people, person_days=float(days), attendance_rows=rows
    )


_CSV_EXAMPLE = (
    "培训班编号,日期,时段,身份证号,姓名,手机,居住村代码,人员类别\n"
    "17,2026/10/12,全天,14112419900307123X,王小甲,13900000001,141124100201,建档立卡贫困户\n"
)


@router.post(
    "/attendance/bulk",
    max_body_size=BULK_BODY_LIMIT,
    summary="Upload sign-in sheets",
    description=(
        "A JSON array, NDJSON, or CSV (UTF-8 or GB 18030, English or Chinese headers: "
        f"`{','.join(bulk.CSV_COLUMNS)}` or 培训班编号, 日期, 时段, 身份证号, 姓名, 手机, "
        "居住村代码, 人员类别), up to the configured row limit (200,000 by default). Each row "
        "is judged as a single sign-in would be and answers for itself (`created`, "
        "`unchanged`, `rejected` with status, code and field); a person new in the sheet is "
        "registered from the row (name and residence needed). `dry_run=true` judges without "
        "writing; `Idempotency-Key` makes a resend return the first answer. Template: "
        "`GET /v1/attendance/bulk/template`."
    ),
    response_model=BulkResult[bulk.AttendanceRowResult],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
            },
        }
    },
    responses=problem_responses(
        (Forbidden, "a role that does not record attendance"), *READ_PROBLEMS
    ),
)
async def upload(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    fields: CipherDep,
    dry_run: DryRunQuery = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    authz.require_role(
        principal, authz.SESSION_WRITERS, doing="record attendance", doing_zh="登记签到"
    )
    max_rows = request.app.state.settings.bulk_max_rows
    return await answer_upload(
        request,
        session,
        records=TrainingIdempotencyRecord,
        subject=principal.subject,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
        read=lambda content_type, body: bulk.read_upload(content_type, body, max_rows),
        judge=lambda rows, zh: bulk.submit(
            session, principal, fields, rows, dry_run=dry_run, today=china_today(), zh=zh
        ),
    )


@router.get(
    "/attendance/bulk/template",
    summary="CSV template of a sign-in sheet",
    response_class=Response,
    responses=TEMPLATE_RESPONSE,
)
async def template() -> Response:
    return template_response(bulk.COLUMNS, "attendance-template.csv", "签到表模板.csv")
