"""feeds: webhook subscriptions, their events and the shared reader's positions; deliveries
and signing secrets shared by report targets and subscriptions (ADR 0084), the secrets
sealed with the gateway's field key (ADR 0085)

Revision ID: gateway_0007
Revises: gateway_0006
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from common.fieldcrypt import FieldCipher
from gateway.settings import GatewayFieldKeys

revision: str = "gateway_0007"
down_revision: str | Sequence[str] | None = "gateway_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# gateway.reports.deliveries.secrets.CONTEXT, as it was when this migration was written.
CONTEXT = "gateway.signing_secret"


def _cipher() -> FieldCipher:
    """The gateway's field key ring from the environment (``GATEWAY_FIELD_KEYS``,
    ``GATEWAY_FIELD_KEY_ID``), as the gateway reads it: the existing secrets are sealed with
    the key the gateway will open them with."""
    return GatewayFieldKeys().field_cipher()


_ONE_KIND = (
    "(target_id IS NOT NULL AND revision_id IS NOT NULL"
    " AND subscription_id IS NULL AND event_id IS NULL)"
    " OR (subscription_id IS NOT NULL AND event_id IS NOT NULL"
    " AND target_id IS NULL AND revision_id IS NULL)"
)


def upgrade() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("owner_client", sa.String(length=40), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("endpoint_url", sa.String(length=2000), nullable=False),
        sa.Column("division", sa.String(length=12), nullable=False),
        sa.Column("topics", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("disabled_reason", sa.String(length=40), nullable=True),
        sa.Column("alert", sa.Text(), nullable=True),
        sa.Column("alert_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('active','disabled')", name=op.f("ck_webhook_subscription_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
        schema="gateway",
    )  # fmt: skip
    op.create_index(
        op.f("ix_webhook_subscription_owner"), "webhook_subscription", ["owner"], unique=False,
        schema="gateway",
    )  # fmt: skip
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("division", sa.String(length=12), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_webhook_event_webhook_id")),
        schema="gateway",
    )  # fmt: skip
    op.create_table(
        "feed_follower",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("positions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feed_follower")),
        schema="gateway",
    )  # fmt: skip

    # Deliveries: a revision to a target, or an event to a subscription.
    for column in ("target_id", "revision_id", "document_type", "division", "period"):
        op.alter_column("delivery", column, nullable=True, schema="gateway")
    op.add_column(
        "delivery", sa.Column("subscription_id", sa.BigInteger(), nullable=True), schema="gateway"
    )
    op.add_column(
        "delivery", sa.Column("event_id", sa.BigInteger(), nullable=True), schema="gateway"
    )
    op.add_column(
        "delivery", sa.Column("event_type", sa.String(length=60), nullable=True), schema="gateway"
    )
    op.create_foreign_key(
        op.f("fk_delivery_subscription_id_webhook_subscription"), "delivery",
        "webhook_subscription", ["subscription_id"], ["id"], source_schema="gateway",
        referent_schema="gateway", ondelete="CASCADE",
    )  # fmt: skip
    op.create_foreign_key(
        op.f("fk_delivery_event_id_webhook_event"), "delivery", "webhook_event", ["event_id"],
        ["id"], source_schema="gateway", referent_schema="gateway",
    )  # fmt: skip
    op.create_index(
        op.f("ix_delivery_subscription_id"), "delivery", ["subscription_id"], unique=False,
        schema="gateway",
    )  # fmt: skip
    op.create_unique_constraint(
        op.f("uq_delivery_subscription_id_event_id"), "delivery", ["subscription_id", "event_id"],
        schema="gateway",
    )  # fmt: skip
    op.create_check_constraint(
        op.f("ck_delivery_one_kind"), "delivery", _ONE_KIND, schema="gateway"
    )

    # Signing secrets of either, moved from target_secret.
    op.create_table(
        "signing_secret",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("subscription_id", sa.BigInteger(), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "num_nonnulls(target_id, subscription_id) = 1", name=op.f("ck_signing_secret_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["gateway.delivery_target.id"],
            name=op.f("fk_signing_secret_target_id_delivery_target"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["gateway.webhook_subscription.id"],
            name=op.f("fk_signing_secret_subscription_id_webhook_subscription"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_secret")),
        schema="gateway",
    )  # fmt: skip
    op.create_index(
        op.f("ix_signing_secret_target_id"), "signing_secret", ["target_id"], unique=False,
        schema="gateway",
    )  # fmt: skip
    op.create_index(
        op.f("ix_signing_secret_subscription_id"), "signing_secret", ["subscription_id"],
        unique=False, schema="gateway",
    )  # fmt: skip
    connection = op.get_bind()
    rows = (
        connection.execute(
            sa.text(
                "SELECT id, target_id, secret, hint, created_by, created_at, expires_at "
                "FROM gateway.target_secret"
            )
        )
        .mappings()
        .all()
    )
    if rows:
        cipher = _cipher()
        connection.execute(
            sa.text(
                """INSERT INTO gateway.signing_secret
                       (id, target_id, sealed, hint, created_by, created_at, expires_at)
                   OVERRIDING SYSTEM VALUE
                   VALUES (:id, :target_id, :sealed, :hint, :created_by, :created_at,
                           :expires_at)"""
            ),
            [
                {**{k: v for k, v in row.items() if k != "secret"},
                 "sealed": cipher.encrypt(row["secret"], context=CONTEXT)}
                for row in rows
            ],
        )  # fmt: skip
    op.execute(
        "SELECT setval(pg_get_serial_sequence('gateway.signing_secret', 'id'), "
        "coalesce((SELECT max(id) FROM gateway.signing_secret), 0) + 1, false)"
    )
    op.drop_index(op.f("ix_target_secret_target_id"), table_name="target_secret", schema="gateway")
    op.drop_table("target_secret", schema="gateway")


def downgrade() -> None:
    op.create_table(
        "target_secret",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["target_id"], ["gateway.delivery_target.id"],
            name=op.f("fk_target_secret_target_id_delivery_target"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_secret")),
        schema="gateway",
    )  # fmt: skip
    op.create_index(
        op.f("ix_target_secret_target_id"), "target_secret", ["target_id"], unique=False,
        schema="gateway",
    )  # fmt: skip
    connection = op.get_bind()
    rows = (
        connection.execute(
            sa.text(
                "SELECT id, target_id, sealed, hint, created_by, created_at, expires_at "
                "FROM gateway.signing_secret WHERE target_id IS NOT NULL"
            )
        )
        .mappings()
        .all()
    )
    if rows:
        cipher = _cipher()
        connection.execute(
            sa.text(
                """INSERT INTO gateway.target_secret
                       (id, target_id, secret, hint, created_by, created_at, expires_at)
                   OVERRIDING SYSTEM VALUE
                   VALUES (:id, :target_id, :secret, :hint, :created_by, :created_at,
                           :expires_at)"""
            ),
            [
                {**{k: v for k, v in row.items() if k != "sealed"},
                 "secret": cipher.decrypt(row["sealed"], context=CONTEXT)}
                for row in rows
            ],
        )  # fmt: skip
    op.drop_table("signing_secret", schema="gateway")
    op.execute("DELETE FROM gateway.delivery WHERE subscription_id IS NOT NULL")
    op.drop_constraint(op.f("ck_delivery_one_kind"), "delivery", schema="gateway")
    op.drop_constraint(op.f("uq_delivery_subscription_id_event_id"), "delivery", schema="gateway")
    op.drop_index(op.f("ix_delivery_subscription_id"), table_name="delivery", schema="gateway")
    op.drop_constraint(op.f("fk_delivery_event_id_webhook_event"), "delivery", schema="gateway")
    op.drop_constraint(
        op.f("fk_delivery_subscription_id_webhook_subscription"), "delivery", schema="gateway"
    )
    for column in ("event_type", "event_id", "subscription_id"):
        op.drop_column("delivery", column, schema="gateway")
    for column in ("target_id", "revision_id", "document_type", "division", "period"):
        op.alter_column("delivery", column, nullable=False, schema="gateway")
    op.drop_table("feed_follower", schema="gateway")
    op.drop_table("webhook_event", schema="gateway")
    op.drop_index(
        op.f("ix_webhook_subscription_owner"), table_name="webhook_subscription", schema="gateway"
    )
    op.drop_table("webhook_subscription", schema="gateway")
