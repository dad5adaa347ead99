"""``/feeds/v1/subscriptions``: webhook subscriptions to the merged change feed, their
deliveries, secrets and pings; ``/feeds/v1/topics``: what may be subscribed to."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse

from common.auth import Principal, Role
from common.db import SessionDep
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.pagination import Page, next_link
from gateway.feeds.subscriptions import repository, service
from gateway.feeds.subscriptions.schemas import (
    EventDeliveryDetail,
    EventDeliveryOut,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionWithSecret,
    TopicName,
    TopicOut,
)
from gateway.feeds.topics import TOPICS
from gateway.identity.dependencies import PageDep, VerifiedDep
from gateway.identity.scopes import require_scope
from gateway.registry.context import RegistryDep
from gateway.reports.deliveries import access, secrets
from gateway.reports.deliveries import repository as deliveries
from gateway.reports.deliveries.models import Delivery
from gateway.reports.deliveries.routes import secret_rotation_route
from gateway.reports.deliveries.schemas import AttemptOut, DeliveryStatus
from gateway.reports.deliveries.secrets import Owner
from gateway.reports.targets.router import AUTH, IfMatchHeader

router = APIRouter(prefix="/feeds/v1", tags=["feeds: webhook subscriptions"])

SubscriptionId = Annotated[int, Path(ge=1, le=2**62, examples=[1])]
DeliveryId = Annotated[int, Path(ge=1, le=2**62, examples=[7])]
WHO = (
    Forbidden,
    "`role_forbidden` (platforms and admins manage subscriptions), `insufficient_scope` "
    "(a client without `webhooks:manage`), `outside_scope` (`division` outside yours)",
)
NOT_FOUND = (NotFound, "`subscription_not_found` (none, or not yours)")
_BAD = (
    Unprocessable,
    "`invalid_endpoint_url` (not http(s)), `endpoint_not_public` (loopback or private address, "
    "in production), `endpoint_unresolvable`, `unknown_topic`, `invalid_scope`, "
    "`national_only_topic` (a topic whose events name no division, for a division narrower "
    "than the nation)",
)
_FEED_DOWN = (
    ServiceUnavailable,
    "`feed_unavailable`: a feed it wants was never read and does not answer now; try again",
)
_IF_MATCH = (
    (PreconditionRequired, "`if_match_required`"),
    (PreconditionFailed, "`stale_version`"),
)


async def _manager(request: Request, verified: VerifiedDep) -> Principal:
    """A platform or an admin; a machine client also needs ``webhooks:manage`` to write."""
    service.require_manager(verified.principal)
    path = request.url.path.removeprefix("/feeds")
    require_scope(verified.scopes, "feeds", path, request.method)
    return verified.principal


ManagerDep = Annotated[Principal, Depends(_manager)]


def _now() -> datetime:
    return datetime.now(UTC)


def _response(out: SubscriptionOut, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag(out.version), "Cache-Control": "no-store"}
    if status_code == 201:
        headers["Location"] = f"/feeds/v1/subscriptions/{out.id}"
    return JSONResponse(out.model_dump(mode="json"), status_code=status_code, headers=headers)


async def _out(session: SessionDep, subscription_id: int, now: datetime) -> SubscriptionOut:
    subscription = await repository.get(session, subscription_id)
    assert subscription is not None
    signing = await secrets.valid(session, Owner.SUBSCRIPTION, [subscription_id], now)
    return service.subscription_out(subscription, signing)


@router.get(
    "/topics",
    summary="What a webhook subscription may take",
    description="Every topic of the merged feed, `<service>.<topic>`, with what its events "
    "are; topics whose events name no division reach national subscriptions only.",
    response_model=list[TopicOut],
)
async def list_topics() -> list[TopicOut]:
    return [
        TopicOut(
            name=t.name,
            service=t.service,
            description=t.description,
            description_zh=t.description_zh,
            national_only=not t.placed,
        )
        for t in TOPICS.values()
    ]


@router.post(
    "/subscriptions",
    status_code=201,
    summary="Subscribe a URL to events of your division",
    description="Events of `topics` about divisions under `division` (yours when left out) "
    "that happen from now on are POSTed to `endpoint_url` within about a minute, signed as "
    "Standard Webhooks (`webhook-id` = the event's `id`, the same on every retry), retried "
    "for more than a day; a 410 disables the subscription. Answers its first `whsec_` "
    "signing secret, shown this once. From now on means: events whose transaction in their "
    "service began after this request; none older, even if the feeds' reader has not run "
    "yet.",
    response_model=SubscriptionWithSecret,
    responses=problem_responses(AUTH, WHO, _BAD, _FEED_DOWN),
)
async def create_subscription(
    request: Request,
    body: SubscriptionCreate,
    session: SessionDep,
    principal: ManagerDep,
    registry: RegistryDep,
) -> Response:
    subscription, issued = await service.create(
        session, request.app.state.settings, principal, body, registry.upstream,
        request.state.request_id,
    )  # fmt: skip
    out = service.subscription_out(subscription, [issued.row])
    return _response(SubscriptionWithSecret(**out.model_dump(), signing_secret=issued.value), 201)


@router.get(
    "/subscriptions",
    summary="Your webhook subscriptions (an admin's: all)",
    response_model=Page[SubscriptionOut],
    responses=problem_responses(AUTH, WHO, (BadRequest, "`invalid_cursor`")),
)
async def list_subscriptions(
    request: Request, session: SessionDep, principal: ManagerDep, params: PageDep
) -> Page[SubscriptionOut]:
    owner = None if principal.role is Role.ADMIN else principal.subject
    rows = await repository.page(session, owner, params)
    shown = rows[: params.limit]
    signing = await secrets.valid(session, Owner.SUBSCRIPTION, [s.id for s in shown], _now())
    return Page(
        items=[
            service.subscription_out(s, [x for x in signing if x.subscription_id == s.id])
            for s in shown
        ],
        next=next_link(request, rows, params, lambda s: [s.id]),
    )


@router.get(
    "/subscriptions/{subscription_id}",
    summary="A webhook subscription, its state and alert",
    response_model=SubscriptionOut,
    responses=problem_responses(AUTH, WHO, NOT_FOUND),
)
async def get_subscription(
    subscription_id: SubscriptionId, session: SessionDep, principal: ManagerDep
) -> Response:
    await service.get(session, principal, subscription_id)
    return _response(await _out(session, subscription_id, _now()))


@router.patch(
    "/subscriptions/{subscription_id}",
    summary="Change a subscription; `status: active` re-enables it",
    response_model=SubscriptionOut,
    responses=problem_responses(AUTH, WHO, NOT_FOUND, _BAD, _FEED_DOWN, *_IF_MATCH),
)
async def patch_subscription(
    request: Request,
    subscription_id: SubscriptionId,
    body: SubscriptionPatch,
    session: SessionDep,
    principal: ManagerDep,
    registry: RegistryDep,
    if_match: IfMatchHeader = None,
) -> Response:
    now = _now()
    await service.patch(
        session, request.app.state.settings, principal, subscription_id, body, if_match, now,
        registry.upstream, request.state.request_id,
    )  # fmt: skip
    return _response(await _out(session, subscription_id, now))


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    summary="Delete a subscription (its deliveries stop)",
    responses=problem_responses(AUTH, WHO, NOT_FOUND, *_IF_MATCH),
)
async def delete_subscription(
    subscription_id: SubscriptionId,
    session: SessionDep,
    principal: ManagerDep,
    if_match: IfMatchHeader = None,
) -> Response:
    await service.delete(session, principal, subscription_id, if_match)
    return Response(status_code=204)


secret_rotation_route(
    router,
    path="/subscriptions/{subscription_id}/secrets",
    name="rotate_subscription_secret",
    id_parameter="subscription_id",
    principal=ManagerDep,
    rotate=service.rotate_secret,
    description="Answers a new `whsec_` secret, shown this once. For `overlap_hours` every "
    "delivery carries two signatures (old and new), so the receiver switches when it likes.",
    responses=problem_responses(AUTH, WHO, NOT_FOUND),
)


def _delivery_out(delivery: Delivery) -> EventDeliveryOut:
    return EventDeliveryOut.model_validate(delivery, from_attributes=True)


@router.post(
    "/subscriptions/{subscription_id}/ping",
    status_code=202,
    summary="Send a signed `ping` event now, to try the receiver",
    response_model=EventDeliveryOut,
    responses=problem_responses(AUTH, WHO, NOT_FOUND, (Conflict, "`subscription_disabled`")),
)
async def ping_subscription(
    subscription_id: SubscriptionId, session: SessionDep, principal: ManagerDep
) -> EventDeliveryOut:
    return _delivery_out(await service.ping(session, principal, subscription_id, _now()))


async def _delivery(
    session: SessionDep, principal: Principal, subscription_id: int, delivery_id: int
) -> Delivery:
    """One delivery of this subscription; one of another subscription of the caller's is
    422 naming ``delivery_id``, and one the caller may not see is 404."""
    await service.get(session, principal, subscription_id)
    delivery = await access.lock_delivery(session, delivery_id)
    if delivery.subscription_id != subscription_id and principal.role is not Role.ADMIN:
        theirs = None
        if delivery.subscription_id is not None:
            theirs = await repository.get(session, delivery.subscription_id)
        if theirs is None or theirs.owner != principal.subject:
            raise access.delivery_not_found(delivery_id)
    return access.require_owned(Owner.SUBSCRIPTION, subscription_id, delivery)


_DELIVERY_NOT_FOUND = (NotFound, "`subscription_not_found`, `delivery_not_found`")
_OF_ANOTHER = (Unprocessable, "`delivery_of_another_subscription` (`delivery_id`)")


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    summary="Deliveries to a subscription, by state and topic",
    response_model=Page[EventDeliveryOut],
    responses=problem_responses(AUTH, WHO, NOT_FOUND, (BadRequest, "`invalid_cursor`")),
)
async def list_subscription_deliveries(
    request: Request,
    subscription_id: SubscriptionId,
    session: SessionDep,
    principal: ManagerDep,
    params: PageDep,
    status: DeliveryStatus | None = None,
    event_type: TopicName | None = None,
) -> Page[EventDeliveryOut]:
    await service.get(session, principal, subscription_id)
    rows = await deliveries.page(
        session,
        Owner.SUBSCRIPTION,
        subscription_id,
        params,
        None if status is None else status.value,
        event_type=event_type,
    )
    return Page(
        items=[_delivery_out(d) for d in rows[: params.limit]],
        next=next_link(request, rows, params, lambda d: [d.id]),
    )


@router.get(
    "/subscriptions/{subscription_id}/deliveries/{delivery_id}",
    summary="A delivery with every attempt and the receipt",
    response_model=EventDeliveryDetail,
    responses=problem_responses(AUTH, WHO, _DELIVERY_NOT_FOUND, _OF_ANOTHER),
)
async def get_subscription_delivery(
    subscription_id: SubscriptionId,
    delivery_id: DeliveryId,
    session: SessionDep,
    principal: ManagerDep,
) -> EventDeliveryDetail:
    delivery = await _delivery(session, principal, subscription_id, delivery_id)
    attempts = await deliveries.attempts_of(session, delivery.id)
    return EventDeliveryDetail(
        **_delivery_out(delivery).model_dump(),
        attempt_log=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts],
    )


@router.post(
    "/subscriptions/{subscription_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    summary="Deliver again (same webhook-id, a fresh retry schedule)",
    response_model=EventDeliveryOut,
    responses=problem_responses(
        AUTH,
        WHO,
        _DELIVERY_NOT_FOUND,
        _OF_ANOTHER,
        (Conflict, "`delivery_pending` (still being delivered), `subscription_disabled`"),
    ),
)
async def replay_subscription_delivery(
    subscription_id: SubscriptionId,
    delivery_id: DeliveryId,
    session: SessionDep,
    principal: ManagerDep,
) -> EventDeliveryOut:
    delivery = await _delivery(session, principal, subscription_id, delivery_id)
    subscription = await service.get(session, principal, subscription_id)
    await access.replay(session, Owner.SUBSCRIPTION, subscription, delivery, _now())
    return _delivery_out(delivery)
