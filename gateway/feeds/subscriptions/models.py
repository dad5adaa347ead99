"""Webhook subscriptions of provincial platforms (and admins) to the merged change feed, the
events handed to them, and where the shared reader of the feeds has got to (ADR 0084)."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base


class WebhookSubscription(Base):
    """Events of some topics about a division subtree, POSTed to a platform's URL, signed."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (CheckConstraint("status IN ('active','disabled')", name="status"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # Who made it (``client:rn-…`` for a machine client) and sees it; admins see every one.
    owner: Mapped[str] = mapped_column(String(200), index=True)
    # A machine client's id: its events stop when the client is disabled or its scope no
    # longer holds ``division``.
    owner_client: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(String(200))
    endpoint_url: Mapped[str] = mapped_column(String(2000))
    # ``nation`` or a division's significant digits: the events about divisions under it.
    division: Mapped[str] = mapped_column(String(12))
    topics: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    # ``gone`` (the URL answered 410) or ``owner`` (disabled by whoever manages it).
    disabled_reason: Mapped[str | None] = mapped_column(String(40))
    alert: Mapped[str | None] = mapped_column(Text)
    alert_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookEvent(Base):
    """A feed event (or a ping) as its deliveries send it: the body is fixed once, so every
    attempt and replay sends the same bytes under the same ``webhook-id``."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    division: Mapped[str | None] = mapped_column(String(12))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FeedFollower(Base):
    """Where the reader that feeds every subscription has got to in each service's feed
    (``positions``: service → cursor; a service missing is set to its head by the first
    subscription that wants it, or by the reader's first run). Moved in the transaction that
    stores the events read, so an event is handed on once."""

    __tablename__ = "feed_follower"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    positions: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
