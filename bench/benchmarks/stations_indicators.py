"""Network indicators of a county, a province and the nation: the API vs the same SQL run by raw asyncpg.

On the national benchmark database (``bench.national``), the stations service runs under
uvicorn in a process of its own (JSON logs, as in production) and answers
``GET /v1/indicators/network?division=…&month=…`` for a county (370982 新泰市, the county
with the most stations), a province (14 山西) and the nation, plus the county's sales
(``/v1/indicators/sales``, the last 12 finished months) and its first page of villages
without a point (``/v1/indicators/gaps/villages``). The limit of each is raw asyncpg, on one
connection in this process, running the very statements the API runs (the repository's
module constants through ``compile_for_asyncpg``; the division lookup ``DIVISION`` before
sales and gaps, as the API makes it; the network statement reads its division itself) and
nothing else: no HTTP, no token, no session, no JSON. The county's
network indicators and gap list are also measured against the same statements answered over
HTTP by a bare Starlette + asyncpg app (``bench.apps:bare_stations_indicators``). Both sides
are timed one request at a time on one connection (latency, no queueing); they take turns
over three rounds, the side going first alternating, and each figure is the median round's
p50 or p95.

Goals (issue 3): ratio ≤ 1.3; a county under 50 ms and the nation under 3 s through the API.
"""

from typing import Any

from bench.core import Figure, Load, Options
from bench.indicators import Case, api_vs_raw, latency_load, raw_statements
from common.months import add_months, current_month
from common.pagination import DEFAULT_PAGE_SIZE
from services.stations.indicators import repository

COUNTY = "370982"  # 新泰市, Shandong: 470 stations, the most of any county
PROVINCE = "14"  # 山西
GOAL_COUNTY_MS = 50.0
GOAL_NATION_MS = 3000.0


def _cases(options: Options) -> list[Case]:
    month = add_months(current_month(), -1)  # the last finished month, as the API's default
    network = {"month": month, "next_month": add_months(month, 1)}
    first = add_months(month, -11)
    m = f"{month:%Y-%m}"

    def load(requests: int, seconds: float, warmup: int) -> Load:
        return latency_load(options, requests, seconds, warmup)

    return [
        Case(
            f"county {COUNTY} network indicators, p50",
            f"/v1/indicators/network?division={COUNTY}&month={m}",
            raw_statements(COUNTY, repository.NETWORK, network, one=True),
            load(400, 10, 40),
            GOAL_COUNTY_MS,
            bare=True,
        ),
        Case(
            f"province {PROVINCE} network indicators, p50",
            f"/v1/indicators/network?division={PROVINCE}&month={m}",
            raw_statements(PROVINCE, repository.NETWORK, network, one=True),
            load(100, 10, 10),
        ),
        Case(
            "nation network indicators, p50",
            f"/v1/indicators/network?month={m}",
            raw_statements(None, repository.NETWORK, network, one=True),
            load(8, 15, 1),
            GOAL_NATION_MS,
        ),
        Case(
            f"county {COUNTY} sales, 12 months, p50",
            f"/v1/indicators/sales?division={COUNTY}&from={first:%Y-%m}&to={m}",
            raw_statements(
                COUNTY,
                repository.SALES,
                {"first": first, "last": month},
                one=False,
                lookup=repository.DIVISION,
            ),
            load(400, 10, 40),
        ),
        Case(
            f"county {COUNTY} villages without a point, first page, p50",
            f"/v1/indicators/gaps/villages?division={COUNTY}",
            raw_statements(
                COUNTY,
                repository.GAPS["villages"],
                {"after": "", "limit": DEFAULT_PAGE_SIZE + 1},
                one=False,
                lookup=repository.DIVISION,
            ),
            load(400, 10, 40),
            bare=True,
        ),
    ]


def _compare(path: str, body: Any, row: Any) -> str | None:
    """Network cases: the API counts what the raw statement counts."""
    if "/network" not in path:
        return None
    got = (
        body["township_coverage"]["total"],
        body["village_coverage"]["covered"],
        body["reporting"]["reported"],
    )
    want = (row["townships"], row["villages_covered"], row["reported"])
    return None if got == want else f"the API says {got}, raw SQL {want}"


async def run(options: Options) -> list[Figure]:
    return await api_vs_raw(
        options,
        component="stations",
        app="services.stations.app:create",
        cases=_cases(options),
        compare=_compare,
        bare_app="bench.apps:bare_stations_indicators",
    )


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["stations_indicators"]))
