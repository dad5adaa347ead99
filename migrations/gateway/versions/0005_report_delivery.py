"""reports: delivery targets, their signing secrets, deliveries and attempts (ADR 0081)

Revision ID: gateway_0005
Revises: gateway_0003
Create Date: 2026-12-02 01:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gateway_0005"
down_revision: str | Sequence[str] | None = "gateway_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_target",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("endpoint_url", sa.String(length=2000), nullable=False),
        sa.Column("division", sa.String(length=12), nullable=False),
        sa.Column("document_types", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("periods", postgresql.ARRAY(sa.String(length=8)), nullable=False),
        sa.Column("schedule_day", sa.SmallInteger(), nullable=False),
        sa.Column("schedule_time", sa.Time(), nullable=False),
        sa.Column("schedule_timezone", sa.String(length=60), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("disabled_reason", sa.String(length=40), nullable=True),
        sa.Column("alert", sa.Text(), nullable=True),
        sa.Column("alert_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('mofcom','province')", name=op.f("ck_delivery_target_kind")),
        sa.CheckConstraint("status IN ('active','disabled')", name=op.f("ck_delivery_target_status")),
        sa.CheckConstraint("schedule_day BETWEEN 1 AND 28", name=op.f("ck_delivery_target_schedule_day")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_target")),
        schema="gateway",
    )  # fmt: skip
    op.create_index(
        op.f("ix_delivery_target_next_run_at"), "delivery_target", ["next_run_at"],
        unique=False, schema="gateway",
    )  # fmt: skip
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
    op.create_table(
        "delivery",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("revision_id", sa.BigInteger(), nullable=False),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("document_type", sa.String(length=60), nullable=False),
        sa.Column("division", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_status", sa.Integer(), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("replays", sa.Integer(), server_default="0", nullable=False),
        sa.Column("retry_base", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'rejected', 'gone', 'failed')",
            name=op.f("ck_delivery_status"),
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["gateway.delivery_target.id"],
            name=op.f("fk_delivery_target_id_delivery_target"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("target_id", "revision_id", name=op.f("uq_delivery_target_id_revision_id")),
        schema="gateway",
    )  # fmt: skip
    op.create_index(
        op.f("ix_delivery_period"), "delivery", ["period"], unique=False, schema="gateway"
    )
    op.create_index(
        op.f("ix_delivery_target_id"), "delivery", ["target_id"], unique=False, schema="gateway"
    )
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("retry_after_seconds", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('in_flight', 'delivered', 'retry', 'rejected', 'gone', 'interrupted')",
            name=op.f("ck_delivery_attempt_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["gateway.delivery.id"],
            name=op.f("fk_delivery_attempt_delivery_id_delivery"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
        sa.UniqueConstraint("delivery_id", "number", name=op.f("uq_delivery_attempt_delivery_id_number")),
        schema="gateway",
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("delivery_attempt", schema="gateway")
    op.drop_index(op.f("ix_delivery_target_id"), table_name="delivery", schema="gateway")
    op.drop_index(op.f("ix_delivery_period"), table_name="delivery", schema="gateway")
    op.drop_table("delivery", schema="gateway")
    op.drop_index(op.f("ix_target_secret_target_id"), table_name="target_secret", schema="gateway")
    op.drop_table("target_secret", schema="gateway")
    op.drop_index(
        op.f("ix_delivery_target_next_run_at"), table_name="delivery_target", schema="gateway"
    )
    op.drop_table("delivery_target", schema="gateway")
