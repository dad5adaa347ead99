"""idempotency records: created_at indexed, for the purge and the expiry (ADR 0016)

Revision ID: logistics_0005
Revises: logistics_0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "logistics_0005"
down_revision: str | Sequence[str] | None = "logistics_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_idempotency_record_created_at",
        "idempotency_record",
        ["created_at"],
        unique=False,
        schema="logistics",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_idempotency_record_created_at", table_name="idempotency_record", schema="logistics"
    )
