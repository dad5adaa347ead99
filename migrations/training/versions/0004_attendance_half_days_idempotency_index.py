"""training: a morning and an afternoon of the same session are two attendance rows (the key
takes the part); idempotency records indexed by created_at for the purge (ADR 0016)

Revision ID: training_0004
Revises: training_0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "training_0004"
down_revision: str | Sequence[str] | None = "training_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The key (session, trainee, day) held one half of a session's day: the afternoon of a
    # morning already signed was acknowledged by a sheet and dropped. The part joins the key;
    # the two partial unique indexes still refuse a half counted twice.
    op.drop_constraint("pk_attendance", "attendance", schema="training", type_="primary")
    op.create_primary_key(
        "pk_attendance",
        "attendance",
        ["session_id", "trainee_id", "day", "part"],
        schema="training",
    )
    op.create_index(
        "ix_idempotency_record_created_at",
        "idempotency_record",
        ["created_at"],
        unique=False,
        schema="training",
    )
    op.execute(
        "DELETE FROM training.idempotency_record WHERE created_at < now() - interval '48 hours'"
    )


def downgrade() -> None:
    op.drop_index(
        "ix_idempotency_record_created_at", table_name="idempotency_record", schema="training"
    )
    op.execute(
        "DELETE FROM training.attendance a USING training.attendance b"
        " WHERE a.session_id = b.session_id AND a.trainee_id = b.trainee_id"
        " AND a.day = b.day AND a.part = 'pm' AND b.part = 'am'"
    )
    op.drop_constraint("pk_attendance", "attendance", schema="training", type_="primary")
    op.create_primary_key(
        "pk_attendance", "attendance", ["session_id", "trainee_id", "day"], schema="training"
    )
