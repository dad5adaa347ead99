"""``/v1/carriers``: the carrier catalogue (public), kept by admins and the carriers."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.db import SessionDep
from common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.pagination import Page, PageParams, next_link, page_params
from services.logistics.caller import CallerDep
from services.logistics.carriers import service
from services.logistics.carriers.models import CarrierKind
from services.logistics.carriers.schemas import CarrierCreate, CarrierOut, CarrierPatch

router = APIRouter(prefix="/v1/carriers", tags=["carriers"])

CodePath = Annotated[str, Path(max_length=40, description="our carrier code", examples=["zto"])]
IfMatchHeader = Annotated[
    str | None,
    Header(alias="If-Match", description="ETag of the version the change is based on"),
]
_NOT_FOUND = (NotFound, "`carrier_not_found`")


def _carrier_response(out: CarrierOut, *, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/carriers/{out.code}"
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.get(
    "",
    summary="The carrier catalogue",
    description="Every carrier by our code, with its kuaidi100 and kdniao codes. Public.",
)
async def list_carriers(
    request: Request,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    kind: Annotated[CarrierKind | None, Query(description="only this kind")] = None,
    active: Annotated[bool | None, Query(description="only active (or inactive) ones")] = None,
) -> Page[CarrierOut]:
    rows = await service.list_carriers(session, params, kind=kind, active=active)
    return Page(
        items=await service.carriers_out(session, rows[: params.limit]),
        next=next_link(request, rows, params, lambda row: [row.code]),
    )


@router.get(
    "/resolve",
    summary="Which carrier a code names",
    description="Our code or a kuaidi100 / kdniao code (any case), as an upload may send it.",
    responses=problem_responses((Unprocessable, "`unknown_carrier`, `carrier_inactive`")),
)
async def resolve_carrier(
    session: SessionDep,
    name: Annotated[str, Query(max_length=40, description="a carrier code", examples=["YZPY"])],
) -> CarrierOut:
    resolver = await service.CarrierResolver.load(session)
    found = resolver.resolve(name, field="name")
    if not isinstance(found, service.ResolvedCarrier):
        found.errors = [{**e, "location": "query"} for e in found.errors]
        raise found
    return await service.carrier_out(session, await service.get_carrier(session, found.code))


@router.get(
    "/{code}",
    summary="A carrier",
    description="With its `ETag` for a later change.",
    responses=problem_responses(_NOT_FOUND),
)
async def get_carrier(code: CodePath, session: SessionDep) -> Response:
    carrier = await service.get_carrier(session, code)
    return _carrier_response(await service.carrier_out(session, carrier))


@router.post(
    "",
    summary="Add a carrier",
    description="Admins only: a carrier the catalogue lacks (a county co-operative or 供销 "
    "fleet, a regional company), with its aggregator codes.",
    status_code=201,
    response_model=CarrierOut,
    responses=problem_responses(
        (Forbidden, "`role_forbidden`: not an admin"),
        (Conflict, "`carrier_code_taken`: the code or an alias already names a carrier"),
        (Unprocessable, "`validation_failed`: `invalid_carrier_code`, `invalid_credit_code` …"),
    ),
)
async def create_carrier(
    body: CarrierCreate, session: SessionDep, principal: CallerDep
) -> Response:
    out = await service.create_carrier(session, principal, body)
    return _carrier_response(out, status_code=201)


@router.patch(
    "/{code}",
    summary="Change a carrier",
    description="Send `If-Match` with the ETag you read. A carrier's own integration may "
    "change its names, credit code, hotline and website; admins everything, `aliases` "
    "replacing the whole set.",
    response_model=CarrierOut,
    responses=problem_responses(
        _NOT_FOUND,
        (Forbidden, "`role_forbidden`, `not_your_carrier`, `admin_only_fields`"),
        (Conflict, "`carrier_code_taken`"),
        (PreconditionFailed, "`stale_version`"),
        (PreconditionRequired, "`if_match_required`"),
        (Unprocessable, "`validation_failed`, `required`"),
    ),
)
async def update_carrier(
    code: CodePath,
    patch: CarrierPatch,
    session: SessionDep,
    principal: CallerDep,
    if_match: IfMatchHeader = None,
) -> Response:
    out = await service.update_carrier(session, principal, code, patch, if_match)
    return _carrier_response(out)
