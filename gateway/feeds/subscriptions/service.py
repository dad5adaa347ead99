"""Webhook subscriptions: made and managed by provincial platforms (their machine clients)
inside their own division scope, and by admins anywhere; each sees only its own."""

import json
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import NATION, Principal, Role
from common.authz import require_role
from common.errors import Conflict, Forbidden, NotFound
from common.etag import check_if_match
from gateway.feeds.subscriptions import follower, repository
from gateway.feeds.subscriptions.models import WebhookSubscription
from gateway.feeds.subscriptions.schemas import (
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionPatch,
)
from gateway.feeds.topics import PING, require_placed
from gateway.registry.upstream import Upstream
from gateway.reports.deliveries import access, secrets
from gateway.reports.deliveries import repository as deliveries
from gateway.reports.deliveries import service as delivery
from gateway.reports.deliveries.models import Delivery, SigningSecret
from gateway.reports.deliveries.secrets import Issued, Owner
from gateway.reports.targets.service import check_endpoint
from gateway.settings import GatewaySettings

MANAGERS = frozenset({Role.PLATFORM, Role.ADMIN})
_CLIENT = "client:"


def require_manager(principal: Principal) -> None:
    require_role(
        principal, MANAGERS, doing="manage webhook subscriptions", doing_zh="管理 Webhook 订阅"
    )


def require_inside(principal: Principal, division: str) -> None:
    """403 ``outside_scope`` on ``division`` for a subtree the caller's scope does not hold."""
    if principal.national:
        return
    if division == NATION or not division.startswith(principal.division or "-"):
        raise Forbidden(
            f"division {division} is outside your scope {principal.division}",
            detail_zh=f"区划 {division} 不在您的范围 {principal.division} 内",
            code="outside_scope",
            field="division",
        )


def subscription_out(
    subscription: WebhookSubscription, signing: list[SigningSecret]
) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id,
        description=subscription.description,
        endpoint_url=subscription.endpoint_url,
        division=subscription.division,
        topics=subscription.topics,
        status=subscription.status,  # type: ignore[arg-type]
        disabled_reason=subscription.disabled_reason,
        alert=subscription.alert,
        alert_at=subscription.alert_at,
        secrets=secrets.shown(signing),
        owner=subscription.owner,
        version=subscription.version,
        created_at=subscription.created_at,
        updated_at=subscription.updated_at,
    )


async def get(
    session: AsyncSession, principal: Principal, subscription_id: int, *, lock: bool = False
) -> WebhookSubscription:
    """The caller's subscription (an admin's: any); another's is 404, as if none."""
    require_manager(principal)
    subscription = await repository.get(session, subscription_id, lock=lock)
    if subscription is None or (
        principal.role is not Role.ADMIN and subscription.owner != principal.subject
    ):
        raise NotFound(
            f"no webhook subscription {subscription_id}",
            detail_zh=f"Webhook 订阅 {subscription_id} 不存在",
            code="subscription_not_found",
        )
    return subscription


async def create(
    session: AsyncSession,
    settings: GatewaySettings,
    principal: Principal,
    body: SubscriptionCreate,
    upstream: Upstream,
    request_id: str,
) -> tuple[WebhookSubscription, Issued]:
    """Made now: it takes the events that happen from now on (``start_from_now``)."""
    require_manager(principal)
    division = body.division or principal.division or NATION
    require_inside(principal, division)
    require_placed(body.topics, division, field="topics.{n}", location="body")
    await check_endpoint(body.endpoint_url, settings)
    now = await follower.start_from_now(session, upstream, request_id, body.topics)
    subscription = WebhookSubscription(
        owner=principal.subject,
        owner_client=principal.subject.removeprefix(_CLIENT)
        if principal.subject.startswith(_CLIENT)
        else None,
        description=body.description,
        endpoint_url=body.endpoint_url,
        division=division,
        topics=sorted(body.topics),
        status="active",
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    await session.flush()
    issued = secrets.add(
        session, settings.field_cipher(), Owner.SUBSCRIPTION, subscription.id,
        principal.subject, now,
    )  # fmt: skip
    await session.flush()
    return subscription, issued


async def patch(
    session: AsyncSession,
    settings: GatewaySettings,
    principal: Principal,
    subscription_id: int,
    body: SubscriptionPatch,
    if_match: str | None,
    now: datetime,
    upstream: Upstream,
    request_id: str,
) -> WebhookSubscription:
    subscription = await get(session, principal, subscription_id, lock=True)
    check_if_match(if_match, subscription.version)
    if body.topics is not None or body.status is not None:
        # New topics (or events again) from now on, and the reader sees the change.
        await follower.start_from_now(session, upstream, request_id, body.topics or [])
    if body.division is not None:
        require_inside(principal, body.division)
        subscription.division = body.division
    if body.endpoint_url is not None:
        await check_endpoint(body.endpoint_url, settings)
        subscription.endpoint_url = body.endpoint_url
    if body.topics is not None:
        subscription.topics = sorted(body.topics)
    if body.topics is not None or body.division is not None:
        field = "topics.{n}" if body.topics is not None else "division"
        require_placed(body.topics or subscription.topics, subscription.division, field=field,
                       location="body")  # fmt: skip
    if "description" in body.model_fields_set:
        subscription.description = body.description
    if body.status is not None and body.status.value != subscription.status:
        subscription.status = body.status.value
        if body.status.value == "active":
            subscription.disabled_reason = None
            subscription.alert = None
            subscription.alert_at = None
            resumed = await deliveries.resume_paused(
                session, Owner.SUBSCRIPTION, subscription.id, now
            )
            await delivery.queue_resumed(session, resumed)
        else:
            subscription.disabled_reason = "owner"
    subscription.version += 1
    subscription.updated_at = now
    await session.flush()
    return subscription


async def delete(
    session: AsyncSession, principal: Principal, subscription_id: int, if_match: str | None
) -> None:
    """Gone with its deliveries and secrets; an attempt under way finds nothing to settle."""
    subscription = await get(session, principal, subscription_id, lock=True)
    check_if_match(if_match, subscription.version)
    await session.delete(subscription)
    await session.flush()


async def rotate_secret(
    session: AsyncSession,
    settings: GatewaySettings,
    principal: Principal,
    subscription_id: int,
    overlap: timedelta,
    now: datetime,
) -> Issued:
    subscription = await get(session, principal, subscription_id, lock=True)
    return await secrets.rotate(
        session, settings.field_cipher(), Owner.SUBSCRIPTION, subscription, principal.subject,
        overlap, now,
    )  # fmt: skip


async def ping(
    session: AsyncSession, principal: Principal, subscription_id: int, now: datetime
) -> Delivery:
    """A ``ping`` event to this subscription alone, on the same signed, retried path."""
    subscription = await get(session, principal, subscription_id)
    if subscription.status != "active":
        raise Conflict(
            f"subscription {subscription.id} is disabled ({subscription.disabled_reason}); "
            "enable it first",
            detail_zh="订阅已停用,请先启用",
            code="subscription_disabled",
        )
    webhook_id = f"ping_{uuid.uuid4().hex}"
    body = json.dumps(
        {
            "id": webhook_id,
            "type": PING,
            "timestamp": now.isoformat(),
            "data": {"subscription_id": subscription.id},
        },
        separators=(",", ":"),
    ).encode()
    event = await repository.store_event(session, webhook_id, PING, None, now, body)
    (delivery_id,) = await deliveries.insert_event_deliveries(
        session, [subscription.id], event, now
    )
    await delivery.queue_first_attempts(session, [delivery_id])
    return await access.lock_delivery(session, delivery_id)
