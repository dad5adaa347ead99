"""What is owed to whom (``Delivery``: a document revision to a report target, or a feed event
to a webhook subscription), every try of it (``Attempt``), and the secrets that sign them."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base

DELIVERY_STATUSES = ("pending", "delivered", "rejected", "gone", "failed")
ATTEMPT_OUTCOMES = (
    "in_flight",  # sent, no answer recorded yet: the worker may have died
    "delivered",
    "retry",  # 5xx, 408, 429, timeout, connection error: tried again later
    "rejected",  # another 4xx (or a redirect): stopped, the target's admin alerted
    "gone",  # 410: the target is disabled
    "interrupted",  # in flight when its worker died; the next attempt sends it again
)


# A delivery is a revision to a target or an event to a subscription, never a mix.
_ONE_KIND = (
    "(target_id IS NOT NULL AND revision_id IS NOT NULL"
    " AND subscription_id IS NULL AND event_id IS NULL)"
    " OR (subscription_id IS NOT NULL AND event_id IS NOT NULL"
    " AND target_id IS NULL AND revision_id IS NULL)"
)


class Delivery(Base):
    """A document revision owed to a target, or a feed event owed to a subscription: unique
    per (target, revision) and per (subscription, event), so whatever asks for it twice
    delivers it once; one ``webhook-id`` for every attempt and replay."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("target_id", "revision_id"),
        UniqueConstraint("subscription_id", "event_id"),
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status"),
        CheckConstraint(_ONE_KIND, name="one_kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    target_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("delivery_target.id", ondelete="CASCADE"), index=True
    )
    # gateway.report_revision.id (the documents' table, reporting-contract.md).
    revision_id: Mapped[int | None] = mapped_column(BigInteger)
    subscription_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("webhook_event.id"))
    webhook_id: Mapped[str] = mapped_column(String(64))
    # Copied from the revision, for the admin's lists by target and period (none for events).
    document_type: Mapped[str | None] = mapped_column(String(60))
    division: Mapped[str | None] = mapped_column(String(12))
    period: Mapped[str | None] = mapped_column(String(8), index=True)
    # The event's topic (``stations.station``, ``ping``), for a subscription's lists.
    event_type: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    # When the next attempt is due; none while the target is disabled or once settled.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the target answered to the attempt that delivered it (its receipt), kept.
    receipt_status: Mapped[int | None] = mapped_column(Integer)
    receipt: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    replays: Mapped[int] = mapped_column(Integer, server_default="0")
    # ``attempts`` when it was last replayed: the retry schedule counts from there.
    retry_base: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Attempt(Base):
    """One POST of a delivery: when, what came back, how long it took."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (
        UniqueConstraint("delivery_id", "number"),
        CheckConstraint(f"outcome IN {ATTEMPT_OUTCOMES}", name="outcome"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("delivery.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    # The first KiB of the answer, or the error (timeout, refused connection).
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    retry_after_seconds: Mapped[int | None] = mapped_column(Integer)


class SigningSecret(Base):
    """A ``whsec_`` signing secret (Standard Webhooks) of a target or a subscription, sealed
    with the gateway's field key (AES-256-GCM, ``common.fieldcrypt``, ADR 0085): signing
    needs it back, so it cannot be a hash. Two sign at once while one rotates: the old one
    until ``expires_at``."""

    __tablename__ = "signing_secret"
    __table_args__ = (
        CheckConstraint("num_nonnulls(target_id, subscription_id) = 1", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    target_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("delivery_target.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    hint: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
