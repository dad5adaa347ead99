"""programme: idempotency records indexed by created_at (the purge and the replay window
look it up, ADR 0016); answers naming a person kept as a reference

Revision ID: programme_0008
Revises: programme_0007
Create Date: 2026-12-02 00:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "programme_0008"
down_revision: str | Sequence[str] | None = "programme_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A stored answer, old shape (the body itself) or new ({"headers", "body"}).
_ANSWER = "(CASE WHEN body ? 'headers' AND body ? 'body' THEN body -> 'body' ELSE body END)"


def upgrade() -> None:
    op.create_index(
        "ix_idempotency_record_created_at",
        "idempotency_record",
        ["created_at"],
        unique=False,
        schema="programme",
    )
    op.execute(
        "DELETE FROM programme.idempotency_record WHERE created_at < now() - interval '48 hours'"
    )
    # A created project names its responsible person, a payment its payee (maybe a person):
    # keep only what identifies them; the routes render them again.
    op.execute(
        f"""
        UPDATE programme.idempotency_record
        SET body = jsonb_build_object(
            'headers', '{{}}'::jsonb,
            'reference', CASE
                WHEN {_ANSWER} ? 'responsible'
                    THEN jsonb_build_object('project', {_ANSWER} ->> 'code')
                ELSE jsonb_build_object(
                    'disbursement', ({_ANSWER} -> 'disbursement' ->> 'id')::bigint)
            END)
        WHERE NOT body ? 'reference'
          AND ({_ANSWER} ? 'responsible' OR {_ANSWER} -> 'disbursement' ? 'payee')
        """
    )


def downgrade() -> None:
    # A referenced answer cannot be turned back into a stored body: those records go.
    op.execute("DELETE FROM programme.idempotency_record WHERE body ? 'reference'")
    op.drop_index(
        "ix_idempotency_record_created_at", table_name="idempotency_record", schema="programme"
    )
