"""What the training tests share: principals, ID numbers with a right check digit, and
sessions and trainees made through the API."""

from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
from asyncpg.transaction import Transaction
from stdnum.cn import ric

from common.auth import Role
from common.months import china_today
from services.training.tallies import repository as tallies
from tests.support import internal_headers

COUNTY = "141124"  # 临县, Lüliang
VILLAGE = "141124100201"  # 前麻峪村委会
OTHER_VILLAGE = "141124100202"
YEJI_VILLAGE = "341504001202"  # 彭洲村委会, 史河街道
YEJI_TOWNSHIP = "341504001000"  # 史河街道
ORGANISER = "91110000802100433B"
OTHER_ORGANISER = "91350100M000100Y43"
TODAY = china_today()


def resident_id(birth: str = "19900307", seq: str = "123", area: str = "141124") -> str:
    body = area + birth + seq
    return body + ric.calc_check_digit(body + "0")


def official(division: str = COUNTY) -> dict[str, str]:
    return internal_headers(Role.OFFICIAL, subject=f"official:{division}", division=division)


def organiser(code: str = ORGANISER) -> dict[str, str]:
    return internal_headers(Role.ORGANISER, subject=f"organiser:{code}", organiser=code)


def admin() -> dict[str, str]:
    return internal_headers(Role.ADMIN, subject="admin")


ZH = {"Accept-Language": "zh"}


def session_body(**overrides: Any) -> dict[str, Any]:
    day = (TODAY - timedelta(days=1)).isoformat()
    body: dict[str, Any] = {
        "level": "basic",
        "topic": "农产品网店开设与运营",
        "organiser": {"name": "临县电子商务发展有限公司", "credit_code": ORGANISER},
        "place": {"division_code": "141124100000", "address": "临泉镇电商服务站"},
        "starts_on": day,
        "ends_on": day,
        "duration_kind": "one_day",
        "meals": True,
        "computer_practice": True,
        "lodging": False,
        "capacity": 60,
        "funding_source": "central",
    }
    body.update(overrides)
    return body


async def make_session(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    r = await client.post(
        "/v1/sessions", json=session_body(**overrides), headers=headers or admin()
    )
    assert r.status_code == 201, r.text
    return r.json()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def person(number: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id_number": number or resident_id(),
        "name": "王小甲",
        "phone": "13900000001",
        "residence_code": VILLAGE,
        "categories": ["poor_household"],
    }
    body.update(overrides)
    return body


def problem(r: httpx.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    if field is not None:
        assert body["field"] == field, body
    return body


async def held_sign_in(
    conn: asyncpg.Connection, session_id: int, trainee_id: int, day: date
) -> Transaction:
    """A writer that signed ``trainee_id`` in at ``session_id`` for ``day`` and tallied it,
    its transaction left open (the caller commits): what another writer must wait for."""
    writer = conn.transaction()
    await writer.start()
    await tallies.lock_sessions(conn, [session_id])
    await tallies.sign_in(conn, session_id, trainee_id, day, "day", "test")
    return writer
