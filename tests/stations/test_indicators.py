"""Network indicators against counts made independently, here in Python, from the division
rows of the real Lüliang list and from the stations and reports this test places."""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import asyncpg
import httpx
import pytest

from common.auth import NATION, Role
from common.db import compile_for_asyncpg
from common.divisionscope import Scope
from services.stations.indicators.repository import NETWORK
from tests.stations.factories import StationRow, flag_poor_village, insert_report, insert_station
from tests.stations.factories import month_text as _text
from tests.stations.factories import months_from_now as _month
from tests.support import internal_headers

STATUSES = ["planned", "building", "operating", "accepted", "suspended", "closed"]
WEIGHTS = [1, 1, 4, 2, 1, 1]
ACTIVE = {"operating", "accepted"}
TOWNSHIP_CLASSES = {"town", "township", "township_like"}
HEADERS = internal_headers(Role.PLATFORM, division=NATION)


CURRENT, LAST, EARLIER, OLDER = _month(0), _month(-1), _month(-2), _month(-3)


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: str
    division_class: str | None
    parent_code: str | None
    current: bool


@dataclass
class Network:
    """What this test placed."""

    divisions: dict[str, DivisionRow]
    stations: list[StationRow]
    poor: set[str]
    reports: dict[tuple[int, date], dict[str, int | Decimal]]


def _in(code: str, prefix: str | None) -> bool:
    return prefix is None or code.startswith(prefix)


async def _place(db: asyncpg.Pool, rng: random.Random, *, skip: set[str]) -> Network:
    rows = await db.fetch(
        "SELECT code, name, level, division_class, parent_code, until_edition IS NULL AS current "
        "FROM stations.division"
    )
    divisions = {r["code"]: DivisionRow(**dict(r)) for r in rows}
    stations: list[StationRow] = []

    def status() -> str:
        return rng.choices(STATUSES, WEIGHTS)[0]

    async with db.acquire() as conn:
        for division in sorted(divisions.values(), key=lambda d: d.code):
            if division.code in skip:
                continue
            luliang = division.code.startswith("1411")
            if division.level == "county" and luliang and rng.random() < 0.6:
                stations.append(await insert_station(conn, division.code, status=status()))
            elif division.level == "township" and (rng.random() < (0.7 if luliang else 0.05)):
                # subdistricts (街道) get stations too: they must not count for coverage
                stations.append(await insert_station(conn, division.code, status=status()))
            elif division.level == "village" and (rng.random() < (0.45 if luliang else 0.02)):
                first = status()
                since = CURRENT if rng.random() < 0.05 else date(2024, 3, 1)
                stations.append(
                    await insert_station(conn, division.code, status=first, operating_since=since)
                )
                if first == "closed" and rng.random() < 0.6:
                    # a closed point replaced by a new one on the same village
                    stations.append(
                        await insert_station(conn, division.code, status=status(), seq=2)
                    )

        committees = sorted(
            d.code
            for d in divisions.values()
            if d.division_class == "village_committee" and d.code.startswith("1411")
        )
        poor = set(rng.sample(committees, len(committees) // 7))
        poor.add("141124100009")  # a residents' committee flagged by mistake: not a village
        poor.add("331102001217")  # a Lishui village
        for code in poor:
            await flag_poor_village(conn, code)

        reports: dict[tuple[int, date], dict[str, int | Decimal]] = {}
        for station in stations:
            for month in (OLDER, EARLIER, LAST):
                if rng.random() < 0.6:
                    values: dict[str, int | Decimal] = {
                        "upward_amount": Decimal(rng.randint(0, 5_000_000)) / 100,
                        "upward_orders": rng.randint(0, 900),
                        "downward_amount": Decimal(rng.randint(0, 5_000_000)) / 100,
                        "downward_orders": rng.randint(0, 900),
                        "parcels_in": rng.randint(0, 3000),
                        "parcels_out": rng.randint(0, 3000),
                        "households_served": rng.randint(50, 500),
                        "poor_households_served": rng.randint(0, 50),
                    }
                    await insert_report(conn, station.id, month, **values)  # type: ignore[arg-type]
                    reports[(station.id, month)] = values
    return Network(divisions, stations, poor, reports)


def _coverage(covered: int, total: int) -> dict[str, object]:
    return {
        "covered": covered,
        "total": total,
        "uncovered": total - covered,
        "rate": pytest.approx(covered / total) if total else None,
    }


def _expected_network(net: Network, prefix: str | None, month: date) -> dict[str, object]:
    current = [d for d in net.divisions.values() if d.current and _in(d.code, prefix)]
    townships = {
        d.code for d in current if d.level == "township" and d.division_class in TOWNSHIP_CLASSES
    }
    villages = {
        d.code for d in current if d.level == "village" and d.division_class == "village_committee"
    }
    poor = villages & net.poor
    active = [s for s in net.stations if s.status in ACTIVE]
    covered_townships = {s.division_code for s in active if s.tier == "township"} & townships
    covered_villages = {s.division_code for s in active if s.tier == "village"} & villages

    scoped = [s for s in net.stations if _in(s.division_code, prefix)]
    counts = Counter((s.tier, s.status) for s in scoped)
    by_tier = {
        tier: {status: counts[(tier, status)] for status in STATUSES}
        for tier in ("county", "township", "village")
    }
    by_status = {status: sum(counts[(t, status)] for t in by_tier) for status in STATUSES}

    expected_to_report = [
        s
        for s in scoped
        if s.status in ACTIVE and (s.operating_since is None or s.operating_since <= month)
    ]
    reported = sum(1 for s in expected_to_report if (s.id, month) in net.reports)
    return {
        "stations": {"total": len(scoped), "by_tier": by_tier, "by_status": by_status},
        "township_coverage": _coverage(len(covered_townships), len(townships)),
        "village_coverage": _coverage(len(covered_villages), len(villages)),
        "poor_village_coverage": _coverage(len(covered_villages & poor), len(poor)),
        "reporting": {
            "month": _text(month),
            "expected": len(expected_to_report),
            "reported": reported,
            "overdue": len(expected_to_report) - reported,
            "rate": pytest.approx(reported / len(expected_to_report))
            if expected_to_report
            else None,
        },
    }


def _expected_gaps(net: Network, prefix: str, kind: str) -> list[tuple[str, str | None]]:
    """(code, planned/building/suspended station there) of every gap, by code."""
    tier = "township" if kind == "townships" else "village"
    classes = TOWNSHIP_CLASSES if tier == "township" else {"village_committee"}
    gaps = []
    for d in sorted(net.divisions.values(), key=lambda d: d.code):
        if not (d.current and d.level == tier and d.division_class in classes):
            continue
        if not _in(d.code, prefix) or (kind == "poor_villages" and d.code not in net.poor):
            continue
        here = [s for s in net.stations if s.division_code == d.code and s.tier == tier]
        if any(s.status in ACTIVE for s in here):
            continue
        pending = [s for s in here if s.status != "closed"]
        gaps.append((d.code, max(pending, key=lambda s: s.id).code if pending else None))
    return gaps


async def _all_pages(client: httpx.AsyncClient, url: str) -> list[dict]:
    items: list[dict] = []
    next_url: str | None = url
    while next_url:
        page = await client.get(next_url, headers=HEADERS)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        next_url = page.json()["next"]
    return items


@pytest.fixture
async def retired(db: asyncpg.Pool) -> list[str]:
    """Codes a newer edition dropped (merged villages, a merged township): marked, then
    restored, since divisions are reference data that outlive a test."""
    codes = ["141124100210", "141124100211", "141124101000"]
    await db.execute(
        "UPDATE stations.division SET until_edition = 2022 WHERE code = ANY($1)", codes
    )
    try:
        yield codes
    finally:
        await db.execute(
            "UPDATE stations.division SET until_edition = NULL WHERE code = ANY($1)", codes
        )


async def test_indicators_match_an_independent_count(
    stations: httpx.AsyncClient, db: asyncpg.Pool, retired: list[str]
) -> None:
    rng = random.Random(20261122)
    net = await _place(db, rng, skip=set(retired))
    # The retired codes carry operating stations, which count as stations but cover nothing.
    for code in retired:
        net.stations.append(await insert_station(db, code, status="operating"))
    active_luliang = [
        s for s in net.stations if s.status in ACTIVE and s.division_code.startswith("1411")
    ]
    assert len(active_luliang) > 500
    assert len(net.poor) > 250

    scopes = {
        None: ("nation", None, "全国"),
        "14": ("province", "140000000000", "山西省"),
        "1411": ("prefecture", "141100000000", "吕梁市"),
        "141124": ("county", "141124000000", "临县"),
        "141124100": ("township", "141124100000", "临泉镇"),
        "3311": ("prefecture", "331100000000", "丽水市"),
        "341504": ("county", "341504000000", "叶集区"),
    }
    for prefix, (level, code, name) in scopes.items():
        for month in (LAST, EARLIER):
            params = {"month": _text(month)} | ({"division": prefix} if prefix else {})
            r = await stations.get("/v1/indicators/network", params=params, headers=HEADERS)
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["division"] == {"code": code, "name": name, "level": level}
            expected = _expected_network(net, prefix, month)
            for key, value in expected.items():
                assert body[key] == value, (prefix, month, key)

    # the full code works as well as its prefix
    by_code = await stations.get(
        "/v1/indicators/network", params={"division": "141124000000"}, headers=HEADERS
    )
    assert (
        by_code.json()["village_coverage"]
        == _expected_network(net, "141124", LAST)["village_coverage"]
    )

    for prefix in ("141124", "1411"):
        for kind in ("townships", "villages", "poor_villages"):
            items = await _all_pages(
                stations, f"/v1/indicators/gaps/{kind}?division={prefix}&limit=97"
            )
            assert [(g["code"], g["station_code"]) for g in items] == _expected_gaps(
                net, prefix, kind
            ), (prefix, kind)
    gap = (await _all_pages(stations, "/v1/indicators/gaps/villages?division=141124&limit=5"))[0]
    row = net.divisions[gap["code"]]
    assert gap["name"] == row.name
    assert gap["parent_code"] == row.parent_code
    assert gap["parent_name"] == net.divisions[row.parent_code or ""].name

    for prefix in ("1411", "141124", None):
        params = {"from": _text(OLDER), "to": _text(CURRENT)} | (
            {"division": prefix} if prefix else {}
        )
        r = await stations.get("/v1/indicators/sales", params=params, headers=HEADERS)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["from"], body["to"]) == (_text(OLDER), _text(CURRENT))
        months = [OLDER, EARLIER, LAST, CURRENT]
        assert [m["month"] for m in body["months"]] == [_text(m) for m in months]
        in_scope = {s.id for s in net.stations if _in(s.division_code, prefix)}
        for month, got in zip(months, body["months"], strict=True):
            rows = [v for (sid, m), v in net.reports.items() if m == month and sid in in_scope]
            assert got["reports"] == len(rows)
            for name in ("upward_amount", "downward_amount"):
                assert Decimal(got[name]) == sum((Decimal(v[name]) for v in rows), Decimal(0))
            for name in ("upward_orders", "downward_orders", "parcels_in", "households_served"):
                assert got[name] == sum(int(v[name]) for v in rows)
        all_rows = [v for (sid, _), v in net.reports.items() if sid in in_scope]
        assert body["total"]["reports"] == len(all_rows)
        assert Decimal(body["total"]["upward_amount"]) == sum(
            (Decimal(v["upward_amount"]) for v in all_rows), Decimal(0)
        )

    rate = await stations.get(
        "/v1/reports/rate", params={"division": "1411", "month": _text(LAST)}, headers=HEADERS
    )
    assert {k: rate.json()[k] for k in ("expected", "reported", "overdue", "rate")} == {
        k: v
        for k, v in _expected_network(net, "1411", LAST)["reporting"].items()  # type: ignore[union-attr]
        if k != "month"
    }
    overdue = await _all_pages(
        stations, f"/v1/reports/overdue?division=1411&month={_text(LAST)}&limit=113"
    )
    assert [s["code"] for s in overdue] == sorted(
        s.code
        for s in net.stations
        if s.division_code.startswith("1411")
        and s.status in ACTIVE
        and (s.operating_since is None or s.operating_since <= LAST)
        and (s.id, LAST) not in net.reports
    )


async def test_benchmarks_can_run_the_same_sql_through_asyncpg(
    stations: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    """``compile_for_asyncpg`` gives benchmarks the API's own statement in ``$n`` form."""
    village = await insert_station(db, "141124100201")
    await insert_station(db, "141124100000", status="planned")
    await insert_report(db, village.id, LAST, upward_amount="12.50")
    for prefix in ("1411", None):
        scope = Scope(prefix)
        params = scope.params() | {"month": LAST, "next_month": CURRENT}
        sql, args = compile_for_asyncpg(NETWORK[scope.nation], params)
        row = await db.fetchrow(sql, *args)
        query = {"month": _text(LAST)} | ({"division": prefix} if prefix else {})
        api = (await stations.get("/v1/indicators/network", params=query, headers=HEADERS)).json()
        assert api["village_coverage"]["covered"] == row["villages_covered"] == 1
        assert api["township_coverage"]["total"] == row["townships"]
        assert api["reporting"]["reported"] == row["reported"] == 1


async def test_an_empty_division_has_no_rates(stations: httpx.AsyncClient) -> None:
    r = await stations.get("/v1/indicators/network?division=341504", headers=HEADERS)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stations"]["total"] == 0
    assert body["township_coverage"]["covered"] == 0
    assert body["township_coverage"]["total"] == 4  # 3 towns, 1 township; not the 2 街道
    assert body["township_coverage"]["rate"] == 0
    assert body["poor_village_coverage"] == {"covered": 0, "total": 0, "uncovered": 0, "rate": None}
    assert body["reporting"]["rate"] is None
    assert body["reporting"]["month"] == _text(LAST)  # default: the last finished month

    sales = (await stations.get("/v1/indicators/sales?division=341504", headers=HEADERS)).json()
    assert len(sales["months"]) == 12
    assert sales["to"] == _text(LAST)
    assert sales["total"]["upward_amount"] == "0.00"


@pytest.mark.parametrize(
    ("path", "status", "code", "field"),
    [
        ("/v1/indicators/network?division=14x", 422, "invalid_division", "division"),
        ("/v1/indicators/network?division=1499", 404, "division_not_found", "division"),
        ("/v1/indicators/network?month=2026-13", 422, "invalid_month", "month"),
        ("/v1/indicators/network?month=FUTURE", 422, "future_month", "month"),
        ("/v1/indicators/sales?from=2026-09&to=2026-01", 422, "invalid_range", "from"),
        ("/v1/indicators/sales?from=2010-01&to=2026-01", 422, "range_too_long", "from"),
        ("/v1/indicators/sales?from=2026/01", 422, "invalid_month", "from"),
        ("/v1/indicators/sales?to=26-01", 422, "invalid_month", "to"),
        ("/v1/indicators/gaps/hamlets", 422, "validation_failed", "kind"),
        ("/v1/indicators/gaps/villages?cursor=!!", 400, "invalid_cursor", "cursor"),
        ("/v1/indicators/gaps/villages?limit=501", 422, "validation_failed", "limit"),
    ],
)
async def test_bad_indicator_queries(
    stations: httpx.AsyncClient, path: str, status: int, code: str, field: str
) -> None:
    r = await stations.get(path.replace("FUTURE", _text(_month(1))), headers=HEADERS)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (r.json()["code"], r.json()["field"]) == (code, field)


async def test_indicators_need_a_token(stations: httpx.AsyncClient) -> None:
    r = await stations.get("/v1/indicators/network")
    assert r.status_code == 401
