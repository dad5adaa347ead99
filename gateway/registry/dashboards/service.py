"""A division's dashboard: every indicator of the vocabulary for the division and each child
division in the period, beside every target each is measured against, with a status per
target (ADR 0071).

One call per (division, route) for the period, one for the targets of each county (a single
paged list for prefectures and provinces), and one more per (division, route) for each
distinct window a flow target counts over (from its set's year to its deadline, or its own
year), all at once under the fan-out limit.
"""

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from common.authz import require_division_reader
from common.errors import Unprocessable
from common.identifiers import (
    DivisionLevel,
    InvalidDivisionCode,
    division_level,
    normalize_division_code,
)
from common.indicators import VOCABULARY, ComputingService, IndicatorCode, IndicatorKind
from common.pagination import MAX_PAGE_SIZE
from gateway.registry.caller import Caller
from gateway.registry.dashboards import status as rule
from gateway.registry.dashboards.figures import Figures, figures
from gateway.registry.dashboards.schemas import (
    Dashboard,
    DivisionRow,
    IndicatorInfo,
    PeriodOut,
    TargetRow,
)
from gateway.registry.dashboards.targets import Division, applicable_sets
from gateway.registry.divisions import division_not_found, divisions_unavailable
from gateway.registry.periods import Window
from gateway.registry.schemas import PartError
from gateway.registry.upstream import PartFailed, Upstream

DASHBOARD_LEVELS = (DivisionLevel.PROVINCE, DivisionLevel.PREFECTURE, DivisionLevel.COUNTY)
SORTS = ("worst", "code")
_LEVEL_ZH = {
    "province": "省",
    "prefecture": "市",
    "county": "县",
    "township": "乡",
    "village": "村",
}


def dashboard_division(raw: str) -> str:
    """The 12-digit code of a province, prefecture or county (2, 4, 6 or 12 digits)."""
    try:
        code = normalize_division_code(raw)
        level = division_level(code)
    except InvalidDivisionCode as e:
        raise Unprocessable(
            e.message, detail_zh=e.message_zh, code="invalid_division_code",
            field="division", location="path",
        ) from None  # fmt: skip
    if level not in DASHBOARD_LEVELS:
        raise Unprocessable(
            f"{raw} is a {level} code; dashboards are of a province, prefecture or county",
            detail_zh=f"{raw} 是{_LEVEL_ZH[level]}级代码,仪表盘按省、市、县查看",
            code="wrong_division_level",
            field="division",
            location="path",
        )
    return code


def check_sort(sort: str) -> str:
    if sort in SORTS or sort in VOCABULARY:
        return sort
    raise Unprocessable(
        f"sort must be worst, code or an indicator code (GET /programme/v1/indicators); "
        f"got {sort!r}",
        detail_zh="sort 应为 worst、code 或指标代码",
        code="invalid_sort",
        field="sort",
        location="query",
    )


def checked(caller: Caller, raw_division: str, sort: str) -> tuple[str, str]:
    """The division's 12-digit code and the sort, if the caller may read its dashboard."""
    code = dashboard_division(raw_division)
    sort = check_sort(sort)
    require_division_reader(
        caller.principal, code, doing="read a division's dashboard", doing_zh="查看该地区的仪表盘"
    )
    return code, sort


async def check_division(upstream: Upstream, caller: Caller, code: str) -> None:
    """The division exists in the stations service's reference data."""
    try:
        await upstream.get(caller, "stations", f"/v1/divisions/{code}", part="division")
    except PartFailed as e:
        if e.error.status == 404:
            raise division_not_found(code, location="path") from e
        raise divisions_unavailable(code, e.error.code) from e


async def _division_and_children(
    upstream: Upstream, caller: Caller, code: str
) -> tuple[Division, list[Division]]:
    def essential(e: PartFailed) -> Exception:
        if e.error.status == 404:
            return division_not_found(code, location="path")
        return divisions_unavailable(code, e.error.code)

    try:
        found, children = await asyncio.gather(
            upstream.get(caller, "stations", f"/v1/divisions/{code}", part="division"),
            upstream.get(
                caller,
                "stations",
                f"/v1/divisions/{code}/children",
                {"limit": MAX_PAGE_SIZE},
                part="children",
            ),
        )
    except PartFailed as e:
        raise essential(e) from e
    division = Division(found["code"], found["name"], DivisionLevel(found["level"]))
    return division, [
        Division(c["code"], c["name"], DivisionLevel(c["level"])) for c in children["items"]
    ]


def _target_window(target: dict[str, Any], set_year: int, window: Window) -> Window:
    """What a target's figure counts over (ADR 0040): stocks and growth, and programme's
    statistics (recorded per period), the dashboard's period; a per-year flow its year up to
    the period's end; any other flow from its set's year to its deadline (or the period's
    end, whichever is first)."""
    definition = VOCABULARY[IndicatorCode(target["indicator"])]
    if (
        definition.kind is not IndicatorKind.FLOW
        or definition.service is ComputingService.PROGRAMME
    ):
        return window
    if target.get("period") == "year":
        return Window(window.period, date(window.last.year, 1, 1), window.last)
    first = min(date(set_year, 1, 1), window.last)
    deadline = date.fromisoformat(target["deadline"]) if target.get("deadline") else None
    last = min(deadline, window.last) if deadline else window.last
    return Window(window.period, first, max(first, last))


async def dashboard(
    upstream: Upstream, caller: Caller, raw_division: str, window: Window, sort: str
) -> Dashboard:
    code, sort = checked(caller, raw_division, sort)
    division, children = await _division_and_children(upstream, caller, code)
    rows, errors = await measure(upstream, caller, [division, *children], window)
    head, *rest = rows
    return Dashboard(
        generated_at=datetime.now(UTC),
        period=PeriodOut(label=window.label, first=window.first, last=window.last),
        partial=bool(errors),
        errors=sorted(errors, key=lambda e: (e.part, e.service)),
        indicators=[
            IndicatorInfo(
                code=d.code.value,
                name_zh=d.name_zh,
                unit=d.unit,
                kind=d.kind,
                service=d.service.value,
            )
            for d in VOCABULARY.values()
        ],
        division=head,
        sort=sort,
        children=sort_rows(rest, sort),
    )


async def measure(
    upstream: Upstream, caller: Caller, divisions: list[Division], window: Window
) -> tuple[list[DivisionRow], list[PartError]]:
    """Every indicator of the vocabulary for each division in the window, beside every
    target it is measured against; what could not be read is in the errors. The report
    documents measure a division the same way (``gateway/reports``)."""
    limit = asyncio.Semaphore(upstream.fanout)
    period_figures, (sets, target_errors) = await asyncio.gather(
        asyncio.gather(
            *(figures(upstream, caller, d.prefix, d.level, window, limit=limit) for d in divisions)
        ),
        applicable_sets(upstream, caller, divisions, limit=limit),
    )
    errors: list[PartError] = [*target_errors]
    for found in period_figures:
        errors.extend(found.errors)

    # Flow targets counted over their own windows: one more call per (division, route, window).
    wanted: dict[tuple[str, date, date], set[IndicatorCode]] = {}
    windows: dict[tuple[str, date, date], Window] = {}
    for d in divisions:
        for target_set in sets[d.code]:
            for target in target_set["targets"]:
                w = _target_window(target, target_set["year"], window)
                if (w.first, w.last) != (window.first, window.last):
                    key = (d.code, w.first, w.last)
                    wanted.setdefault(key, set()).add(IndicatorCode(target["indicator"]))
                    windows[key] = w
    by_code = {d.code: d for d in divisions}
    keys = list(wanted)
    extra: list[Figures] = await asyncio.gather(
        *(
            figures(
                upstream,
                caller,
                by_code[k[0]].prefix,
                by_code[k[0]].level,
                windows[k],
                [VOCABULARY[c] for c in sorted(wanted[k])],
                limit=limit,
            )
            for k in keys
        )
    )
    windowed = dict(zip(keys, extra, strict=True))
    for found in extra:
        errors.extend(found.errors)

    rows = []
    for d, found in zip(divisions, period_figures, strict=True):
        targets = []
        for target_set in sets[d.code]:
            for target in target_set["targets"]:
                w = _target_window(target, target_set["year"], window)
                source = windowed.get((d.code, w.first, w.last), found)
                targets.append(_target_row(target_set, target, w, source.values))
        rows.append(_row(d, found.values, targets))
    return rows, errors


def _target_row(
    target_set: dict[str, Any],
    target: dict[str, Any],
    window: Window,
    values: dict[str, Decimal | None],
) -> TargetRow:
    definition = VOCABULARY[IndicatorCode(target["indicator"])]
    value = values.get(target["indicator"])
    goal = Decimal(str(target["value"]))
    deadline = date.fromisoformat(target["deadline"]) if target.get("deadline") else None
    found = rule.status(
        value=value,
        comparator=target["comparator"],
        target=goal,
        kind=definition.kind,
        per_year=target.get("period") == "year",
        set_year=target_set["year"],
        deadline=deadline,
        as_of=window.last,
    )
    return TargetRow(
        target_set=target_set["code"],
        target_set_title=target_set["title"],
        indicator=target["indicator"],
        indicator_name_zh=definition.name_zh,
        unit=definition.unit,
        comparator=target["comparator"],
        target=goal,
        deadline=deadline,
        per_year=target.get("period") == "year",
        clause=target.get("clause"),
        counted_from=window.first,
        counted_to=window.last,
        value=value,
        gap=rule.gap(value, target["comparator"], goal),
        status=found,
        status_zh=rule.STATUS_ZH[found],
    )


def _row(
    division: Division, values: dict[str, Decimal | None], targets: list[TargetRow]
) -> DivisionRow:
    statuses = dict.fromkeys(rule.SEVERITY, 0)
    for t in targets:
        statuses[t.status] += 1
    worst = next((s for s in rule.SEVERITY if statuses[s]), None)
    return DivisionRow(
        code=division.code,
        name=division.name,
        level=division.level.value,
        values=values,
        targets=targets,
        worst=worst,
        statuses={s: n for s, n in statuses.items() if n},
    )


def _shortfall(row: DivisionRow) -> Decimal:
    """The largest gap of a row as a share of its target: who is furthest away."""
    shares = [t.gap / t.target for t in row.targets if t.gap is not None and t.target > 0]
    return max(shares, default=Decimal(0))


def sort_rows(rows: list[DivisionRow], sort: str) -> list[DivisionRow]:
    if sort == "code":
        return sorted(rows, key=lambda r: r.code)
    if sort == "worst":
        last = len(rule.SEVERITY)
        return sorted(
            rows,
            key=lambda r: (
                rule.SEVERITY.index(r.worst) if r.worst else last,
                -_shortfall(r),
                r.code,
            ),
        )
    # An indicator: lowest first (the worst for every "at least" target), no figure last.
    return sorted(
        rows,
        key=lambda r: (r.values.get(sort) is None, r.values.get(sort) or Decimal(0), r.code),
    )
