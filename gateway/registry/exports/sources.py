"""The registry's lists as export tables: the station list, the gap lists and a dashboard,
each read through the same route and filters as its JSON, on the caller's behalf, so every
row is masked exactly as the JSON shows it to that caller.

Lists are walked a source page at a time (500 stations, a batch of gaps), never held whole.
"""

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from common.pagination import MAX_PAGE_SIZE
from gateway.registry.caller import Caller
from gateway.registry.dashboards.schemas import Dashboard, DivisionRow
from gateway.registry.dashboards.status import STATUS_ZH
from gateway.registry.exports.tables import (
    SERVICE_ZH,
    STATION_STATUS_ZH,
    TIER_ZH,
    Column,
    Kind,
    Row,
    Table,
)
from gateway.registry.gaps import service as gaps
from gateway.registry.gaps.schemas import GapKind, GapRow
from gateway.registry.periods import Window
from gateway.registry.upstream import PartFailed, Upstream

# Stations asked per call: the stations list's largest page.
PAGE = MAX_PAGE_SIZE
# The filters of ``GET /stations/v1/stations`` an export passes on as the caller gave them.
STATION_FILTERS = (
    "under",
    "tier",
    "status",
    "service",
    "poor_village",
    "demonstration_county",
    "near",
    "radius_m",
    "bbox",
    "crs",
)

STATION_COLUMNS = [
    Column("code", "站点编码", width=18),
    Column("tier", "站点层级"),
    Column("name", "站点名称", width=30),
    Column("division_code", "区划代码", width=14),
    Column("division_name", "所在区划", width=16),
    Column("county_code", "县级区划代码", width=14),
    Column("parent", "上级站点编码", width=18),
    Column("status", "状态", width=8),
    Column("lon", "经度", Kind.NUMBER, width=12),
    Column("lat", "纬度", Kind.NUMBER, width=12),
    Column("crs", "坐标系", width=8),
    Column("address", "地址", width=30),
    Column("operator_name", "运营人", width=10),
    Column("operator_phone", "运营人电话", width=14),
    Column("company_name", "承办企业", width=30),
    Column("company_credit_code", "统一社会信用代码", width=20),
    Column("services", "服务项目", width=40),
    Column("operating_since", "开始运营日期", Kind.DATE, width=12),
    Column("version", "版本", Kind.NUMBER, width=6),
    Column("updated_at", "更新时间", Kind.DATETIME, width=20),
]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> datetime | None:
    # Spreadsheets have no time zones: the time as the service wrote it, offset dropped.
    return datetime.fromisoformat(value).replace(tzinfo=None) if value else None


def station_row(s: dict[str, Any]) -> Row:
    location = s.get("location") or {}
    operator = s.get("operator") or {}
    company = s.get("company") or {}
    return (
        s["code"],
        TIER_ZH.get(s["tier"], s["tier"]),
        s["name"],
        s["division_code"],
        s.get("division_name"),
        s.get("county_code"),
        s.get("parent"),
        STATION_STATUS_ZH.get(s["status"], s["status"]),
        location.get("lon"),
        location.get("lat"),
        s.get("crs"),
        s.get("address"),
        operator.get("name"),
        operator.get("phone"),
        company.get("name"),
        company.get("credit_code"),
        "、".join(SERVICE_ZH.get(x, x) for x in s.get("services") or []),
        _date(s.get("operating_since")),
        s.get("version"),
        _datetime(s.get("updated_at")),
    )


async def station_pages(
    upstream: Upstream, caller: Caller, filters: Sequence[tuple[str, str]]
) -> AsyncIterator[list[Row]]:
    """Every station the filters select, a page of the stations service at a time."""
    query: list[tuple[str, str | int]] = [*filters, ("limit", PAGE)]
    while True:
        page = await upstream.get(caller, "stations", "/v1/stations", query, part="stations")
        yield [station_row(s) for s in page["items"]]
        following = page.get("next")
        if not following:
            return
        query = [*filters, ("limit", PAGE), ("cursor", _cursor_of(following))]


def _cursor_of(link: str) -> str:
    return httpx.URL(link).params["cursor"]


GAP_COLUMNS = [
    Column("division_code", "区划代码", width=14),
    Column("division_name", "区划名称", width=16),
    Column("station_code", "站点编码", width=18),
    Column("station_name", "站点名称", width=30),
    Column("station_status", "站点状态", width=8),
    Column("reasons", "原因代码", width=24),
    Column("reason_zh", "原因", width=40),
]


def gap_row(g: GapRow) -> Row:
    status = g.station_status
    return (
        g.division_code,
        g.division_name,
        g.station_code,
        g.station_name,
        STATION_STATUS_ZH.get(status, status) if status else None,
        ",".join(g.reasons),
        g.reason_zh,
    )


async def gap_pages(
    upstream: Upstream, caller: Caller, kind: GapKind, prefix: str | None, window: Window
) -> AsyncIterator[list[Row]]:
    """The whole list, as the JSON route's pages would give it one after another."""
    start: tuple[str | None, str] = (None, "")
    while True:
        rows, following = await gaps.walk(
            upstream, caller, kind, prefix, window, MAX_PAGE_SIZE, start
        )
        yield [gap_row(g) for g in rows]
        if following is None:
            return
        start = (following[0], following[1])


DASHBOARD_COLUMNS = [
    Column("period", "统计期", width=10),
    Column("division_code", "区划代码", width=14),
    Column("division_name", "区划名称", width=16),
    Column("level", "层级", width=8),
    Column("indicator", "指标代码", width=28),
    Column("indicator_name_zh", "指标名称", width=30),
    Column("unit", "单位", width=10),
    Column("value", "数值", Kind.NUMBER, width=12),
    Column("target_set", "目标来源", width=16),
    Column("comparator", "比较", width=6),
    Column("target", "目标值", Kind.NUMBER, width=10),
    Column("gap", "差距", Kind.NUMBER, width=10),
    Column("deadline", "截止日期", Kind.DATE, width=12),
    Column("counted_from", "统计起", Kind.DATE, width=12),
    Column("counted_to", "统计止", Kind.DATE, width=12),
    Column("status", "状态", width=10),
]
UNIT_ZH = {
    "percent": "%",
    "growth_percent": "同比%",
    "count": "个",
    "persons": "人",
    "people_times": "人次",
    "persons_per_village": "人/村",
    "yuan": "元",
}
LEVEL_ZH = {"province": "省", "prefecture": "市", "county": "县", "township": "乡镇"}
COMPARATOR_ZH = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}


def dashboard_rows(board: Dashboard) -> Iterable[Row]:
    """One row per division, indicator and target it is measured against (one row without
    target columns for an indicator no target names): the long format a spreadsheet filters
    and pivots."""
    for division in [board.division, *board.children]:
        yield from _division_rows(board, division)


def _division_rows(board: Dashboard, d: DivisionRow) -> Iterable[Row]:
    head = (board.period.label, d.code, d.name, LEVEL_ZH.get(d.level, d.level))
    for info in board.indicators:
        targets = [t for t in d.targets if t.indicator == info.code]
        if info.code not in d.values and not targets:
            continue  # not asked at this level, or its service failed (see `errors`)
        figure: tuple[Any, ...] = (info.code, info.name_zh, UNIT_ZH.get(info.unit, info.unit))
        value: Decimal | None = d.values.get(info.code)
        if not targets:
            yield (*head, *figure, value, *([None] * 8))
        for t in targets:
            yield (
                *head,
                *figure,
                t.value,
                t.target_set,
                COMPARATOR_ZH.get(t.comparator, t.comparator),
                t.target,
                t.gap,
                t.deadline,
                t.counted_from,
                t.counted_to,
                STATUS_ZH[t.status],
            )


async def _once(rows: list[Row]) -> AsyncIterator[list[Row]]:
    yield rows


async def no_rows() -> AsyncIterator[list[Row]]:
    """The batches of a table only named, not read (an export asked for, built later)."""
    return
    yield


def dashboard_table(board: Dashboard) -> Table:
    return Table(
        filename=f"dashboard-{board.division.code}-{board.period.label}",
        filename_zh=f"{board.division.name}目标进度-{board.period.label}",
        sheet_zh="目标进度",
        columns=DASHBOARD_COLUMNS,
        batches=_once(list(dashboard_rows(board))),
    )


def station_table(upstream: Upstream, caller: Caller, filters: Sequence[tuple[str, str]]) -> Table:
    under = dict(filters).get("under") or "all"
    return Table(
        filename=f"stations-{under}",
        filename_zh=f"站点名录-{under}",
        sheet_zh="站点名录",
        columns=STATION_COLUMNS,
        batches=station_pages(upstream, caller, filters),
    )


def gap_table(
    upstream: Upstream,
    caller: Caller,
    kind: GapKind,
    division: str | None,
    prefix: str | None,
    window: Window,
) -> Table:
    scope = division or "all"
    return Table(
        filename=f"gaps-{kind}-{scope}-{window.label}",
        filename_zh=f"缺口清单-{GAP_TITLE_ZH[kind]}-{scope}-{window.label}",
        sheet_zh="缺口清单",
        columns=GAP_COLUMNS,
        batches=gap_pages(upstream, caller, kind, prefix, window),
    )


GAP_TITLE_ZH = {
    GapKind.POINTS_WITHOUT_CARRIER: "无快递覆盖的村级服务点",
    GapKind.POINTS_WITHOUT_TRAINED: "无人培训的村",
    GapKind.TOWNSHIPS_WITHOUT_COURIER: "无快递覆盖的乡镇",
    GapKind.POOR_VILLAGES_UNSERVED: "未获服务的贫困村",
}


async def started(batches: AsyncIterator[list[Row]]) -> AsyncIterator[list[Row]]:
    """``batches`` with its first batch already read: a problem with the request (a filter
    the service refuses, a division outside the caller's scope) is raised here, before a
    byte of the file is sent, and becomes the caller's 4xx. A failure later cannot change
    the status any more; the download is then cut off, never completed short."""
    try:
        first = await anext(batches)
    except StopAsyncIteration:
        first = []
    except PartFailed as e:
        raise e.relayed() from e

    async def replay() -> AsyncIterator[list[Row]]:
        yield first
        async for batch in batches:
            yield batch

    return replay()
