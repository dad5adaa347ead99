"""Recording and reading the audit log.

Events about a refusal (a wrong password, a reused refresh token) are written in a
transaction of their own (:func:`record_apart`): the request that caused them fails, and its
own transaction is rolled back with it. Everything else is written in the request's
transaction, so an event exists exactly when its change does.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.auth import NATION, Principal, Role
from common.authz import require_role
from common.pagination import PageParams, cursor_key
from gateway.identity.audit import repository
from gateway.identity.audit.models import AuditEvent


@dataclass(frozen=True)
class Origin:
    """Who acts and from where."""

    actor: str
    address: str | None
    request_id: str | None

    @classmethod
    def of(cls, request: Request, actor: str = "anonymous") -> "Origin":
        return cls(
            actor=actor,
            address=request.client.host if request.client else None,
            request_id=getattr(request.state, "request_id", None),
        )


def record(
    session: AsyncSession,
    origin: Origin,
    event: str,
    *,
    target: str | None = None,
    division: str | None = None,
    **detail: Any,
) -> None:
    repository.add(
        session,
        event=event,
        actor=origin.actor,
        target=target,
        division=division,
        address=origin.address,
        request_id=origin.request_id,
        detail=detail,
    )


async def record_apart(
    sessionmaker: async_sessionmaker[AsyncSession],
    origin: Origin,
    event: str,
    *,
    target: str | None = None,
    division: str | None = None,
    **detail: Any,
) -> None:
    async with sessionmaker() as session, session.begin():
        record(session, origin, event, target=target, division=division, **detail)


def readable_within(principal: Principal) -> str | None:
    """The subtree whose events ``principal`` may read (None: all); 403 for other roles."""
    require_role(
        principal, {Role.ADMIN, Role.OFFICIAL}, doing="read the audit log", doing_zh="查看审计日志"
    )
    if principal.role is Role.ADMIN or principal.division == NATION:
        return None
    return principal.division


async def list_events(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    event: str | None,
    target: str | None,
    actor: str | None,
) -> Sequence[AuditEvent]:
    within = readable_within(principal)
    return await repository.list_events(
        session,
        within=within,
        event=event,
        target=target,
        actor=actor,
        before_id=cursor_key(params, int),
        limit=params.limit,
    )
