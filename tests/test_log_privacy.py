"""No log line carries personal data, not even from an error: a known operator name and
phone are sent through every failing path (a unique conflict, a check violation, a database
error that becomes a 500, a validation error) of the real stations service behind the real
gateway, and every line both apps wrote — in JSON and in the development format — is searched
for them (ADR 0010).

The database errors are made by a trigger that refuses the row quoting it whole in its
message and DETAIL, as PostgreSQL's own "Failing row contains (…)" does.
"""

import io
import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import asyncpg
import httpx
import pytest
import structlog

from common.auth import Principal, Role
from common.db import make_engine
from gateway.app import create as create_gateway
from gateway.settings import GatewaySettings
from services.stations.app import create as create_stations
from services.stations.settings import StationsSettings
from tests.support import serve, user_headers

NAME = "欧阳娜娜"
PHONE = "13912345678"
ADMIN = user_headers(Principal(subject="user:1", role=Role.ADMIN))


def traces(value: str) -> list[str]:
    """How a value can appear in a line: as is, and JSON-escaped (``\\u6b27…``)."""
    return [value, json.dumps(value)[1:-1]]


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Every line the apps log, formatted by the apps' own handler."""
    root = logging.getLogger()
    # The apps' own handler (common.logging), beside whatever pytest attached.
    (configured,) = [
        h for h in root.handlers if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)
    ]
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(configured.formatter)
    root.addHandler(handler)
    try:
        yield sink
    finally:
        root.removeHandler(handler)


@contextmanager
def system(database_url: str, *, json_logs: bool) -> Iterator[str]:
    with ExitStack() as stack:
        stations = stack.enter_context(
            serve(create_stations(StationsSettings(database_url=database_url, log_json=json_logs)))
        )
        settings = GatewaySettings(
            database_url=database_url, stations_url=stations, log_json=json_logs
        )
        yield stack.enter_context(serve(create_gateway(settings)))


async def _refuse_with(db: asyncpg.Pool, sqlstate: str | None) -> None:
    await db.execute("DROP TRIGGER IF EXISTS log_privacy ON stations.station")
    if sqlstate is None:
        await db.execute("DROP FUNCTION IF EXISTS stations.log_privacy()")
        return
    await db.execute(
        f"""
        CREATE OR REPLACE FUNCTION stations.log_privacy() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING ERRCODE = '{sqlstate}', MESSAGE = 'refused ' || NEW::text,
                DETAIL = 'Failing row contains ' || NEW::text, CONSTRAINT = 'ck_log_privacy';
        END $$;
        CREATE TRIGGER log_privacy BEFORE INSERT OR UPDATE ON stations.station
            FOR EACH ROW EXECUTE FUNCTION stations.log_privacy();
        """
    )


def _station(**operator: str) -> dict[str, object]:
    return {
        "tier": "village",
        "division_code": "141102100200",
        "name": "街上村服务点",
        "operator": {"name": NAME, "phone": PHONE, **operator},
    }


@pytest.mark.parametrize("json_logs", [True, False], ids=["json", "development"])
async def test_no_log_line_names_a_person(
    database_url: str, db: asyncpg.Pool, json_logs: bool
) -> None:
    with system(database_url, json_logs=json_logs) as gateway, captured_logs() as logs:
        async with httpx.AsyncClient(base_url=gateway, timeout=20) as client:
            try:
                answers = {}
                for sqlstate in ("23505", "23514", "XX000"):
                    await _refuse_with(db, sqlstate)
                    r = await client.post("/stations/v1/stations", json=_station(), headers=ADMIN)
                    answers[sqlstate] = r.status_code
            finally:
                await _refuse_with(db, None)
            invalid = await client.post(
                "/stations/v1/stations", json=_station(phone=PHONE + "0"), headers=ADMIN
            )
    assert answers == {"23505": 409, "23514": 409, "XX000": 500}
    assert invalid.status_code == 422
    lines = logs.getvalue()
    # The failures were logged, so the search below looks at something.
    assert "integrity conflict" in lines
    assert "ck_log_privacy" in lines
    assert "unhandled error" in lines
    assert "message withheld" in lines
    for secret in (NAME, PHONE, "Failing row"):
        for trace in traces(secret):
            assert trace not in lines, f"{secret!r} is in the logs:\n{lines}"


def test_engines_hide_sql_parameters() -> None:
    engine = make_engine("postgresql+asyncpg://u@127.0.0.1:1/x", application_name="t")
    assert engine.sync_engine.hide_parameters
