"""Item 2 of the hardening issue beyond stations (``tests/test_log_privacy.py``): a trainee's
name, phone and ID number, and an account's name and phone, sent through the failing paths of
training and of the gateway's identity (a unique conflict, a check violation, a database error
that becomes a 500, a validation error) never reach a log line of the apps that handled them."""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.gateway.conftest import user_headers
from tests.test_log_privacy import captured_logs, traces
from tests.training.helpers import person, resident_id

NAME = "欧阳娜娜"
PHONE = "13912345678"
ID_NUMBER = resident_id(birth="19850612", seq="417")

TARGETS: dict[str, tuple[str, str, dict[str, Any], dict[str, Any]]] = {
    "training": (
        "training.trainee",
        "/training/v1/trainees",
        person(number=ID_NUMBER, name=NAME, phone=PHONE),
        {"phone": PHONE + "0"},
    ),
    "identity": (
        "gateway.user_account",
        "/auth/users",
        {
            "phone": PHONE,
            "display_name": NAME,
            "role": "official",
            "division": "141124",
            "password": "临县电商-2026-培训",
        },
        {"phone": PHONE + "0"},
    ),
}


async def _refuse_with(db: asyncpg.Pool, table: str, sqlstate: str | None) -> None:
    schema = table.split(".")[0]
    await db.execute(f"DROP TRIGGER IF EXISTS log_privacy ON {table}")
    if sqlstate is None:
        await db.execute(f"DROP FUNCTION IF EXISTS {schema}.log_privacy()")
        return
    await db.execute(
        f"""
        CREATE OR REPLACE FUNCTION {schema}.log_privacy() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING ERRCODE = '{sqlstate}', MESSAGE = 'refused ' || NEW::text,
                DETAIL = 'Failing row contains ' || NEW::text, CONSTRAINT = 'ck_log_privacy';
        END $$;
        CREATE TRIGGER log_privacy BEFORE INSERT OR UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {schema}.log_privacy();
        """
    )


@pytest.mark.parametrize("target", list(TARGETS))
async def test_no_log_line_names_a_person(
    client: httpx.AsyncClient, db: asyncpg.Pool, target: str
) -> None:
    table, path, body, invalid = TARGETS[target]
    answers = {}
    with captured_logs() as logs:
        try:
            for sqlstate in ("23505", "23514", "XX000"):
                await _refuse_with(db, table, sqlstate)
                r = await client.post(path, json=body, headers=user_headers())
                answers[sqlstate] = r.status_code
        finally:
            await _refuse_with(db, table, None)
        refused = await client.post(path, json={**body, **invalid}, headers=user_headers())
    assert answers == {"23505": 409, "23514": 409, "XX000": 500}
    assert refused.status_code == 422, refused.text
    lines = logs.getvalue()
    assert "ck_log_privacy" in lines  # the failures were logged: the search looks at them
    assert "unhandled error" in lines
    for secret in (NAME, PHONE, ID_NUMBER, "Failing row"):
        for trace in traces(secret):
            assert trace not in lines, f"{secret!r} is in the logs:\n{lines}"
