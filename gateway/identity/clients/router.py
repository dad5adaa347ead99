"""``/auth/clients``: machine clients for admins; ``/auth/scopes``: what a client may hold."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse

from common.db import SessionDep
from common.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.pagination import Page, next_link
from gateway.identity.audit.service import Origin
from gateway.identity.clients import service
from gateway.identity.clients.schemas import (
    ClientCreate,
    ClientOut,
    ClientPatch,
    ClientRole,
    ClientWithSecret,
    ScopeOut,
    SecretRotation,
)
from gateway.identity.context import IdentityDep
from gateway.identity.dependencies import PageDep, SignedInDep
from gateway.identity.scopes import SCOPES

router = APIRouter(prefix="/auth", tags=["identity: machine clients"])

ClientId = Annotated[str, Path(pattern=r"^rn-[0-9a-f]{16}$", examples=["rn-3f9a1c2b7d4e5f60"])]
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the version the change is based on")
]
_AUTH = (
    Unauthorized,
    "`authentication_required`, `token_invalid`, `token_expired`, `token_revoked`",
)
_ADMIN = (Forbidden, "`role_forbidden`: only admins manage machine clients")
_NOT_FOUND = (NotFound, "`client_not_found`")


def _client_response(out: ClientOut, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version), "Cache-Control": "no-store"}
    if status_code == 201:
        headers["Location"] = f"/auth/clients/{out.client_id}"
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


@router.get("/scopes", summary="The scopes machine clients may hold", response_model=list[ScopeOut])
async def list_scopes() -> list[ScopeOut]:
    return [
        ScopeOut(name=s.name, description=s.description, roles=sorted(r.value for r in s.roles))
        for s in SCOPES.values()
    ]


@router.post(
    "/clients",
    status_code=201,
    summary="Create a machine client",
    description="Answers the client id and its first secret, shown this once. The client "
    "then calls `POST /auth/token` with `grant_type=client_credentials`.",
    response_model=ClientWithSecret,
    responses=problem_responses(
        _AUTH,
        _ADMIN,
        (
            Unprocessable,
            "`missing_binding`, `foreign_binding`, `unknown_scope`, `scope_not_allowed`, "
            "`invalid_scope`, `division_not_found`, `invalid_credit_code`",
        ),
        (ServiceUnavailable, "`stations_unreachable`"),
    ),
)
async def create_client(
    request: Request,
    body: ClientCreate,
    session: SessionDep,
    identity: IdentityDep,
    principal: SignedInDep,
) -> Response:
    client, secret, valid = await service.create_client(
        session, identity, principal, body, Origin.of(request, principal.subject)
    )
    out = service.client_out(client, valid)
    return _client_response(ClientWithSecret(**out.model_dump(), client_secret=secret), 201)


@router.get(
    "/clients",
    summary="List machine clients",
    response_model=Page[ClientOut],
    responses=problem_responses(_AUTH, _ADMIN, (BadRequest, "`invalid_cursor`")),
)
async def list_clients(
    request: Request,
    session: SessionDep,
    principal: SignedInDep,
    params: PageDep,
    role: ClientRole | None = None,
) -> Page[ClientOut]:
    rows = await service.list_clients(
        session, principal, params, None if role is None else role.value
    )
    page = rows[: params.limit]
    secrets = await service.valid_secrets(session, page)
    return Page(
        items=[service.client_out(c, secrets[c.client_id]) for c in page],
        next=next_link(request, rows, params, lambda c: [c.client_id]),
    )


@router.get(
    "/clients/{client_id}",
    summary="A machine client",
    response_model=ClientOut,
    responses=problem_responses(_AUTH, _ADMIN, _NOT_FOUND),
)
async def read_client(client_id: ClientId, session: SessionDep, principal: SignedInDep) -> Response:
    client = await service.read_client(session, principal, client_id)
    secrets = await service.valid_secrets(session, [client])
    return _client_response(service.client_out(client, secrets[client_id]))


@router.patch(
    "/clients/{client_id}",
    summary="Change, narrow or disable a machine client",
    description="Needs `If-Match`. Taking a scope away or disabling the client refuses its "
    "tokens at once.",
    response_model=ClientOut,
    responses=problem_responses(
        _AUTH,
        _ADMIN,
        _NOT_FOUND,
        (PreconditionFailed, "`stale_version`"),
        (PreconditionRequired, "`if_match_required`"),
        (Unprocessable, "`unknown_scope`, `scope_not_allowed`"),
    ),
)
async def update_client(
    request: Request,
    client_id: ClientId,
    body: ClientPatch,
    session: SessionDep,
    identity: IdentityDep,
    principal: SignedInDep,
    if_match: IfMatchHeader = None,
) -> Response:
    client = await service.update_client(
        session,
        identity,
        principal,
        client_id,
        body,
        if_match,
        Origin.of(request, principal.subject),
    )
    secrets = await service.valid_secrets(session, [client])
    return _client_response(service.client_out(client, secrets[client_id]))


@router.post(
    "/clients/{client_id}/secrets",
    status_code=201,
    summary="Rotate a client's secret",
    description="A new secret, shown this once; the secrets in use stay valid for "
    "`overlap_hours` (a week by default) so the company can switch without a gap.",
    response_model=ClientWithSecret,
    responses=problem_responses(_AUTH, _ADMIN, _NOT_FOUND),
)
async def rotate_secret(
    request: Request,
    client_id: ClientId,
    body: SecretRotation,
    session: SessionDep,
    identity: IdentityDep,
    principal: SignedInDep,
) -> Response:
    client, secret = await service.rotate_secret(
        session,
        identity,
        principal,
        client_id,
        body.overlap_hours,
        Origin.of(request, principal.subject),
    )
    secrets = await service.valid_secrets(session, [client])
    out = service.client_out(client, secrets[client_id])
    return _client_response(ClientWithSecret(**out.model_dump(), client_secret=secret), 201)


@router.delete(
    "/clients/{client_id}/secrets/{secret_id}",
    status_code=204,
    summary="Revoke a client secret now",
    description="For a secret that leaked: it stops at once, and so does every token the "
    "client holds (it asks again with a secret still valid).",
    responses=problem_responses(_AUTH, _ADMIN, _NOT_FOUND, (NotFound, "`secret_not_found`")),
)
async def revoke_secret(
    request: Request,
    client_id: ClientId,
    secret_id: Annotated[int, Path(ge=1, le=2**62)],
    session: SessionDep,
    identity: IdentityDep,
    principal: SignedInDep,
) -> Response:
    await service.revoke_secret(
        session, identity, principal, client_id, secret_id, Origin.of(request, principal.subject)
    )
    return Response(status_code=204)
