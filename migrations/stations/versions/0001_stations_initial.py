"""stations: divisions, registry, monthly reports, change feed

Revision ID: stations_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "stations_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Needs a superuser once per database; `ruralnet db start` and the tests create it first.
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "change_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "txid",
            sa.BigInteger(),
            server_default=sa.text("(pg_current_xact_id()::text::bigint)"),
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_event")),
        schema="stations",
    )
    op.create_index(
        "ix_change_event_txid_id", "change_event", ["txid", "id"], unique=False, schema="stations"
    )
    op.create_table(
        "division",
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
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name=op.f("ck_division_code_digits")),
        sa.CheckConstraint(
            "level IN ('province','prefecture','county','township','village')",
            name=op.f("ck_division_level"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_division")),
        schema="stations",
        info={"reference": True},
    )
    op.create_index(
        "ix_division_level_class",
        "division",
        ["level", "division_class"],
        unique=False,
        schema="stations",
    )
    op.create_index(
        "ix_division_parent_code", "division", ["parent_code"], unique=False, schema="stations"
    )
    op.create_table(
        "idempotency_record",
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("subject", "key", name=op.f("pk_idempotency_record")),
        schema="stations",
    )
    op.create_geospatial_table(
        "county_boundary",
        sa.Column("county_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["stations.division.code"],
            name=op.f("fk_county_boundary_county_code_division"),
        ),
        sa.PrimaryKeyConstraint("county_code", name=op.f("pk_county_boundary")),
        schema="stations",
    )
    op.create_geospatial_index(
        "idx_county_boundary_geom",
        "county_boundary",
        ["geom"],
        unique=False,
        schema="stations",
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "division_flag",
        sa.Column("code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("poverty_county", sa.Boolean(), nullable=False),
        sa.Column("poor_village", sa.Boolean(), nullable=False),
        sa.Column("demonstration_year", sa.SmallInteger(), nullable=True),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["code"], ["stations.division.code"], name=op.f("fk_division_flag_code_division")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_division_flag")),
        schema="stations",
    )
    op.create_geospatial_table(
        "station",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "code",
            sa.String(length=15, collation="C"),
            nullable=False,
            comment="<12-digit division code>-<2-digit sequence>; never reused",
        ),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("division_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("operator_name", sa.Text(), nullable=True),
        sa.Column("operator_phone", sa.String(length=11), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_credit_code", sa.String(length=18), nullable=True),
        sa.Column("services", sa.ARRAY(sa.String(length=24)), server_default="{}", nullable=False),
        sa.Column(
            "operating_since",
            sa.Date(),
            nullable=True,
            comment="first day of the month it first began operating",
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('planned','building','operating','accepted','suspended','closed')",
            name=op.f("ck_station_status"),
        ),
        sa.CheckConstraint("tier IN ('county','township','village')", name=op.f("ck_station_tier")),
        sa.ForeignKeyConstraint(
            ["division_code"],
            ["stations.division.code"],
            name=op.f("fk_station_division_code_division"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["stations.station.id"], name=op.f("fk_station_parent_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station")),
        sa.UniqueConstraint("code", name=op.f("uq_station_code")),
        schema="stations",
    )
    op.create_geospatial_index(
        "idx_station_location",
        "station",
        ["location"],
        unique=False,
        schema="stations",
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_station_division_code", "station", ["division_code"], unique=False, schema="stations"
    )
    op.create_index(
        "ix_station_parent_id", "station", ["parent_id"], unique=False, schema="stations"
    )
    op.create_index(
        "ix_station_status_tier", "station", ["status", "tier"], unique=False, schema="stations"
    )
    op.create_index(
        "uq_station_active_village",
        "station",
        ["division_code"],
        unique=True,
        schema="stations",
        postgresql_where=sa.text("tier = 'village' AND status <> 'closed'"),
    )
    op.create_table(
        "monthly_report",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the month"),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=False),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("upward_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("upward_orders", sa.Integer(), nullable=False),
        sa.Column("downward_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("downward_orders", sa.Integer(), nullable=False),
        sa.Column("parcels_in", sa.Integer(), nullable=False),
        sa.Column("parcels_out", sa.Integer(), nullable=False),
        sa.Column("households_served", sa.Integer(), nullable=False),
        sa.Column("poor_households_served", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "downward_amount >= 0", name=op.f("ck_monthly_report_downward_amount_non_negative")
        ),
        sa.CheckConstraint(
            "downward_orders >= 0", name=op.f("ck_monthly_report_downward_orders_non_negative")
        ),
        sa.CheckConstraint(
            "extract(day from month) = 1", name=op.f("ck_monthly_report_month_first_day")
        ),
        sa.CheckConstraint(
            "households_served >= 0", name=op.f("ck_monthly_report_households_served_non_negative")
        ),
        sa.CheckConstraint(
            "parcels_in >= 0", name=op.f("ck_monthly_report_parcels_in_non_negative")
        ),
        sa.CheckConstraint(
            "parcels_out >= 0", name=op.f("ck_monthly_report_parcels_out_non_negative")
        ),
        sa.CheckConstraint(
            "poor_households_served >= 0",
            name=op.f("ck_monthly_report_poor_households_served_non_negative"),
        ),
        sa.CheckConstraint(
            "upward_amount >= 0", name=op.f("ck_monthly_report_upward_amount_non_negative")
        ),
        sa.CheckConstraint(
            "upward_orders >= 0", name=op.f("ck_monthly_report_upward_orders_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.station.id"],
            name=op.f("fk_monthly_report_station_id_station"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_report")),
        sa.UniqueConstraint("station_id", "month", name=op.f("uq_monthly_report_station_id_month")),
        schema="stations",
    )
    op.create_index(
        "ix_monthly_report_month", "monthly_report", ["month"], unique=False, schema="stations"
    )
    op.create_table(
        "station_transition",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.String(length=10), nullable=True),
        sa.Column("to_status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.station.id"],
            name=op.f("fk_station_transition_station_id_station"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_transition")),
        schema="stations",
    )
    op.create_index(
        "ix_station_transition_station_id",
        "station_transition",
        ["station_id", "id"],
        unique=False,
        schema="stations",
    )
    op.create_table(
        "monthly_report_revision",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=False),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("upward_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("upward_orders", sa.Integer(), nullable=False),
        sa.Column("downward_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("downward_orders", sa.Integer(), nullable=False),
        sa.Column("parcels_in", sa.Integer(), nullable=False),
        sa.Column("parcels_out", sa.Integer(), nullable=False),
        sa.Column("households_served", sa.Integer(), nullable=False),
        sa.Column("poor_households_served", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "downward_amount >= 0",
            name=op.f("ck_monthly_report_revision_downward_amount_non_negative"),
        ),
        sa.CheckConstraint(
            "downward_orders >= 0",
            name=op.f("ck_monthly_report_revision_downward_orders_non_negative"),
        ),
        sa.CheckConstraint(
            "extract(day from month) = 1", name=op.f("ck_monthly_report_revision_month_first_day")
        ),
        sa.CheckConstraint(
            "households_served >= 0",
            name=op.f("ck_monthly_report_revision_households_served_non_negative"),
        ),
        sa.CheckConstraint(
            "parcels_in >= 0", name=op.f("ck_monthly_report_revision_parcels_in_non_negative")
        ),
        sa.CheckConstraint(
            "parcels_out >= 0", name=op.f("ck_monthly_report_revision_parcels_out_non_negative")
        ),
        sa.CheckConstraint(
            "poor_households_served >= 0",
            name=op.f("ck_monthly_report_revision_poor_households_served_non_negative"),
        ),
        sa.CheckConstraint(
            "upward_amount >= 0", name=op.f("ck_monthly_report_revision_upward_amount_non_negative")
        ),
        sa.CheckConstraint(
            "upward_orders >= 0", name=op.f("ck_monthly_report_revision_upward_orders_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["stations.monthly_report.id"],
            name=op.f("fk_monthly_report_revision_report_id_monthly_report"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.station.id"],
            name=op.f("fk_monthly_report_revision_station_id_station"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_report_revision")),
        sa.UniqueConstraint(
            "report_id", "revision", name=op.f("uq_monthly_report_revision_report_id_revision")
        ),
        schema="stations",
    )


def downgrade() -> None:
    op.drop_table("monthly_report_revision", schema="stations")
    op.drop_index(
        "ix_station_transition_station_id", table_name="station_transition", schema="stations"
    )
    op.drop_table("station_transition", schema="stations")
    op.drop_index("ix_monthly_report_month", table_name="monthly_report", schema="stations")
    op.drop_table("monthly_report", schema="stations")
    op.drop_index(
        "uq_station_active_village",
        table_name="station",
        schema="stations",
        postgresql_where=sa.text("tier = 'village' AND status <> 'closed'"),
    )
    op.drop_index("ix_station_status_tier", table_name="station", schema="stations")
    op.drop_index("ix_station_parent_id", table_name="station", schema="stations")
    op.drop_index("ix_station_division_code", table_name="station", schema="stations")
    op.drop_geospatial_index(
        "idx_station_location",
        table_name="station",
        schema="stations",
        postgresql_using="gist",
        column_name="location",
    )
    op.drop_geospatial_table("station", schema="stations")
    op.drop_table("division_flag", schema="stations")
    op.drop_geospatial_index(
        "idx_county_boundary_geom",
        table_name="county_boundary",
        schema="stations",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("county_boundary", schema="stations")
    op.drop_table("idempotency_record", schema="stations")
    op.drop_index("ix_division_parent_code", table_name="division", schema="stations")
    op.drop_index("ix_division_level_class", table_name="division", schema="stations")
    op.drop_table("division", schema="stations")
    op.drop_index("ix_change_event_txid_id", table_name="change_event", schema="stations")
    op.drop_table("change_event", schema="stations")
