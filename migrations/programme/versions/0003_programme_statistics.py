"""programme: county statistics with revisions, main rural products

Revision ID: programme_0003
Revises: programme_0002
Create Date: 2026-12-01 20:30:35.719437
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "programme_0003"
down_revision: str | Sequence[str] | None = "programme_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "county_statistic",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("figure", sa.String(length=48), nullable=False),
        sa.Column("value", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("source_note", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "period_kind IN ('month','quarter','year')",
            name=op.f("ck_county_statistic_period_kind"),
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_county_statistic_value_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_statistic")),
        sa.UniqueConstraint(
            "county_code",
            "period_kind",
            "period_start",
            "figure",
            name=op.f("uq_county_statistic_county_code_period_kind_period_start_figure"),
        ),
        schema="programme",
    )
    op.create_table(
        "main_product",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("sold_online", sa.Boolean(), nullable=False),
        sa.Column(
            "channels",
            postgresql.ARRAY(sa.Text()),
            server_default="{}",
            nullable=False,
            comment="where it is sold online",
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_main_product")),
        sa.UniqueConstraint("county_code", "name", name=op.f("uq_main_product_county_code_name")),
        schema="programme",
    )
    op.create_index(
        "ix_main_product_county_code_id",
        "main_product",
        ["county_code", "id"],
        unique=False,
        schema="programme",
    )
    op.create_table(
        "county_statistic_revision",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("statistic_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("source_note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["statistic_id"],
            ["programme.county_statistic.id"],
            name=op.f("fk_county_statistic_revision_statistic_id_county_statistic"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_statistic_revision")),
        sa.UniqueConstraint(
            "statistic_id",
            "revision",
            name=op.f("uq_county_statistic_revision_statistic_id_revision"),
        ),
        schema="programme",
    )


def downgrade() -> None:
    op.drop_table("county_statistic_revision", schema="programme")
    op.drop_index("ix_main_product_county_code_id", table_name="main_product", schema="programme")
    op.drop_table("main_product", schema="programme")
    op.drop_table("county_statistic", schema="programme")
