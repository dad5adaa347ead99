"""Delivery targets: created and changed by admins, with their signing secrets."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.authz import require_role
from common.errors import NotFound
from common.etag import check_if_match
from gateway.reports.deliveries import repository as deliveries
from gateway.reports.deliveries import secrets
from gateway.reports.deliveries.models import SigningSecret
from gateway.reports.deliveries.secrets import Issued, Owner
from gateway.reports.targets import repository
from gateway.reports.targets.addresses import require_public
from gateway.reports.targets.models import DeliveryTarget
from gateway.reports.targets.schedule import next_run
from gateway.reports.targets.schemas import (
    Schedule,
    TargetCreate,
    TargetOut,
    TargetPatch,
)
from gateway.settings import GatewaySettings


def require_admin(principal: Principal) -> None:
    require_role(principal, {Role.ADMIN}, doing="manage report targets", doing_zh="管理报送目标")


async def check_endpoint(url: str, settings: GatewaySettings) -> None:
    if settings.environment == "production":
        await require_public(url)


def target_out(target: DeliveryTarget, signing: Sequence[SigningSecret]) -> TargetOut:
    return TargetOut(
        id=target.id,
        name=target.name,
        kind=target.kind,  # type: ignore[arg-type]
        endpoint_url=target.endpoint_url,
        division=target.division,
        document_types=target.document_types,
        periods=target.periods,
        schedule=Schedule(
            day=target.schedule_day, time=target.schedule_time, timezone=target.schedule_timezone
        ),
        next_run_at=target.next_run_at,
        status=target.status,  # type: ignore[arg-type]
        disabled_reason=target.disabled_reason,
        alert=target.alert,
        alert_at=target.alert_at,
        secrets=secrets.shown(signing),
        version=target.version,
        created_at=target.created_at,
    )


async def create(
    session: AsyncSession,
    settings: GatewaySettings,
    principal: Principal,
    body: TargetCreate,
    now: datetime,
) -> tuple[DeliveryTarget, Issued]:
    require_admin(principal)
    await check_endpoint(body.endpoint_url, settings)
    target = DeliveryTarget(
        name=body.name,
        kind=body.kind.value,
        endpoint_url=body.endpoint_url,
        division=body.division,
        document_types=body.document_types,
        periods=body.periods,
        schedule_day=body.schedule.day,
        schedule_time=body.schedule.time,
        schedule_timezone=body.schedule.timezone,
        next_run_at=next_run(body.schedule.day, body.schedule.time, body.schedule.timezone, now),
        status="active",
        version=1,
        created_by=principal.subject,
        created_at=now,
        updated_at=now,
    )
    session.add(target)
    await session.flush()
    issued = secrets.add(
        session, settings.field_cipher(), Owner.TARGET, target.id, principal.subject, now
    )
    await session.flush()
    return target, issued


async def get(session: AsyncSession, target_id: int, *, lock: bool = False) -> DeliveryTarget:
    target = await repository.get(session, target_id, lock=lock)
    if target is None:
        raise NotFound(
            f"no report target {target_id}",
            detail_zh=f"报送目标 {target_id} 不存在",
            code="target_not_found",
        )
    return target


async def patch(
    session: AsyncSession,
    settings: GatewaySettings,
    principal: Principal,
    target_id: int,
    body: TargetPatch,
    if_match: str | None,
    now: datetime,
) -> tuple[DeliveryTarget, list[int]]:
    """Returns the target and the paused deliveries that re-enabling it resumed."""
    require_admin(principal)
    target = await get(session, target_id, lock=True)
    check_if_match(if_match, target.version)
    changes = body.model_dump(exclude_unset=True)
    if "endpoint_url" in changes and body.endpoint_url is not None:
        await check_endpoint(body.endpoint_url, settings)
        target.endpoint_url = body.endpoint_url
    for name in ("name", "division", "document_types", "periods"):
        if changes.get(name) is not None:
            setattr(target, name, getattr(body, name))
    if body.schedule is not None:
        target.schedule_day = body.schedule.day
        target.schedule_time = body.schedule.time
        target.schedule_timezone = body.schedule.timezone
        target.next_run_at = next_run(
            body.schedule.day, body.schedule.time, body.schedule.timezone, now
        )
    resumed: list[int] = []
    if body.status is not None and body.status.value != target.status:
        target.status = body.status.value
        if body.status.value == "active":
            target.disabled_reason = None
            target.alert = None
            target.alert_at = None
            resumed = await deliveries.resume_paused(session, Owner.TARGET, target.id, now)
        else:
            target.disabled_reason = "admin"
    target.version += 1
    target.updated_at = now
    await session.flush()
    return target, resumed


async def rotate_secret(
    session: AsyncSession,
    settings: GatewaySettings,
    principal: Principal,
    target_id: int,
    overlap: timedelta,
    now: datetime,
) -> Issued:
    """A new secret; those still valid keep signing beside it for ``overlap`` at most."""
    require_admin(principal)
    target = await get(session, target_id, lock=True)
    return await secrets.rotate(
        session, settings.field_cipher(), Owner.TARGET, target, principal.subject, overlap, now
    )
