"""Machine clients: created and changed by admins, authenticated by client id and secret
(RFC 6749 §2.3.1: HTTP Basic, or the form's ``client_id`` and ``client_secret``), issued
access tokens only (no refresh tokens, §4.4.3). Rotation keeps the secrets in use valid for
an overlap, so a company can deploy the new one before the old one stops working.
"""

import re
import secrets as random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import NATION, Principal, Role
from common.authz import require_role
from common.errors import NotFound, Unprocessable
from common.etag import check_if_match
from common.pagination import PageParams, cursor_key
from gateway.identity import errors
from gateway.identity.audit.service import Origin, record, record_apart
from gateway.identity.clients import repository
from gateway.identity.clients.models import Client, ClientSecret
from gateway.identity.clients.schemas import (
    ClientCreate,
    ClientOut,
    ClientPatch,
    ClientRole,
    SecretOut,
)
from gateway.identity.context import Identity
from gateway.identity.scopes import SCOPES
from gateway.identity.sessions.schemas import TokenResponse
from gateway.identity.stations import check_division
from gateway.identity.tokens import digest, mint_access_token, new_secret, record_revocation
from gateway.identity.users.models import UserStatus

_BINDING = {
    ClientRole.CARRIER: "carrier",
    ClientRole.PLATFORM: "division",
    ClientRole.ORGANISER: "organiser",
}


_CLIENT_ID = re.compile(r"rn-[0-9a-f]{16}")


def now_utc() -> datetime:
    return datetime.now(UTC)


def require_admin(principal: Principal) -> None:
    require_role(principal, {Role.ADMIN}, doing="manage machine clients", doing_zh="管理接入客户端")


def client_principal(client: Client) -> Principal:
    return Principal(
        subject=f"client:{client.client_id}",
        role=Role(client.role),
        division=client.division,
        carrier=client.carrier,
        organiser=client.organiser,
    )


def _check_scopes(role: str, scopes: Sequence[str]) -> None:
    for index, name in enumerate(scopes):
        scope = SCOPES.get(name)
        if scope is None:
            raise Unprocessable(
                f"unknown scope {name!r}; one of {', '.join(SCOPES)}",
                detail_zh=f"未知的权限范围 {name!r}",
                code="unknown_scope",
                field=f"scopes[{index}]",
            )
        if Role(role) not in scope.roles:
            raise Unprocessable(
                f"a {role} client cannot hold {name}",
                detail_zh=f"{role} 类客户端不能拥有权限范围 {name}",
                code="scope_not_allowed",
                field=f"scopes[{index}]",
            )


def client_out(client: Client, valid: Sequence[ClientSecret]) -> ClientOut:
    return ClientOut(
        client_id=client.client_id,
        name=client.name,
        role=ClientRole(client.role),
        carrier=client.carrier,
        division=client.division,
        organiser=client.organiser,
        scopes=sorted(client.scopes),
        status=UserStatus(client.status),
        secrets=[SecretOut.model_validate(s, from_attributes=True) for s in valid],
        created_by=client.created_by,
        created_at=client.created_at,
        updated_at=client.updated_at,
        version=client.version,
    )


async def _add_secret(
    session: AsyncSession, client_id: str, created_by: str
) -> tuple[str, ClientSecret]:
    secret = new_secret("cs_")
    row = ClientSecret(
        client_id=client_id, secret_hash=digest(secret), hint=secret[:7], created_by=created_by
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return secret, row


async def create_client(
    session: AsyncSession,
    identity: Identity,
    principal: Principal,
    body: ClientCreate,
    origin: Origin,
) -> tuple[Client, str, list[ClientSecret]]:
    require_admin(principal)
    binding = _BINDING[body.role]
    for name in _BINDING.values():
        value = getattr(body, name)
        if name == binding and value is None:
            raise Unprocessable(
                f"a {body.role} client needs {name}",
                detail_zh=f"{body.role} 类客户端必须填写 {name}",
                code="missing_binding",
                field=name,
            )
        if name != binding and value is not None:
            raise Unprocessable(
                f"a {body.role} client has no {name}",
                detail_zh=f"{body.role} 类客户端不应填写 {name}",
                code="foreign_binding",
                field=name,
            )
    _check_scopes(body.role, body.scopes)
    if body.division is not None and body.division != NATION:
        await check_division(identity.stations, body.division)
    client = Client(
        client_id="rn-" + random.token_hex(8),
        name=body.name,
        role=body.role.value,
        carrier=body.carrier,
        division=body.division,
        organiser=body.organiser,
        scopes=sorted(body.scopes),
        created_by=principal.subject,
    )
    session.add(client)
    await session.flush()
    await session.refresh(client)
    secret, row = await _add_secret(session, client.client_id, principal.subject)
    record(
        session,
        origin,
        "client_created",
        target=f"client:{client.client_id}",
        division=client.division if client.division != NATION else None,
        role=client.role,
        scopes=client.scopes,
    )
    return client, secret, [row]


async def read_client(
    session: AsyncSession, principal: Principal, client_id: str, *, for_update: bool = False
) -> Client:
    require_admin(principal)
    client = await repository.by_id(session, client_id, for_update=for_update)
    if client is None:
        raise NotFound(
            f"no client {client_id!r}",
            detail_zh=f"没有客户端 {client_id!r}",
            code="client_not_found",
        )
    return client


async def valid_secrets(
    session: AsyncSession, clients: Sequence[Client]
) -> dict[str, list[ClientSecret]]:
    found: dict[str, list[ClientSecret]] = {c.client_id: [] for c in clients}
    for row in await repository.valid_secrets(session, list(found), now_utc()):
        found[row.client_id].append(row)
    return found


async def list_clients(
    session: AsyncSession, principal: Principal, params: PageParams, role: str | None
) -> Sequence[Client]:
    require_admin(principal)
    return await repository.list_clients(
        session, after=cursor_key(params, str), limit=params.limit, role=role
    )


async def _revoke_tokens(session: AsyncSession, identity: Identity, client: Client) -> None:
    client.generation += 1
    await record_revocation(
        session,
        identity.revocations,
        f"client:{client.client_id}",
        client.generation,
        identity.settings.client_token_ttl_seconds,
    )


async def update_client(
    session: AsyncSession,
    identity: Identity,
    principal: Principal,
    client_id: str,
    body: ClientPatch,
    if_match: str | None,
    origin: Origin,
) -> Client:
    client = await read_client(session, principal, client_id, for_update=True)
    check_if_match(if_match, client.version)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    narrowed = False
    if "scopes" in changes:
        _check_scopes(client.role, changes["scopes"])
        narrowed = not set(client.scopes) <= set(changes["scopes"])
        client.scopes = sorted(changes["scopes"])
    if "name" in changes:
        client.name = changes["name"]
    if "status" in changes:
        narrowed = narrowed or (
            changes["status"] == UserStatus.DISABLED and client.status != UserStatus.DISABLED
        )
        client.status = changes["status"].value
    if narrowed:
        # Tokens granted under the old scopes, or to a client now disabled, stop at once.
        await _revoke_tokens(session, identity, client)
    client.version += 1
    client.updated_at = now_utc()
    await session.flush()
    record(
        session,
        origin,
        "client_updated",
        target=f"client:{client.client_id}",
        changed=sorted(changes),
        tokens_revoked=narrowed,
    )
    return client


async def rotate_secret(
    session: AsyncSession,
    identity: Identity,
    principal: Principal,
    client_id: str,
    overlap_hours: int,
    origin: Origin,
) -> tuple[Client, str]:
    client = await read_client(session, principal, client_id, for_update=True)
    now = now_utc()
    await repository.expire_current_secrets(
        session, client_id, now, now + timedelta(hours=overlap_hours)
    )
    secret, row = await _add_secret(session, client_id, principal.subject)
    record(
        session,
        origin,
        "client_secret_created",
        target=f"client:{client_id}",
        secret=row.hint,
        overlap_hours=overlap_hours,
    )
    return client, secret


async def revoke_secret(
    session: AsyncSession,
    identity: Identity,
    principal: Principal,
    client_id: str,
    secret_id: int,
    origin: Origin,
) -> None:
    client = await read_client(session, principal, client_id, for_update=True)
    rows = [
        s
        for s in await repository.valid_secrets(session, [client_id], now_utc())
        if s.id == secret_id
    ]
    if not rows:
        raise NotFound(
            f"client {client_id} has no valid secret {secret_id}",
            detail_zh=f"客户端 {client_id} 没有有效的密钥 {secret_id}",
            code="secret_not_found",
        )
    rows[0].revoked_at = now_utc()
    # A secret revoked because it leaked: tokens got with it must stop too. Tokens do not
    # say which secret got them, so every token of the client ends; it asks again.
    await _revoke_tokens(session, identity, client)
    client.version += 1
    await session.flush()
    record(
        session, origin, "client_secret_revoked", target=f"client:{client_id}", secret=rows[0].hint
    )


async def client_credentials_grant(
    session: AsyncSession,
    identity: Identity,
    client_id: str,
    client_secret: str,
    scope: str | None,
    origin: Origin,
    *,
    basic: bool,
) -> TokenResponse:
    now = now_utc()
    if not _CLIENT_ID.fullmatch(client_id):
        # Not an id we hand out (rn- and 16 hex digits): nothing to look up, nothing to log
        # verbatim (it may hold anything, NUL included).
        await record_apart(identity.apart, origin, "client_auth_failed", reason="malformed_id")
        raise errors.invalid_client(basic=basic)
    found = await repository.secret_by_hash(session, digest(client_secret))
    valid = (
        found is not None
        and found.client_id == client_id
        and found.revoked_at is None
        and (found.expires_at is None or found.expires_at > now)
    )
    client = await repository.by_id(session, client_id) if valid else None
    if client is None:
        await record_apart(
            identity.apart,
            origin,
            "client_auth_failed",
            target=f"client:{client_id}",
        )
        raise errors.invalid_client(basic=basic)
    if client.status != UserStatus.ACTIVE:
        await record_apart(
            identity.apart,
            origin,
            "client_auth_failed",
            target=f"client:{client_id}",
            reason="client_disabled",
        )
        raise errors.invalid_client("client_disabled", basic=basic)
    held = set(client.scopes)
    wanted = set(scope.split()) if scope and scope.strip() else held
    if not wanted <= held:
        missing = " ".join(sorted(wanted - held))
        raise errors.oauth(
            errors.BadRequest,
            "invalid_scope",
            f"this client does not hold the scope {missing}",
            f"该客户端没有权限范围 {missing}",
            "scope_not_granted",
            field="scope",
        )
    granted = frozenset(wanted)
    ttl = identity.settings.client_token_ttl_seconds
    token = mint_access_token(
        client_principal(client),
        secret=identity.jwt_secret,
        ttl_seconds=ttl,
        generation=client.generation,
        scopes=granted,
        client_id=client.client_id,
        now=now.timestamp(),
    )
    client_origin = Origin(f"client:{client.client_id}", origin.address, origin.request_id)
    record(
        session,
        client_origin,
        "client_token_issued",
        target=f"client:{client.client_id}",
        scopes=sorted(granted),
    )
    return TokenResponse(access_token=token, expires_in=ttl, scope=" ".join(sorted(granted)))
