"""Delivering what is owed — a document revision to a report target (ADR 0082), a feed event
to a webhook subscription (ADR 0084) — one signed POST per attempt, every attempt recorded,
retried on the schedule of ``policy``. Both kinds take this one path; only what is sent
(``_content``) and where (``repository.destination``) differ.

An attempt is committed as ``in_flight`` before the POST and settled after it, in two short
transactions (no row lock held while a remote server thinks). A worker killed in between
leaves the attempt in flight; the job runs again (pgqueuer's heartbeat), marks it
``interrupted`` and sends again with the same ``webhook-id``, so the receiver, deduplicating
by it, takes the revision once.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from common.fieldcrypt import FieldCipher
from gateway.feeds.subscriptions.models import WebhookSubscription
from gateway.jobs import JobContext, enqueue
from gateway.reports.deliveries import policy, repository, secrets
from gateway.reports.deliveries.models import Attempt, Delivery
from gateway.reports.deliveries.policy import Outcome
from gateway.reports.deliveries.secrets import Owner
from gateway.reports.deliveries.signing import signed_headers
from gateway.reports.targets.models import DeliveryTarget
from gateway.reports.targets.schedule import period_kind

DELIVER = "reports.deliver"
EXCERPT = 1024
RECEIPT = 64 * 1024

log = structlog.get_logger("gateway.reports.deliveries")


async def schedule_attempt(
    session: AsyncSession, delivery: Delivery, wait: timedelta | None = None
) -> None:
    """Queue the delivery's next attempt (one job per attempt number: a job re-run by a
    restarted worker cannot queue the same attempt twice)."""
    await enqueue(
        session,
        DELIVER,
        {"delivery_id": delivery.id},
        delay=wait,
        dedupe_key=f"delivery:{delivery.id}:{delivery.attempts + 1}",
    )


async def revision_ready(session: AsyncSession, revision_id: int, now: datetime) -> list[int]:
    """A delivery for each active target that takes this revision and lacks it, queued."""
    revision = await repository.revision(session, revision_id)
    if revision is None:
        return []
    kind = period_kind(revision.period)
    if kind is None:
        return []
    matching = await repository.matching_targets(
        session, revision.document_type, revision.division, kind
    )
    ids = await repository.insert_deliveries(session, matching, revision, now)
    await queue_first_attempts(session, ids)
    return ids


async def queue_first_attempts(session: AsyncSession, delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        await enqueue(
            session, DELIVER, {"delivery_id": delivery_id}, dedupe_key=f"delivery:{delivery_id}:1"
        )


@dataclass(frozen=True)
class Send:
    """What one attempt sends, read in the transaction that started it."""

    delivery_id: int
    number: int
    url: str
    webhook_id: str
    body: bytes
    headers: dict[str, str]
    secrets: list[str]


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    excerpt: str
    receipt: str | None
    latency_ms: int
    retry_after: str | None


async def attempt(ctx: JobContext, delivery_id: int) -> None:
    """The job: one attempt of one delivery, if it is due."""
    async with ctx.session() as session:
        send = await _start(session, delivery_id, ctx.clock(), ctx.settings.field_cipher())
    if send is None:
        return
    answer = await _post(ctx.http, send)
    async with ctx.session() as session:
        await _settle(session, send, answer, ctx.clock())


async def queue_resumed(session: AsyncSession, delivery_ids: list[int]) -> None:
    """Deliveries paused while their destination was disabled, due again."""
    for delivery_id in delivery_ids:
        await enqueue(session, DELIVER, {"delivery_id": delivery_id})


Destination = DeliveryTarget | WebhookSubscription


def owner_of(delivery: Delivery) -> tuple[Owner, int]:
    if delivery.subscription_id is not None:
        return Owner.SUBSCRIPTION, delivery.subscription_id
    assert delivery.target_id is not None
    return Owner.TARGET, delivery.target_id


def _kind(destination: Destination) -> str:
    return "subscription" if isinstance(destination, WebhookSubscription) else "target"


async def _content(
    session: AsyncSession, delivery: Delivery
) -> tuple[bytes, dict[str, str]] | None:
    """The body and the unsigned convenience headers: a revision's bytes as the documents'
    side stored them, or the event's as the feed's reader stored it."""
    common = {"content-type": "application/json", "user-agent": "ruralnet-gateway"}
    if delivery.event_id is not None:
        event = await repository.event(session, delivery.event_id)
        if event is None:
            return None
        headers = {**common, "ruralnet-event-type": event.event_type}
        if event.division:
            headers["ruralnet-division"] = event.division
        return event.body, headers
    assert delivery.revision_id is not None
    revision = await repository.revision(session, delivery.revision_id)
    if revision is None:
        return None
    return revision.body, {
        **common,
        "ruralnet-document-type": revision.document_type,
        "ruralnet-document-version": revision.document_version,
        "ruralnet-division": revision.division,
        "ruralnet-period": revision.period,
        "ruralnet-content-hash": revision.content_hash,
    }


async def _start(
    session: AsyncSession, delivery_id: int, now: datetime, cipher: FieldCipher
) -> Send | None:
    delivery = await repository.lock(session, delivery_id)
    if delivery is None or delivery.status != "pending":
        return None
    destination = await repository.destination(session, delivery)
    if destination is None:
        return None
    if destination.status != "active":
        delivery.next_attempt_at = None  # paused until it is enabled again
        return None
    if delivery.next_attempt_at is None:
        return None
    if delivery.next_attempt_at > now:
        await schedule_attempt(session, delivery, delivery.next_attempt_at - now)
        return None
    content = await _content(session, delivery)
    owner, owner_id = owner_of(delivery)
    signing = secrets.opened(await secrets.valid(session, owner, [owner_id], now), cipher)
    await repository.interrupt_in_flight(session, delivery.id)
    delivery.attempts += 1
    session.add(
        Attempt(
            delivery_id=delivery.id, number=delivery.attempts, started_at=now, outcome="in_flight"
        )
    )
    if content is None or not signing:
        # Nothing to send or nothing to sign with: recorded, and an admin must act.
        return Send(
            delivery.id, delivery.attempts, destination.endpoint_url, delivery.webhook_id, b"",
            {}, [],
        )  # fmt: skip
    body, headers = content
    return Send(
        delivery_id=delivery.id,
        number=delivery.attempts,
        url=destination.endpoint_url,
        webhook_id=delivery.webhook_id,
        body=body,
        headers=headers,
        secrets=signing,
    )


async def _post(http: httpx.AsyncClient, send: Send) -> Answer:
    if not send.secrets:
        return Answer(None, "nothing to send or no valid signing secret", None, 0, None)
    # Signed at the moment of sending with the wall clock: receivers check the timestamp
    # against theirs (±5 min), whatever clock schedules the attempts.
    headers = {
        **send.headers,
        **signed_headers(send.webhook_id, send.body, send.secrets, datetime.now(UTC)),
    }
    started = time.monotonic()
    try:
        response = await http.post(send.url, content=send.body, headers=headers)
    except httpx.TimeoutException as e:
        return Answer(None, f"timeout: {type(e).__name__}", None, _ms(started), None)
    except httpx.HTTPError as e:
        return Answer(None, f"{type(e).__name__}: {e}"[:EXCERPT], None, _ms(started), None)
    text = response.text
    return Answer(
        status_code=response.status_code,
        excerpt=text[:EXCERPT],
        receipt=text[:RECEIPT],
        latency_ms=_ms(started),
        retry_after=response.headers.get("retry-after"),
    )


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


async def _settle(session: AsyncSession, send: Send, answer: Answer, now: datetime) -> None:
    delivery = await repository.lock(session, send.delivery_id)
    record = await repository.attempt(session, send.delivery_id, send.number)
    if delivery is None or record is None or record.outcome != "in_flight":
        return  # taken over meanwhile (marked interrupted by a newer run)
    destination = await repository.destination(session, delivery, lock=True)
    if destination is None:
        return  # deleted meanwhile (a subscription), its deliveries with it
    record.status_code = answer.status_code
    record.latency_ms = answer.latency_ms
    record.response_excerpt = answer.excerpt
    if not send.secrets:
        outcome = Outcome.REJECTED
    elif answer.status_code is None:
        outcome = Outcome.RETRY
    else:
        outcome = policy.outcome_of(answer.status_code)
    record.outcome = outcome.value
    delivery.next_attempt_at = None
    if outcome is Outcome.DELIVERED:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.receipt_status = answer.status_code
        delivery.receipt = answer.receipt
        delivery.last_error = None
    elif outcome is Outcome.GONE:
        delivery.status = "gone"
        delivery.last_error = f"410 Gone: {answer.excerpt}"[:EXCERPT]
        destination.status = "disabled"
        destination.disabled_reason = "gone"
        _alert(
            destination,
            f"the endpoint answered 410 Gone to delivery {delivery.id}; "
            f"{_kind(destination)} disabled",
            now,
        )
    elif outcome is Outcome.REJECTED:
        delivery.status = "rejected"
        delivery.last_error = f"{answer.status_code}: {answer.excerpt}"[:EXCERPT]
        _alert(destination, f"delivery {delivery.id} refused: {delivery.last_error}", now)
    else:
        wait_hint = policy.retry_after(answer.retry_after, now)
        if wait_hint is not None:
            record.retry_after_seconds = int(wait_hint.total_seconds())
        wait = policy.next_wait(delivery.attempts - delivery.retry_base, wait_hint)
        delivery.last_error = f"{answer.status_code or ''} {answer.excerpt}".strip()[:EXCERPT]
        if wait is None:
            delivery.status = "failed"
            _alert(
                destination,
                f"delivery {delivery.id} failed after {policy.MAX_ATTEMPTS} attempts: "
                f"{delivery.last_error}",
                now,
            )
        else:
            delivery.next_attempt_at = now + wait
            await schedule_attempt(session, delivery, wait)
    log.info(
        "delivery attempt",
        delivery=delivery.id,
        **{_kind(destination): destination.id},
        attempt=send.number,
        outcome=outcome.value,
        status_code=answer.status_code,
        latency_ms=answer.latency_ms,
    )


def _alert(destination: Destination, message: str, now: datetime) -> None:
    """What its manager must look at: kept on the target or subscription (``alert``) and
    logged as an error (never the body)."""
    destination.alert = message[:EXCERPT]
    destination.alert_at = now
    log.error(
        "delivery needs attention",
        **{_kind(destination): destination.id},
        problem=message[:EXCERPT],
    )


async def replay(session: AsyncSession, delivery: Delivery, now: datetime) -> None:
    """Deliver a settled delivery again: same webhook-id, a fresh retry schedule."""
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.retry_base = delivery.attempts
    delivery.replays += 1
    await schedule_attempt(session, delivery)
