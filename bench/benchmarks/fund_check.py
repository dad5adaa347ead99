"""Fund-rule check of a county (500 projects, 20,000 payments) and of a province's counties at once: the API vs the same SQL by raw asyncpg.

A database of its own (``ruralnet_bench_programme``: every migration, then a generated
ledger): every county-level unit of Shanxi (14) is a demonstration county checked on a rule
set holding every rule of the Jinghong 2016 and Shanxi 2017 presets (all seven kinds);
临县 141124 has 500 projects (1,100 linked stations) and 20,000 payments, every other county
60 projects and 1,500 payments (Shanxi in all: about 7,500 projects and 194,000 payments).
Budgets, allocations and uses are drawn (fixed hashes) as such projects plan them, with a
few of each rule broken (one project in twenty over its cap, one station in fifty, one
payment in a thousand for a forbidden use).

The programme service runs under uvicorn in a process of its own (JSON logs, as in
production) and answers ``GET /v1/fund-check?division=141124`` and ``?division=14``. The
limit is raw asyncpg on one connection in this process running the one statement the API
runs for that request (``funds.check.check_sql``: ``CHECK`` with the prefix written in — the
check, its wording and the answer's JSON, built by the database) and fetching its text —
and nothing else: no HTTP, no token, no session. The API is measured direct to the
programme service (no gateway), as the limit is direct to the database. One request at a
time on one connection; the sides take turns over three rounds and each figure is the
median round's.

Goals (issue 10): ratio ≤ 1.3; the county under 100 ms through the API.
"""

import asyncio
import csv
import json
import os
import secrets
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass

import asyncpg
import httpx

from bench.core import (
    Figure,
    Load,
    Measurement,
    Options,
    measure,
    measure_calls,
    median_of,
    uvicorn_process,
)
from bench.national import DIVISIONS, sibling_url
from common.auth import NATION, Principal, Role, mint_internal_token
from common.settings import async_database_url, plain_database_url
from ruralnet.devdb import Cluster, ensure_database
from services.programme.funds.check import check_sql

DATABASE = "ruralnet_bench_programme"
BUILD_VERSION = 3  # bump when the generated ledger changes
PROVINCE = "14"  # 山西
COUNTY = "141124"  # 临县
BIG = (500, 20_000)  # projects, payments of the county
OTHER = (60, 1_500)  # … of every other Shanxi county
ROUNDS = 3
GOAL_RATIO = 1.3
GOAL_COUNTY_MS = 100.0

Raw = Callable[[asyncpg.Connection], Awaitable[str]]

# Categories drawn for projects, and the station tier a category links.
_COUNTIES = """
CREATE TEMPORARY TABLE bench_county (code text PRIMARY KEY, projects int, payments int)
"""
_LEDGER = """
INSERT INTO programme.fund_rule_set
    (code, title, issuer, year, region_code, region_prefix, preset, version, created_by)
VALUES ('bench-all-kinds', 'benchmark: every rule of the presets', 'bench', 2017,
        '140000000000', '14', false, 1, 'bench');
INSERT INTO programme.fund_rule
    (rule_set_id, position, kind, categories, station_tier, amount, percent, uses, clause)
SELECT (SELECT id FROM programme.fund_rule_set WHERE code = 'bench-all-kinds'),
       row_number() OVER (ORDER BY s.code, r.position), r.kind, r.categories, r.station_tier,
       r.amount, r.percent, r.uses, r.clause
FROM programme.fund_rule r JOIN programme.fund_rule_set s ON s.id = r.rule_set_id
WHERE s.code IN ('jinghong-2016', 'shanxi-2017');

INSERT INTO programme.demonstration_county
    (county_code, batch_year, central_funds, local_funds, programme_start, fund_rule_set_id,
     published, version, created_by)
SELECT code || '000000', 2017, projects * 400000, projects * 40000, DATE '2017-01-01',
       (SELECT id FROM programme.fund_rule_set WHERE code = 'bench-all-kinds'), true, 1, 'bench'
FROM bench_county;

CREATE TEMPORARY TABLE bench_category (n int PRIMARY KEY, category text, tier text);
INSERT INTO bench_category VALUES
    (0, 'village_points', 'village'), (1, 'village_points', 'village'),
    (2, 'township_stations', 'township'), (3, 'logistics', NULL), (4, 'upward_branding', NULL),
    (5, 'upward_traceability', NULL), (6, 'cold_chain', NULL), (7, 'training', NULL),
    (8, 'public_service_centre', NULL), (9, 'other', NULL);

INSERT INTO programme.project
    (code, county_code, seq, name, category, company_name, company_credit_code,
     responsible_name, responsible_phone, budget_central, budget_local, budget_social, uses,
     status, version, created_by)
SELECT c.code || '-' || lpad(s::text, 3, '0'), c.code || '000000', s, 'project ' || s,
       k.category, 'bench company', '91110000802100433B', '王建国', '13912345678',
       -- central funds as such projects plan them; one in twenty over its cap
       CASE k.category
           WHEN 'village_points' THEN 250000 + (h % 50) * 1000
           WHEN 'township_stations' THEN 150000 + (h % 50) * 1000
           WHEN 'logistics' THEN CASE WHEN h % 20 = 0 THEN 2100000 ELSE 900000 + (h % 900) * 1000 END
           WHEN 'training' THEN 30000 + (h % 20) * 1000
           WHEN 'public_service_centre' THEN 50000 + (h % 20) * 1000
           ELSE CASE WHEN h % 20 = 0 THEN 1100000 ELSE 200000 + (h % 600) * 1000 END END,
       (h % 97) * 1000,
       CASE WHEN k.category IN ('logistics', 'upward_branding', 'upward_traceability',
                                'cold_chain') THEN 2000000 ELSE 0 END,
       CASE WHEN h % 100 = 0 THEN ARRAY['equipment', 'buying_traffic']::varchar[]
            ELSE ARRAY['equipment']::varchar[] END,
       CASE WHEN h % 60 = 0 THEN 'cancelled' ELSE 'in_progress' END, 1, 'bench'
FROM bench_county c, generate_series(1, c.projects) AS s, bench_category k,
     LATERAL (SELECT ('x' || substr(md5(c.code || ':' || s), 1, 8))::bit(32)::int
                     & 2147483647 AS h) d
WHERE k.n = s % 10;

-- Village-point projects link 10 points each, township ones 2 stations (distinct codes).
INSERT INTO programme.project_station (project_id, station_code, tier, allocation, linked_by)
SELECT p.id,
       left(p.county_code, 6) || CASE k.tier
           WHEN 'village' THEN lpad((100 + p.seq % 400)::text, 3, '0')
               || lpad((200 + i)::text, 3, '0') || '-' || lpad((p.seq / 400 + 1)::text, 2, '0')
           ELSE lpad((100 + (2 * p.seq + i) % 400)::text, 3, '0') || '000-'
               || lpad(((2 * p.seq + i) / 400 + 1)::text, 2, '0') END,
       k.tier,
       -- one in fifty over the cap (¥30,000 a village point, ¥100,000 a township station)
       CASE WHEN (p.seq * 7 + i * 13) % 50 = 0 THEN 32000 ELSE 20000 + (p.seq + i) % 9 * 1000 END
           * CASE k.tier WHEN 'village' THEN 1 ELSE 3 END,
       'bench'
FROM programme.project p JOIN bench_category k ON k.n = p.seq % 10
CROSS JOIN LATERAL generate_series(1, CASE k.tier WHEN 'village' THEN 10 ELSE 2 END) AS i
WHERE k.tier IS NOT NULL;

-- Payments spread over the county's projects in turn; station projects name one of their
-- stations; one in a thousand for buying traffic; every twelfth from local funds.
INSERT INTO programme.disbursement
    (project_id, county_code, paid_on, amount, source, payee, voucher_number, use,
     station_code, cancelled, version, recorded_by)
SELECT p.id, p.county_code, DATE '2017-03-01' + (i % 600),
       greatest(round(p.budget_central / (c.payments / c.projects + 5), 2), 100),
       CASE WHEN i % 12 = 0 THEN 'local' ELSE 'central' END,
       'bench payee', c.code || '-' || i,
       CASE WHEN i % 1000 = 0 THEN 'buying_traffic' ELSE 'equipment' END,
       (SELECT ps.station_code FROM programme.project_station ps
        WHERE ps.project_id = p.id ORDER BY ps.station_code
        OFFSET (i / c.projects) % 10 LIMIT 1),
       i % 250 = 0, 1, 'bench'
FROM bench_county c, generate_series(1, c.payments) AS i, programme.project p
WHERE p.county_code = c.code || '000000' AND p.seq = i % c.projects + 1;

CREATE TABLE IF NOT EXISTS public.bench_programme_build (version int NOT NULL);
DELETE FROM public.bench_programme_build;
INSERT INTO public.bench_programme_build VALUES ({version});
"""
# As autovacuum leaves a table that has settled: statistics, and a visibility map for the
# check's index-only scans.
_VACUUM = (
    "VACUUM (ANALYZE) programme.project, programme.project_station, programme.disbursement, "
    "programme.demonstration_county, programme.fund_rule"
)


def bench_programme_url() -> str:
    """``BENCH_DATABASE_URL``'s server, or this checkout's private cluster (any free port)."""
    given = os.environ.get("BENCH_DATABASE_URL")
    if given:
        return sibling_url(async_database_url(given), DATABASE)
    cluster = Cluster()
    cluster.start(any_port=True)
    return cluster.url(DATABASE)


def _shanxi_counties() -> list[str]:
    with (DIVISIONS / "areas.csv").open(encoding="utf-8") as f:
        return sorted(row["code"] for row in csv.DictReader(f) if row["code"][:2] == PROVINCE)


async def prepare(url: str) -> dict[str, int]:
    """Build the ledger unless this version of it is there; the counts it holds."""
    from ruralnet.cli import migrate_all

    await ensure_database(url)
    plain = plain_database_url(url)
    conn = await asyncpg.connect(plain)
    try:
        built = None
        if await conn.fetchval("SELECT to_regclass('public.bench_programme_build') IS NOT NULL"):
            built = await conn.fetchval("SELECT version FROM public.bench_programme_build")
    finally:
        await conn.close()
    if built != BUILD_VERSION:
        await ensure_database(url, fresh=True)
        await asyncio.to_thread(migrate_all, url)
        counties = _shanxi_counties()
        sizes = [BIG if c == COUNTY else OTHER for c in counties]
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute("SET synchronous_commit = off; SET work_mem = '256MB'")
            async with conn.transaction():
                await conn.execute(_COUNTIES)
                await conn.execute(
                    "INSERT INTO bench_county "
                    "SELECT unnest($1::text[]), unnest($2::int[]), unnest($3::int[])",
                    counties,
                    [n for n, _ in sizes],
                    [n for _, n in sizes],
                )
                await conn.execute(_LEDGER.replace("{version}", str(BUILD_VERSION)))
        finally:
            await conn.close()
    conn = await asyncpg.connect(plain)
    try:
        # Every run, not only after the build: a VACUUM while another transaction was open
        # on the cluster (a test suite) leaves the visibility map empty, and every
        # index-only scan then reads the heap too (the county's check 2–3× slower).
        await conn.execute(_VACUUM)
        return {
            name: await conn.fetchval(f"SELECT count(*) FROM programme.{name}")
            for name in ("demonstration_county", "project", "project_station", "disbursement")
        }
    finally:
        await conn.close()


def _raw(prefix: str) -> Raw:
    """What the API runs for ``GET /v1/fund-check?division=<prefix>``, and nothing else: the
    answer's JSON text, as the database builds it."""
    check = check_sql(prefix)

    async def run(conn: asyncpg.Connection) -> str:
        answer: str = await conn.fetchval(check)
        return answer

    return run


def served_as_platform(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """The programme app's environment on the bench database, and the headers of a national
    platform's request to it (what the benchmark and ``bench.profile fund_check`` send)."""
    secret = secrets.token_hex(32)
    token = mint_internal_token(
        Principal(subject="bench", role=Role.PLATFORM, division=NATION),
        secret=secret,
        ttl_seconds=3600,
    )
    env = {
        "PROGRAMME_DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": secret,
        "PROGRAMME_LOG_JSON": "true",
        "PROGRAMME_FOLLOW_STATIONS": "false",
    }
    return env, {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Case:
    name: str
    division: str
    load: Load
    goal_ms: float | None


async def run(options: Options) -> list[Figure]:
    url = bench_programme_url()
    counts = await prepare(url)
    env, headers = served_as_platform(url)

    def load(requests: int, warmup: int) -> Load:
        return Load(
            requests=options.scaled(requests),
            concurrency=1,
            seconds=15,
            warmup=max(1, warmup // 10) if options.quick else warmup,
        )

    cases = [
        Case(f"county {COUNTY}: fund check, p50", COUNTY, load(200, 20), GOAL_COUNTY_MS),
        Case(f"province {PROVINCE}, every county: fund check, p50", PROVINCE, load(20, 2), None),
    ]
    api: dict[str, list[Measurement]] = {c.name: [] for c in cases}
    raw: dict[str, list[Measurement]] = {c.name: [] for c in cases}
    breaches: dict[str, int] = {}
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        with ExitStack() as stack:
            base = stack.enter_context(uvicorn_process("services.programme.app:create", env=env))
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
                for case in cases:
                    answer = await client.get("/v1/fund-check", params={"division": case.division})
                    if answer.status_code != 200:
                        raise RuntimeError(f"{case.division}: {answer.status_code} {answer.text}")
                    raw_answer = json.loads(await _raw(case.division)(conn))
                    if answer.json() != raw_answer:
                        raise RuntimeError(
                            f"{case.division}: the API answered {answer.json()['breaches']} "
                            f"breaches, raw SQL {raw_answer['breaches']}, or not the same"
                        )
                    breaches[case.name] = raw_answer["breaches"]
            for i in range(1 if options.quick else ROUNDS):
                for case in cases:
                    statements = _raw(case.division)

                    async def limit(_: int, statements: Raw = statements) -> None:
                        await statements(conn)

                    path = f"{base}/v1/fund-check?division={case.division}"
                    sides = [
                        (
                            api,
                            lambda path=path, case=case: measure(path, case.load, headers=headers),
                        ),
                        (raw, lambda case=case, limit=limit: measure_calls(limit, case.load)),
                    ]
                    for results, timed in sides if i % 2 == 0 else reversed(sides):
                        results[case.name].append(await timed())
    finally:
        await conn.close()
    for case in cases:
        failed = sum(m.errors for m in api[case.name])
        if failed:
            raise RuntimeError(f"{case.division}: {failed} requests answered with an error")

    data = (
        f"{counts['demonstration_county']} counties, {counts['project']:,} projects, "
        f"{counts['project_station']:,} stations, {counts['disbursement']:,} payments"
    )
    figures: list[Figure] = []
    for case in cases:
        for statistic in ("p50", "p95"):
            value = median_of(api[case.name], statistic)
            limit_value = median_of(raw[case.name], statistic)
            goals = [f"goal ≤ {GOAL_RATIO}"]
            if case.goal_ms is not None and statistic == "p50":
                goals.append(f"under {case.goal_ms:,.0f} ms")
            figures.append(
                Figure(
                    case.name.replace("p50", statistic),
                    value, limit_value, "raw asyncpg, same SQL", "ms",
                    higher_is_better=False,
                    note=f"+{value - limit_value:.2f} ms; {breaches[case.name]} breaches; "
                    f"{', '.join(goals)}; {data}",
                )
            )  # fmt: skip
    return figures


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["fund_check"]))
