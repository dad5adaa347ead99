"""Courier indicators of a county, a province and the nation: the API vs the same SQL run by raw asyncpg.

On the national benchmark database (``bench.national`` with ``bench.logistics_data``: real
divisions, 150k village points, coverage of every township and ~70 % of the points'
villages, a year of daily volumes for Shanxi), the logistics service runs under uvicorn in a
process of its own (JSON logs, as in production) and answers
``GET /v1/indicators/coverage?division=…&as_of=…`` for a county (370982 新泰市, the county
with the most stations), a province (14 山西) and the nation, the volumes by month of a
Shanxi county and of the province (``/v1/indicators/volumes``, 12 months), and the first
page of the county's townships without a courier. The limit of each is raw asyncpg on one
connection in this process running the very statements the API runs (the repository's
module constants through ``compile_for_asyncpg``; the division lookup first where the API
makes one: the coverage and gap-list statements read their division themselves) and nothing
else. The county's coverage and gap list are measured against a second limit too: the same
statements answered over HTTP by a bare Starlette + asyncpg app
(``bench.apps:bare_logistics_indicators``). Both sides are timed one request at a time (latency); they take turns over three
rounds, the side going first alternating; each figure is the median round's p50 or p95.

Goals (issue 8): ratio ≤ 1.3; a county under 50 ms and the nation under 3 s.
"""

from typing import Any

from bench.core import Figure, Load, Options
from bench.indicators import Case, api_vs_raw, latency_load, raw_statements
from common.months import add_months, china_today, current_month
from common.pagination import DEFAULT_PAGE_SIZE
from services.logistics.indicators import repository

COUNTY = "370982"  # 新泰市, Shandong: 470 stations, the most of any county
PROVINCE = "14"  # 山西
VOLUME_COUNTY = "141124"  # 临县, Shanxi (the volumes are Shanxi's)
GOAL_COUNTY_MS = 50.0
GOAL_NATION_MS = 3000.0


def _cases(options: Options) -> list[Case]:
    as_of = china_today()
    coverage = {"as_of": as_of, "deliveries": 5}
    last = current_month()
    first = add_months(last, -11)
    volumes = {"first": first, "last": last, "after_last": add_months(last, 1)}
    span = f"from={first:%Y-%m}&to={last:%Y-%m}"

    def load(requests: int, seconds: float, warmup: int) -> Load:
        return latency_load(options, requests, seconds, warmup)

    return [
        Case(
            f"county {COUNTY} coverage indicators, p50",
            f"/v1/indicators/coverage?division={COUNTY}&as_of={as_of}",
            raw_statements(COUNTY, repository.COVERAGE, coverage, one=True),
            load(400, 10, 40),
            GOAL_COUNTY_MS,
            bare=True,
        ),
        Case(
            f"province {PROVINCE} coverage indicators, p50",
            f"/v1/indicators/coverage?division={PROVINCE}&as_of={as_of}",
            raw_statements(PROVINCE, repository.COVERAGE, coverage, one=True),
            load(100, 10, 10),
        ),
        Case(
            "nation coverage indicators, p50",
            f"/v1/indicators/coverage?as_of={as_of}",
            raw_statements(None, repository.COVERAGE, coverage, one=True),
            load(8, 15, 1),
            GOAL_NATION_MS,
        ),
        Case(
            f"county {VOLUME_COUNTY} volumes by month, 12 months, p50",
            f"/v1/indicators/volumes?division={VOLUME_COUNTY}&{span}",
            raw_statements(
                VOLUME_COUNTY, repository.VOLUMES, volumes, one=False, lookup=repository.DIVISION
            ),
            load(400, 10, 40),
            GOAL_COUNTY_MS,
        ),
        Case(
            f"province {PROVINCE} volumes by month, 12 months, p50",
            f"/v1/indicators/volumes?division={PROVINCE}&{span}",
            raw_statements(
                PROVINCE, repository.VOLUMES, volumes, one=False, lookup=repository.DIVISION
            ),
            load(40, 15, 4),
        ),
        Case(
            f"county {COUNTY} townships without a courier, first page, p50",
            f"/v1/indicators/gaps/townships-without-courier?division={COUNTY}&as_of={as_of}",
            raw_statements(
                COUNTY,
                repository.GAPS["townships-without-courier"],
                {"as_of": as_of, "after": "", "limit": DEFAULT_PAGE_SIZE + 1},
                one=False,
            ),
            load(400, 10, 40),
            bare=True,
        ),
    ]


def _compare(path: str, body: Any, row: Any) -> str | None:
    """Coverage cases: the API counts what the raw statement counts."""
    if "/coverage" not in path:
        return None
    got = (
        body["township_coverage"]["total"],
        body["township_coverage"]["reached"],
        body["village_points_with_carrier"]["reached"],
    )
    want = (row["townships"], row["townships_reached"], row["points_reached"])
    return None if got == want else f"the API says {got}, raw SQL {want}"


async def run(options: Options) -> list[Figure]:
    return await api_vs_raw(
        options,
        component="logistics",
        app="services.logistics.app:create",
        cases=_cases(options),
        compare=_compare,
        env={"LOGISTICS_FOLLOW_STATIONS": "false"},
        bare_app="bench.apps:bare_logistics_indicators",
    )


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["logistics_indicators"]))
