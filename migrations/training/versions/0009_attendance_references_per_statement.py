"""training: attendance's references to its session and its trainee checked once per
statement instead of once per row (ADR 0103). The two foreign keys' per-row checks were a
third of a sign-in sheet's database time; triggers now check every row a statement wrote in
one query per reference, locking what it names as the keys' checks did (FOR KEY SHARE), and
refuse what the keys refused on the other side: deleting a trainee or a session still named,
truncating one without the attendance, or changing its id

Revision ID: training_0009
Revises: training_0008
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "training_0009"
down_revision: str | Sequence[str] | None = "training_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The constraint names stay those of the foreign keys: an error names what it always named.
TRAINEE_KEY = "fk_attendance_trainee_id_trainee"
SESSION_KEY = "fk_attendance_session_id_training_session"

# The rows a statement wrote (``written``) name trainees and sessions that exist: each is
# locked FOR KEY SHARE, as a foreign key's check locks it (a trainee's correction, FOR UPDATE,
# waits for the writer; neither row can be deleted before the writer ends), and the rows
# locked must be as many as the ids named.
WRITTEN = f"""
CREATE FUNCTION training.attendance_names_existing() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    IF (SELECT count(*) FROM (
            SELECT 1 FROM training.trainee t
            WHERE t.id IN (SELECT trainee_id FROM written) FOR KEY SHARE OF t) locked)
       <> (SELECT count(DISTINCT trainee_id) FROM written) THEN
        SELECT w.trainee_id INTO missing FROM written w
        WHERE NOT EXISTS (SELECT 1 FROM training.trainee t WHERE t.id = w.trainee_id) LIMIT 1;
        RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "attendance" violates foreign key constraint'
                || ' "{TRAINEE_KEY}"',
            DETAIL = format('Key (trainee_id)=(%s) is not present in table "trainee".', missing),
            CONSTRAINT = '{TRAINEE_KEY}', SCHEMA = 'training', TABLE = 'attendance';
    END IF;
    IF (SELECT count(*) FROM (
            SELECT 1 FROM training.training_session s
            WHERE s.id IN (SELECT session_id FROM written) FOR KEY SHARE OF s) locked)
       <> (SELECT count(DISTINCT session_id) FROM written) THEN
        SELECT w.session_id INTO missing FROM written w
        WHERE NOT EXISTS (SELECT 1 FROM training.training_session s WHERE s.id = w.session_id)
        LIMIT 1;
        RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "attendance" violates foreign key constraint'
                || ' "{SESSION_KEY}"',
            DETAIL = format('Key (session_id)=(%s) is not present in table "training_session".',
                missing),
            CONSTRAINT = '{SESSION_KEY}', SCHEMA = 'training', TABLE = 'attendance';
    END IF;
    RETURN NULL;
END
$$
"""
WRITTEN_TRIGGERS = [
    """
CREATE TRIGGER attendance_inserted_names_existing AFTER INSERT ON training.attendance
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION training.attendance_names_existing()
    """,
    """
CREATE TRIGGER attendance_updated_names_existing AFTER UPDATE ON training.attendance
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION training.attendance_names_existing()
    """,
]

# Trainees or sessions deleted (``gone``) that attendance still names: refused. The check
# reads attendance as committed when it runs, which READ COMMITTED gives each of its queries:
# a delete that waited for a writer's lock sees that writer's rows. A transaction's own
# snapshot would not (PostgreSQL's keys cross-check with a newer one), so a delete is refused
# in any other isolation level. A trainee's attendance is reached through the two partial
# indexes on (trainee, day), each with its predicate; a session's through the primary key.
GONE = [
    f"""
CREATE FUNCTION training.attendance_names_none_gone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE object_not_in_prerequisite_state USING
            MESSAGE = format('rows of %I.%I are deleted in READ COMMITTED transactions only',
                TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;
    IF TG_TABLE_NAME = 'trainee' AND EXISTS (
        SELECT 1 FROM gone g
        WHERE EXISTS (SELECT 1 FROM training.attendance a
                      WHERE a.trainee_id = g.id AND a.part IN ('day', 'am'))
           OR EXISTS (SELECT 1 FROM training.attendance a
                      WHERE a.trainee_id = g.id AND a.part = 'pm')
    ) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'update or delete on table "trainee" violates foreign key constraint'
                || ' "{TRAINEE_KEY}" on table "attendance"',
            CONSTRAINT = '{TRAINEE_KEY}', SCHEMA = 'training', TABLE = 'attendance';
    END IF;
    IF TG_TABLE_NAME = 'training_session' AND EXISTS (
        SELECT 1 FROM gone g
        WHERE EXISTS (SELECT 1 FROM training.attendance a WHERE a.session_id = g.id)
    ) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'update or delete on table "training_session" violates foreign key'
                || ' constraint "{SESSION_KEY}" on table "attendance"',
            CONSTRAINT = '{SESSION_KEY}', SCHEMA = 'training', TABLE = 'attendance';
    END IF;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION training.attendance_emptied_too() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- After every table of the TRUNCATE is emptied: attendance with them, or none held.
    IF EXISTS (SELECT 1 FROM training.attendance) THEN
        RAISE feature_not_supported USING
            MESSAGE = format('cannot truncate %I.%I without training.attendance, which names'
                ' its rows', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION training.id_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('the id of a row of %I.%I never changes: attendance names it',
                TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;
    RETURN NEW;
END
$$
""",
]

REFERENCED = ("trainee", "training_session")


def upgrade() -> None:
    op.drop_constraint(TRAINEE_KEY, "attendance", schema="training", type_="foreignkey")
    op.drop_constraint(SESSION_KEY, "attendance", schema="training", type_="foreignkey")
    for statement in (WRITTEN, *WRITTEN_TRIGGERS, *GONE):
        op.execute(statement)
    for table in REFERENCED:
        op.execute(
            f"CREATE TRIGGER {table}_deleted_not_named AFTER DELETE ON training.{table}"
            " REFERENCING OLD TABLE AS gone"
            " FOR EACH STATEMENT EXECUTE FUNCTION training.attendance_names_none_gone()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_truncated_with_attendance AFTER TRUNCATE ON training.{table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION training.attendance_emptied_too()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_id_kept BEFORE UPDATE OF id ON training.{table}"
            " FOR EACH ROW EXECUTE FUNCTION training.id_kept()"
        )


def downgrade() -> None:
    for table in REFERENCED:
        for trigger in ("deleted_not_named", "truncated_with_attendance", "id_kept"):
            op.execute(f"DROP TRIGGER {table}_{trigger} ON training.{table}")
    for trigger in ("inserted_names_existing", "updated_names_existing"):
        op.execute(f"DROP TRIGGER attendance_{trigger} ON training.attendance")
    for function in (
        "attendance_names_existing",
        "attendance_names_none_gone",
        "attendance_emptied_too",
        "id_kept",
    ):
        op.execute(f"DROP FUNCTION training.{function}()")
    op.create_foreign_key(
        SESSION_KEY,
        "attendance",
        "training_session",
        ["session_id"],
        ["id"],
        source_schema="training",
        referent_schema="training",
    )
    op.create_foreign_key(
        TRAINEE_KEY,
        "attendance",
        "trainee",
        ["trainee_id"],
        ["id"],
        source_schema="training",
        referent_schema="training",
    )
