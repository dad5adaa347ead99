"""reports: make or confirm a report revision in one statement (ADR 0095)

Revision ID: gateway_0008
Revises: gateway_0007
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "gateway_0008"
down_revision: str | Sequence[str] | None = "gateway_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # What generation did in three to five statements (advisory lock, latest revision, the
    # insert and its created_at, the superseded revision), in one call. A VOLATILE plpgsql
    # function takes a new snapshot for each statement in READ COMMITTED, so the read after
    # the lock sees a revision that a maker holding the lock committed while this one waited
    # (one statement holding both could not: its snapshot is older than the wait). The lock
    # key is the one the gateway took before, so an old gateway and a new one serialise.
    op.execute("""
        CREATE FUNCTION gateway.store_report_revision(
            p_document text, p_version text, p_division text, p_period text,
            p_body bytea, p_hash text, p_created_by text
        ) RETURNS TABLE (
            id bigint, revision integer, created_by text, created_at timestamptz,
            created boolean, supersedes_id bigint, supersedes_revision integer,
            supersedes_hash text
        )
        LANGUAGE plpgsql VOLATILE AS $$
        #variable_conflict use_column
        DECLARE
            latest record;
            made record;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtextextended(
                'report_revision:' || p_document || '|' || p_version || '|' || p_division
                || '|' || p_period, 0));
            SELECT r.id, r.revision, r.content_hash, r.created_by, r.created_at, r.supersedes_id
              INTO latest
              FROM gateway.report_revision r
             WHERE r.document_type = p_document AND r.document_version = p_version
               AND r.division = p_division AND r.period = p_period
             ORDER BY r.revision DESC
             LIMIT 1;
            IF FOUND AND latest.content_hash = p_hash THEN
                -- The same content: the latest revision stands, nothing is written.
                RETURN QUERY
                    SELECT latest.id, latest.revision, latest.created_by::text,
                           latest.created_at, false, o.id, o.revision, o.content_hash::text
                      FROM (VALUES (1)) AS one (x)
                      LEFT JOIN gateway.report_revision o ON o.id = latest.supersedes_id;
                RETURN;
            END IF;
            INSERT INTO gateway.report_revision AS r (
                document_type, document_version, division, period, revision, supersedes_id,
                body, content_hash, created_by
            ) VALUES (
                p_document, p_version, p_division, p_period, coalesce(latest.revision, 0) + 1,
                latest.id, p_body, p_hash, p_created_by
            ) RETURNING r.id, r.revision, r.created_at INTO made;
            RETURN QUERY
                SELECT made.id, made.revision, p_created_by, made.created_at, true,
                       latest.id, latest.revision, latest.content_hash::text;
        END $$
    """)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION gateway.store_report_revision(text, text, text, text, bytea, text, text)"
    )
