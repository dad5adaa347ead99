"""idempotency records expire after 48 hours: indexed by created_at; replays kept as
{"headers", "body"} or {"headers", "reference"}; what had expired already is deleted

Revision ID: stations_0003
Revises: stations_0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "stations_0003"
down_revision: str | Sequence[str] | None = "stations_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_idempotency_record_created_at",
        "idempotency_record",
        ["created_at"],
        unique=False,
        schema="stations",
    )
    # Past the replay window a record only kept personal data: gone. The younger ones keep
    # replaying until they expire too (their body becomes the replay's body).
    op.execute(
        "DELETE FROM stations.idempotency_record WHERE created_at < now() - interval '48 hours'"
    )
    op.execute(
        "UPDATE stations.idempotency_record"
        " SET body = jsonb_build_object('headers', '{}'::jsonb, 'body', body)"
    )


def downgrade() -> None:
    # A referenced answer cannot be turned back into a stored body: those records go.
    op.execute("DELETE FROM stations.idempotency_record WHERE body ? 'reference'")
    op.execute("UPDATE stations.idempotency_record SET body = body -> 'body'")
    op.drop_index(
        "ix_idempotency_record_created_at", table_name="idempotency_record", schema="stations"
    )
