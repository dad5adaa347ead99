"""``/reports/v1/targets/{id}/deliveries``: what was delivered where, every attempt, replay."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from common.db import SessionDep
from common.errors import BadRequest, Conflict, NotFound, Unprocessable, problem_responses
from common.pagination import Page, next_link
from gateway.identity.dependencies import PageDep, SignedInDep
from gateway.reports.deliveries import access, repository
from gateway.reports.deliveries.models import Delivery
from gateway.reports.deliveries.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    DeliveryStatus,
)
from gateway.reports.deliveries.secrets import Owner
from gateway.reports.targets import service as targets
from gateway.reports.targets.router import ADMIN, AUTH, NOT_FOUND, TargetId

router = APIRouter(prefix="/reports/v1", tags=["reports: deliveries"])

DeliveryId = Annotated[int, Path(ge=1, le=2**62, examples=[7])]
Period = Annotated[
    str | None,
    Query(pattern=r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$", examples=["2026-11"]),
]
_DELIVERY_NOT_FOUND = (NotFound, "`target_not_found`, `delivery_not_found`")


def _out(delivery: Delivery) -> DeliveryOut:
    return DeliveryOut.model_validate(delivery, from_attributes=True)


async def _delivery(session: SessionDep, target_id: int, delivery_id: int) -> Delivery:
    await targets.get(session, target_id)
    delivery = await access.lock_delivery(session, delivery_id)
    return access.require_owned(Owner.TARGET, target_id, delivery)


@router.get(
    "/targets/{target_id}/deliveries",
    summary="Deliveries to a target, by period and state",
    response_model=Page[DeliveryOut],
    responses=problem_responses(AUTH, ADMIN, NOT_FOUND, (BadRequest, "`invalid_cursor`")),
)
async def list_deliveries(
    request: Request,
    target_id: TargetId,
    session: SessionDep,
    principal: SignedInDep,
    params: PageDep,
    period: Period = None,
    status: DeliveryStatus | None = None,
) -> Page[DeliveryOut]:
    targets.require_admin(principal)
    await targets.get(session, target_id)
    rows = await repository.page(
        session,
        Owner.TARGET,
        target_id,
        params,
        None if status is None else status.value,
        period=period,
    )
    return Page(
        items=[_out(d) for d in rows[: params.limit]],
        next=next_link(request, rows, params, lambda d: [d.id]),
    )


@router.get(
    "/targets/{target_id}/deliveries/{delivery_id}",
    summary="A delivery with every attempt and the receipt",
    response_model=DeliveryDetail,
    responses=problem_responses(
        AUTH, ADMIN, _DELIVERY_NOT_FOUND, (Unprocessable, "`delivery_of_another_target`")
    ),
)
async def get_delivery(
    target_id: TargetId, delivery_id: DeliveryId, session: SessionDep, principal: SignedInDep
) -> DeliveryDetail:
    targets.require_admin(principal)
    delivery = await _delivery(session, target_id, delivery_id)
    attempts = await repository.attempts_of(session, delivery.id)
    return DeliveryDetail(
        **_out(delivery).model_dump(),
        attempt_log=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts],
    )


@router.post(
    "/targets/{target_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    summary="Deliver again (same webhook-id, a fresh retry schedule)",
    response_model=DeliveryOut,
    responses=problem_responses(
        AUTH,
        ADMIN,
        _DELIVERY_NOT_FOUND,
        (Unprocessable, "`delivery_of_another_target`"),
        (Conflict, "`delivery_pending` (still being delivered), `target_disabled`"),
    ),
)
async def replay_delivery(
    target_id: TargetId, delivery_id: DeliveryId, session: SessionDep, principal: SignedInDep
) -> DeliveryOut:
    targets.require_admin(principal)
    delivery = await _delivery(session, target_id, delivery_id)
    target = await targets.get(session, target_id)
    await access.replay(session, Owner.TARGET, target, delivery, datetime.now(UTC))
    return _out(delivery)
