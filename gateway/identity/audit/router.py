"""``/auth/audit``: the identity audit log, for admins and for officials over their subtree."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from common.db import SessionDep
from common.errors import BadRequest, Forbidden, problem_responses
from common.pagination import Page, next_link
from gateway.identity.audit import service
from gateway.identity.audit.schemas import AuditEventOut
from gateway.identity.dependencies import PageDep, SignedInDep

router = APIRouter(prefix="/auth/audit", tags=["identity: audit"])
Filter = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


@router.get(
    "",
    summary="The audit log",
    description="Sign-ins, failures, lockouts, revocations, user and client changes: who, "
    "when, from where. Newest first. Admins read every event, officials the events about "
    "accounts in their subtree.",
    responses=problem_responses(
        (BadRequest, "`invalid_cursor`"),
        (Forbidden, "`role_forbidden`: only admins and officials read the audit log"),
    ),
)
async def list_audit_events(
    request: Request,
    session: SessionDep,
    principal: SignedInDep,
    params: PageDep,
    event: Filter = None,
    target: Filter = None,
    actor: Filter = None,
) -> Page[AuditEventOut]:
    rows = await service.list_events(
        session, principal, params, event=event, target=target, actor=actor
    )
    return Page(
        items=[
            AuditEventOut.model_validate(row, from_attributes=True) for row in rows[: params.limit]
        ],
        next=next_link(request, rows, params, lambda row: [row.id]),
    )
