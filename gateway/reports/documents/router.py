"""``/reports/v1/…``: report documents — their published schemas, generation, revisions
and renderings (ADR 0081)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.db import SessionDep, write_connection
from common.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from common.links import public_url
from gateway.registry.caller import CallerDep
from gateway.reports.documents import service
from gateway.reports.documents.catalogue import CURRENT_VERSION, VERSIONS, published_schema
from gateway.reports.documents.content_v1 import ReportContent
from gateway.reports.documents.context import HOOKS, request_reader
from gateway.reports.documents.models import ReportRevision
from gateway.reports.documents.render import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx
from gateway.reports.documents.schemas import (
    DocumentInfo,
    GenerationOut,
    RevisionList,
    RevisionOut,
    RevisionSummary,
    SupersededRef,
)
from gateway.reports.documents.subjects import (
    DOCUMENT_TITLES,
    DocumentType,
    closed_period,
    subject_of,
)

router = APIRouter(prefix="/reports/v1", tags=["reports"])

DivisionPath = Annotated[
    str,
    Path(
        max_length=12,
        description="a county, prefecture or province (2, 4, 6 or 12 digits), or `nation`",
        examples=["141102"],
    ),
]
PeriodPath = Annotated[
    str,
    Path(max_length=16, description="a closed month, quarter or year: 2026-09, 2026-Q3, 2026"),
]
SUBJECT_PROBLEMS = (
    Unprocessable,
    "`invalid_division_code`, `wrong_division_level` (division); `invalid_period`, "
    "`future_period`, `period_not_closed` (period)",
)
SCHEMA_MEDIA_TYPE = "application/schema+json"


def _schema_url(request: Request, document: str, version: str) -> str:
    return public_url(request, f"/reports/v1/schemas/{document}/{version}")


def _href(request: Request, r: ReportRevision, number: int | None = None) -> str:
    """Revision ``number`` of ``r``'s document and period (``r`` itself by default)."""
    division = "nation" if r.document_type == DocumentType.NATION else r.division
    revision = r.revision if number is None else number
    return public_url(request, f"/reports/v1/documents/{division}/{r.period}/revisions/{revision}")


def _answer(
    request: Request,
    r: ReportRevision,
    older: service.Superseded | None,
    model: type[RevisionOut] = RevisionOut,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The revision on the wire, as ``model`` (a generation's answer adds ``created``). Its
    ``content`` is the stored body as it is — the canonical JSON that was hashed — rather
    than parsed and written again; everything else is ``model``'s JSON."""
    href = _href(request, r)
    fields = model.model_construct(
        id=r.id,
        document=r.document_type,
        version=int(r.document_version),
        division="nation" if r.document_type == DocumentType.NATION else r.division,
        period=r.period,
        revision=r.revision,
        supersedes=None
        if older is None
        else SupersededRef(
            revision=older.revision,
            content_hash=older.content_hash,
            href=_href(request, r, older.revision),
        ),
        content_hash=r.content_hash,
        created_by=r.created_by,
        created_at=r.created_at,
        schema_url=_schema_url(request, r.document_type, r.document_version),
        href=href,
        csv=href + "?format=csv",
        xlsx=href + "?format=xlsx",
        **extra,
    ).model_dump_json(exclude={"content"})
    body = fields[:-1].encode() + b',"content":' + r.body + b"}"
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


@router.get(
    "/schemas",
    summary="The report documents and their versions",
    response_model=list[DocumentInfo],
)
async def schemas(request: Request) -> list[DocumentInfo]:
    return [
        DocumentInfo(
            document=d.value,
            title=DOCUMENT_TITLES[d],
            versions=sorted(VERSIONS),
            current=CURRENT_VERSION,
            schema_url=_schema_url(request, d.value, str(CURRENT_VERSION)),
        )
        for d in DocumentType
    ]


@router.get(
    "/schemas/{document}/{version}",
    summary="A report document's published JSON Schema",
    description="JSON Schema 2020-12 of the document's content as stored, hashed and "
    "delivered, with a Chinese title and description for every field. Public.",
    response_class=Response,
    responses={
        200: {"content": {SCHEMA_MEDIA_TYPE: {}}, "description": "the schema"},
        **problem_responses((NotFound, "`unknown_document_type`, `unknown_document_version`")),
    },
)
async def document_schema(
    request: Request,
    document: Annotated[str, Path(max_length=32, examples=["county-report"])],
    version: Annotated[str, Path(max_length=8, examples=["1"])],
) -> Response:
    base = public_url(request, "")
    return JSONResponse(published_schema(document, version, base), media_type=SCHEMA_MEDIA_TYPE)


@router.post(
    "/documents/{division}/{period}",
    summary="Make (or confirm) a division's report for a closed period",
    description="Reads every figure from the services as of the period and stores the "
    "document: a new revision (201) when its content differs from the latest one, which it "
    "then supersedes; otherwise the latest revision stands (200, `created: false`). Safe to "
    "retry. Admins, and officials over the division (the nation: national officials).",
    response_model=GenerationOut,
    status_code=201,
    responses={
        200: {"model": GenerationOut, "description": "unchanged: the latest revision stands"},
        **problem_responses(
            (Unauthorized, "`authentication_required`"),
            (Forbidden, "`outside_scope`, `role_forbidden`"),
            (NotFound, "`division_not_found`"),
            SUBJECT_PROBLEMS,
            (ServiceUnavailable, "`report_incomplete`: a service could not give its figures"),
        ),
    },
)
async def generate(
    request: Request,
    division: DivisionPath,
    period: PeriodPath,
    caller: CallerDep,
) -> Response:
    subject = subject_of(division)
    service.require_maker(caller.principal, subject)
    closed = closed_period(period)
    made = await service.generate(
        lambda: write_connection(request),
        request_reader(request),
        subject,
        closed,
        caller.principal.subject,
        HOOKS.on_revision,
    )
    return _answer(
        request,
        made.revision,
        made.supersedes,
        GenerationOut,
        status_code=201 if made.created else 200,
        headers={"Location": _href(request, made.revision)},
        created=made.created,
    )


@router.get(
    "/documents/{division}/{period}",
    summary="The revisions of a division's report for a period",
    response_model=RevisionList,
    responses=problem_responses(
        (Unauthorized, "`authentication_required`"),
        (Forbidden, "`outside_scope`, `role_forbidden`"),
        SUBJECT_PROBLEMS,
    ),
)
async def list_revisions(
    request: Request, division: DivisionPath, period: PeriodPath, caller: CallerDep,
    session: SessionDep,
) -> RevisionList:  # fmt: skip
    subject = subject_of(division)
    service.require_reader(caller.principal, subject)
    closed = closed_period(period)
    found = await service.revisions(session, subject, closed)
    numbers = {r.id: r.revision for r in found}
    return RevisionList(
        document=subject.document.value,
        version=CURRENT_VERSION,
        division=subject.code,
        period=closed.label,
        revisions=[
            RevisionSummary(
                id=r.id,
                revision=r.revision,
                supersedes=numbers.get(r.supersedes_id) if r.supersedes_id else None,
                content_hash=r.content_hash,
                created_by=r.created_by,
                created_at=r.created_at,
                href=_href(request, r),
            )
            for r in found
        ],
    )


@router.get(
    "/documents/{division}/{period}/revisions/{revision}",
    summary="A revision of a division's report: JSON, CSV or XLSX",
    description="`revision` is a number or `latest`. `format=csv` (UTF-8 with BOM) and "
    "`format=xlsx` render the same content for people, labelled in Chinese.",
    response_model=RevisionOut,
    responses={
        200: {"content": {CSV_MEDIA_TYPE: {}, XLSX_MEDIA_TYPE: {}}},
        **problem_responses(
            (Unauthorized, "`authentication_required`"),
            (Forbidden, "`outside_scope`, `role_forbidden`"),
            (NotFound, "`report_not_found`"),
            (Unprocessable, f"{SUBJECT_PROBLEMS[1]}; `invalid_revision` (revision)"),
        ),
    },
)
async def read_revision(
    request: Request,
    division: DivisionPath,
    period: PeriodPath,
    revision: Annotated[str, Path(max_length=10, examples=["latest"])],
    caller: CallerDep,
    session: SessionDep,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Response:
    subject = subject_of(division)
    service.require_reader(caller.principal, subject)
    closed = closed_period(period)
    found, older = await service.read(session, subject, closed, service.revision_number(revision))
    if format == "json":
        return _answer(request, found, older)
    content = ReportContent.model_validate_json(found.body)
    name = f"{found.document_type}-{subject.code}-{found.period}-r{found.revision}"
    if format == "csv":
        body, media = to_csv(content), CSV_MEDIA_TYPE
    else:
        body = to_xlsx(content, DOCUMENT_TITLES[DocumentType(found.document_type)])
        media = XLSX_MEDIA_TYPE
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
    )
