"""A small real place for the registry's tests: 离石区 (Lishi district, 141102, Lüliang),
with stations, courier coverage, trained residents and a report, written into each service
through its own API or its own tables — the registry itself only reads them over HTTP."""

from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg
import httpx

from common.auth import Role
from common.months import add_months, china_today, current_month
from tests.logistics.factories import add_point
from tests.stations.factories import flag_poor_village, insert_report, insert_station
from tests.support import internal_headers
from tests.training.helpers import resident_id

COUNTY = "141102"
WUCHENG = "141102100000"  # 吴城镇: a township station, reached by ZTO
JIESHANG = "141102100200"  # 街上村: operating point, ZTO, two trained residents
XIALUOBAO = "141102100202"  # 下罗堡村: operating point, no carrier, nobody trained
ZAOLIN = "141102201000"  # 枣林乡: a township station no carrier reaches
ZAOLIN_VILLAGE = "141102201200"  # 枣林村: a planned point
POOR = "141102201201"  # a registered poor village with nothing at all
POOR_WITH_CARRIER = "141102100205"  # 上三交村: a poor village a carrier reaches

ADMIN = internal_headers(Role.ADMIN, subject="admin:scene")
LAST_MONTH = add_months(current_month(), -1)


@dataclass(frozen=True)
class Scene:
    point: str  # 街上村's point, the one with everything
    bare_point: str  # 下罗堡村's
    township: str
    bare_township: str
    planned_point: str


async def build(
    db: asyncpg.Pool, logistics: str, training: str, *, locations: bool = True
) -> Scene:
    stations = {
        WUCHENG: "operating",
        JIESHANG: "operating",
        XIALUOBAO: "accepted",
        ZAOLIN: "operating",
        ZAOLIN_VILLAGE: "planned",
    }
    rows = {}
    for division, status in stations.items():
        rows[division] = await insert_station(db, division, status=status)
        await add_point(
            db,
            division,
            tier=rows[division].tier,
            status=status,
            lon_lat=None,
        )
    if locations:
        # Inside the county's own boundary, so the map has somewhere to draw them.
        await db.execute(
            """UPDATE stations.station s SET location = p.geom
               FROM (SELECT d.geom, row_number() OVER () AS n
                     FROM stations.county_boundary b,
                          ST_Dump(ST_GeneratePoints(b.geom, 5, 7)) d
                     WHERE b.county_code = $1) p,
                    (SELECT id, row_number() OVER (ORDER BY code) AS n FROM stations.station) o
               WHERE s.id = o.id AND o.n = p.n""",
            f"{COUNTY}000000",
        )
    await flag_poor_village(db, POOR)
    await flag_poor_village(db, POOR_WITH_CARRIER)
    await insert_report(db, rows[JIESHANG].id, LAST_MONTH)
    async with httpx.AsyncClient(base_url=logistics, headers=ADMIN, timeout=60) as client:
        r = await client.post(
            "/v1/coverage/bulk",
            json=[
                _coverage(JIESHANG, "zhongtong"),
                _coverage(WUCHENG, "zhongtong"),
                _coverage(POOR_WITH_CARRIER, "youzhengguonei"),
            ],
        )
        assert r.status_code == 200, r.text
        assert r.json()["counts"]["rejected"] == 0, r.text
    async with httpx.AsyncClient(base_url=training, headers=ADMIN, timeout=60) as client:
        day = (china_today() - timedelta(days=1)).isoformat()
        s = await client.post("/v1/sessions", json=_session(day))
        assert s.status_code == 201, s.text
        sheet = [
            {"session_id": s.json()["id"], "day": day, **_person(seq, categories)}
            for seq, categories in (("301", ["poor_household"]), ("302", ["rural_youth"]))
        ]
        r = await client.post("/v1/attendance/bulk", json=sheet)
        assert r.status_code == 200, r.text
        assert r.json()["counts"]["rejected"] == 0, r.text
    return Scene(
        point=rows[JIESHANG].code,
        bare_point=rows[XIALUOBAO].code,
        township=rows[WUCHENG].code,
        bare_township=rows[ZAOLIN].code,
        planned_point=rows[ZAOLIN_VILLAGE].code,
    )


def _coverage(division: str, carrier: str) -> dict[str, object]:
    return {
        "carrier": carrier,
        "division_code": division,
        "mode": "direct",
        "pickups_per_week": 3,
        "deliveries_per_week": 6,
        "valid_from": (date.today() - timedelta(days=400)).isoformat(),
    }


def _session(day: str) -> dict[str, object]:
    return {
        "level": "basic",
        "topic": "农产品网店开设与运营",
        "organiser": {"name": "离石区电子商务发展有限公司", "credit_code": "91110000802100433B"},
        "place": {"division_code": WUCHENG, "address": "吴城镇电商服务站"},
        "starts_on": day,
        "ends_on": day,
        "duration_kind": "one_day",
        "meals": True,
        "computer_practice": True,
        "lodging": False,
        "capacity": 60,
        "funding_source": "central",
    }


def _person(seq: str, categories: list[str]) -> dict[str, object]:
    return {
        "id_number": resident_id(seq=seq, area="141102"),
        "name": "刘小明",
        "phone": "13900000001",
        "residence_code": JIESHANG,
        "categories": categories,
    }


async def adopt(programme: str, set_code: str = "shanxi-2017") -> None:
    """The county adopts a target set (the Shanxi 2017 preset unless told), through
    programme at ``programme``."""
    async with httpx.AsyncClient(
        base_url=programme, headers=internal_headers(Role.ADMIN), timeout=60
    ) as client:
        r = await client.put(f"/v1/counties/{COUNTY}/adoptions/{set_code}")
        assert r.status_code == 201, r.text
