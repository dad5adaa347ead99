"""reports: report revisions, immutable

Revision ID: gateway_0004
Revises: gateway_0003
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_0004"
down_revision: str | Sequence[str] | None = "gateway_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_revision",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("document_type", sa.String(length=32), nullable=False),
        sa.Column("document_version", sa.String(length=8), nullable=False),
        sa.Column("division", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("content_hash", sa.String(length=71), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["gateway.report_revision.id"],
            name=op.f("fk_report_revision_supersedes_id_report_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_revision")),
        sa.UniqueConstraint(
            "document_type", "document_version", "division", "period", "revision",
            name=op.f("uq_report_revision_key"),
        ),
        schema="gateway",
    )  # fmt: skip
    # Stored immutable: a revision is what was delivered, so nothing may rewrite or remove it.
    op.execute("""
        CREATE FUNCTION gateway.report_revision_immutable() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'report revisions are immutable: make a new revision instead'
                USING ERRCODE = 'restrict_violation';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER report_revision_immutable
        BEFORE UPDATE OR DELETE ON gateway.report_revision
        FOR EACH ROW EXECUTE FUNCTION gateway.report_revision_immutable()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER report_revision_immutable ON gateway.report_revision")
    op.execute("DROP FUNCTION gateway.report_revision_immutable()")
    op.drop_table("report_revision", schema="gateway")
