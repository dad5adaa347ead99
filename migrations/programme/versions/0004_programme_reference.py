"""programme: the division reference copy fed by stations, and its feed cursor (ADR 0020)

Revision ID: programme_0004
Revises: programme_0003
Create Date: 2026-12-01 20:38:43.869361
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "programme_0004"
down_revision: str | Sequence[str] | None = "programme_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_cursor",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=True),
        sa.Column("events_applied", sa.BigInteger(), nullable=False),
        sa.Column(
            "last_event_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the source recorded the last event applied",
        ),
        sa.Column(
            "caught_up_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the last poll that found nothing more: the projection holds the feed as of then",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_feed_cursor")),
        schema="programme",
    )
    op.create_table(
        "reference_division",
        sa.Column("code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("division_class", sa.String(length=24), nullable=True),
        sa.Column("parent_code", sa.String(length=12, collation="C"), nullable=True),
        sa.Column("since_edition", sa.SmallInteger(), nullable=False),
        sa.Column(
            "until_edition",
            sa.SmallInteger(),
            nullable=True,
            comment="last edition that listed the code; NULL while it is current",
        ),
        sa.Column("poverty_county", sa.Boolean(), nullable=False),
        sa.Column("poor_village", sa.Boolean(), nullable=False),
        sa.Column("demonstration_year", sa.SmallInteger(), nullable=True),
        sa.Column("flags_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_reference_division")),
        schema="programme",
        info={"reference": True},
    )
    op.create_index(
        "ix_reference_division_level_division_class",
        "reference_division",
        ["level", "division_class"],
        unique=False,
        schema="programme",
    )
    op.create_index(
        "ix_reference_division_parent_code",
        "reference_division",
        ["parent_code"],
        unique=False,
        schema="programme",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_reference_division_parent_code", table_name="reference_division", schema="programme"
    )
    op.drop_index(
        "ix_reference_division_level_division_class",
        table_name="reference_division",
        schema="programme",
    )
    op.drop_table("reference_division", schema="programme")
    op.drop_table("feed_cursor", schema="programme")
