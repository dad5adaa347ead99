"""Rules of county statistics and main products (docs/adr/0041).

- A figure is one of the vocabulary's codes that officials record; it is kept per county,
  period kind (month, quarter, year) and period, with its source. A different value or
  source makes the next revision (history kept); the same again changes nothing.
- Periods are recorded once over (China time): a running period's figures are not final.
- Growth is computed, never recorded: the same figure for the same period a year before.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.authz import require_division_writer
from common.bulkwrite import Database
from common.changefeed import record_change
from common.errors import Conflict, NotFound, Problem, Unprocessable, all_problems
from common.etag import check_if_match
from common.identifiers import (
    PREFIX_LENGTH,
    DivisionLevel,
    InvalidDivisionCode,
    division_level,
    normalize_division_code,
)
from common.indicators import VOCABULARY, IndicatorCode, IndicatorUnit
from common.periods import Period, PeriodKind
from services.programme.changes.models import ProgrammeChangeEvent
from services.programme.statistics import repository
from services.programme.statistics.models import (
    RECORDED_FIGURES,
    CountyStatistic,
    CountyStatisticRevision,
    MainProduct,
    ProductCategory,
    StatisticSource,
)
from services.programme.statistics.schemas import (
    Count,
    FigureIn,
    Growth,
    PeriodStatistics,
    ProductIn,
    ProductList,
    ProductOut,
    ProductPatch,
    ProductsOnline,
    RevisionOut,
    Revisions,
    StatisticOut,
    StatisticsIndicators,
    StatisticsList,
    StatisticsPut,
)

MAX_PRODUCTS = 500
_NAMES = ", ".join(RECORDED_FIGURES)


def _authorize(principal: Principal, county_code: str) -> None:
    require_division_writer(
        principal, county_code, doing="record county statistics", doing_zh="填报县域统计数据"
    )


# --- statistics ----------------------------------------------------------------------


def _figure_problem(index: int, figure: FigureIn, seen: set[str]) -> Problem | None:
    where = f"figures[{index}]"
    if figure.figure not in RECORDED_FIGURES:
        return Unprocessable(
            f"{where}.figure: {figure.figure!r} is not a figure counties record; one of {_NAMES}",
            detail_zh=f"{where}.figure:{figure.figure!r} 不是县域统计指标",
            code="unknown_figure",
            field=f"{where}.figure",
        )
    if figure.figure in seen:
        return Unprocessable(
            f"{where}.figure: {figure.figure} is sent twice",
            detail_zh=f"{where}.figure:{figure.figure} 重复",
            code="duplicate_figure",
            field=f"{where}.figure",
        )
    seen.add(figure.figure)
    definition = VOCABULARY[IndicatorCode(figure.figure)]
    if figure.value < 0:
        return Unprocessable(
            f"{where}.value: {figure.figure} cannot be negative",
            detail_zh=f"{where}.value:{definition.name_zh} 不能为负数",
            code="negative_figure",
            field=f"{where}.value",
        )
    whole = definition.unit is not IndicatorUnit.YUAN
    if whole and figure.value != figure.value.to_integral_value():
        return Unprocessable(
            f"{where}.value: {figure.figure} is a count; {figure.value} is not a whole number",
            detail_zh=f"{where}.value:{definition.name_zh} 应为整数",
            code="not_whole_number",
            field=f"{where}.value",
        )
    return None


def _statistic_out(row: CountyStatistic) -> StatisticOut:
    return StatisticOut(
        figure=row.figure,
        value=row.value,
        source=StatisticSource(row.source),
        source_note=row.source_note,
        revision=row.revision,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


def _period_of(row: CountyStatistic) -> Period:
    return Period(PeriodKind(row.period_kind), row.period_start)


async def record(
    session: AsyncSession,
    county_code: str,
    period: Period,
    body: StatisticsPut,
    principal: Principal,
) -> PeriodStatistics:
    _authorize(principal, county_code)
    seen: set[str] = set()
    problems = [
        p for i, f in enumerate(body.figures) if (p := _figure_problem(i, f, seen)) is not None
    ]
    problem = all_problems(
        problems,
        code="invalid_figures",
        detail=f"{len(problems)} figures are invalid",
        detail_zh=f"{len(problems)} 项数据有误",
    )
    if problem is not None:
        raise problem
    names = [f.figure for f in body.figures]
    current = await repository.statistics_for_update(session, county_code, period, names)
    changed: list[CountyStatistic] = []
    for figure in body.figures:
        value = figure.value.quantize(Decimal("0.01"))
        row = current.get(figure.figure)
        if row is None:
            row = CountyStatistic(
                county_code=county_code,
                period_kind=period.kind.value,
                period_start=period.start,
                figure=figure.figure,
                revision=1,
            )
            session.add(row)
        elif (row.value, row.source, row.source_note) == (
            value,
            figure.source.value,
            figure.source_note,
        ):
            continue
        else:
            row.revision += 1
        row.value = value
        row.source = figure.source.value
        row.source_note = figure.source_note
        row.recorded_by = principal.subject
        changed.append(row)
    await session.flush()
    for row in changed:
        await session.refresh(row)
        session.add(
            CountyStatisticRevision(
                statistic_id=row.id,
                revision=row.revision,
                value=row.value,
                source=row.source,
                source_note=row.source_note,
                recorded_by=row.recorded_by,
            )
        )
        record_change(
            session,
            ProgrammeChangeEvent,
            topic="county_statistic",
            key=f"{county_code}:{period.label}:{row.figure}",
            action="recorded",
            version=row.revision,
            payload={
                "county_code": county_code,
                "period": period.label,
                "period_kind": period.kind.value,
                "figure": row.figure,
                "value": str(row.value),
                "source": row.source,
            },
        )
    await session.flush()
    rows = await repository.statistics_of(
        session, county_code, kind=period.kind.value, first=period.start, last=period.start
    )
    return PeriodStatistics(
        county_code=county_code,
        period=period.label,
        period_kind=period.kind,
        figures=[_statistic_out(r) for r in rows],
    )


async def list_statistics(
    session: AsyncSession,
    county_code: str,
    *,
    kind: PeriodKind | None,
    first: date | None,
    last: date | None,
) -> StatisticsList:
    rows = await repository.statistics_of(
        session, county_code, kind=kind.value if kind else None, first=first, last=last
    )
    by_period: dict[Period, list[StatisticOut]] = defaultdict(list)
    for row in rows:
        by_period[_period_of(row)].append(_statistic_out(row))
    return StatisticsList(
        county_code=county_code,
        items=[
            PeriodStatistics(
                county_code=county_code, period=p.label, period_kind=p.kind, figures=figures
            )
            for p, figures in sorted(by_period.items(), key=lambda item: item[0].start)
        ],
    )


async def revisions(
    session: AsyncSession, county_code: str, period: Period, figure: str
) -> Revisions:
    rows = await repository.revisions(session, county_code, period, figure)
    if not rows:
        raise NotFound(
            f"no {figure} recorded for {county_code} in {period.label}",
            detail_zh=f"{county_code} {period.label_zh}没有填报 {figure}",
            code="statistic_not_found",
        )
    return Revisions(
        county_code=county_code,
        period=period.label,
        figure=figure,
        items=[
            RevisionOut(
                revision=r.revision,
                value=r.value,
                source=StatisticSource(r.source),
                source_note=r.source_note,
                recorded_by=r.recorded_by,
                recorded_at=r.recorded_at,
            )
            for r in rows
        ],
    )


def division_prefix_of(raw: str | None) -> str:
    """The code prefix of a county, prefecture or province (empty for the nation)."""
    if raw is None:
        return ""
    try:
        code = normalize_division_code(raw)
        level = division_level(code)
    except InvalidDivisionCode as e:
        raise Unprocessable(
            str(e),
            detail_zh=f"{raw!r} 不是有效的统计用区划代码",
            code="invalid_division_code",
            field="division",
            location="query",
        ) from e
    if level in (DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE):
        raise Unprocessable(
            f"{code} is a {level}; county statistics are kept per county and summed above",
            detail_zh=f"{code} 是乡村级区划;县域统计按县填报",
            code="below_county",
            field="division",
            location="query",
        )
    return code[: PREFIX_LENGTH[level]]


def _growth(sums: repository.FigureSums | None) -> Growth:
    if sums is None:
        return Growth(value=None, year_before=None, growth=None, counties=0, compared_counties=0)
    growth = None
    if sums.year_before and sums.compared is not None:
        growth = round(float((sums.compared - sums.year_before) / sums.year_before), 4)
    return Growth(
        value=sums.value,
        year_before=sums.year_before,
        growth=growth,
        counties=sums.counties,
        compared_counties=sums.compared_counties,
    )


def _count(sums: repository.FigureSums | None) -> Count:
    return Count(value=sums.value if sums else None, counties=sums.counties if sums else 0)


async def indicators(db: Database, prefix: str, period: Period) -> StatisticsIndicators:
    sums, online, total = await repository.indicator_sums(db, prefix, period)
    return StatisticsIndicators(
        division=prefix or None,
        period=period.label,
        rural_online_retail=_growth(sums.get("rural_online_retail")),
        farm_produce_online_retail=_growth(sums.get("farm_produce_online_retail")),
        online_shops=_count(sums.get("online_shops")),
        employment=_count(sums.get("ecommerce_employment")),
        main_products_online=ProductsOnline(
            online=online, total=total, rate=round(online / total, 4) if total else None
        ),
    )


# --- main products ---------------------------------------------------------------------


def _product_out(row: MainProduct) -> ProductOut:
    return ProductOut(
        id=row.id,
        county_code=row.county_code,
        name=row.name,
        category=ProductCategory(row.category),
        sold_online=row.sold_online,
        channels=list(row.channels),
        version=row.version,
        updated_at=row.updated_at,
    )


async def products(session: AsyncSession, county_code: str) -> ProductList:
    rows = await repository.products_of(session, county_code)
    return ProductList(
        county_code=county_code,
        items=[_product_out(r) for r in rows],
        online=sum(1 for r in rows if r.sold_online),
        total=len(rows),
    )


def _check_channels(sold_online: bool, channels: Sequence[str]) -> None:
    if channels and not sold_online:
        raise Unprocessable(
            "channels are where a product is sold online; set sold_online too",
            detail_zh="填写了网上销售渠道,请同时勾选已在网上销售",
            code="channels_without_online_sales",
            field="channels",
        )


async def _name_free(session: AsyncSession, county_code: str, name: str) -> None:
    if await repository.product_named(session, county_code, name) is not None:
        raise Conflict(
            f"{name} is on the list already",
            detail_zh=f"{name} 已在主要农村产品名录中",
            code="product_exists",
            field="name",
        )


async def add_product(
    session: AsyncSession, county_code: str, body: ProductIn, principal: Principal
) -> ProductOut:
    _authorize(principal, county_code)
    _check_channels(body.sold_online, body.channels)
    await _name_free(session, county_code, body.name)
    if await repository.product_count(session, county_code) >= MAX_PRODUCTS:
        raise Conflict(
            f"a county's list holds at most {MAX_PRODUCTS} products",
            detail_zh=f"每个县最多 {MAX_PRODUCTS} 种主要农村产品",
            code="too_many_products",
        )
    row = MainProduct(
        county_code=county_code,
        name=body.name,
        category=body.category.value,
        sold_online=body.sold_online,
        channels=body.channels,
        version=1,
        updated_by=principal.subject,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return _product_out(row)


async def _product(session: AsyncSession, county_code: str, product_id: int) -> MainProduct:
    row = await repository.product_for_update(session, county_code, product_id)
    if row is None:
        raise NotFound(
            f"county {county_code} has no product {product_id}",
            detail_zh=f"{county_code} 没有编号为 {product_id} 的产品",
            code="product_not_found",
        )
    return row


async def update_product(
    session: AsyncSession,
    county_code: str,
    product_id: int,
    patch: ProductPatch,
    principal: Principal,
    if_match: str | None,
) -> ProductOut:
    _authorize(principal, county_code)
    row = await _product(session, county_code, product_id)
    check_if_match(if_match, row.version)
    fields = patch.model_fields_set
    for name in ("name", "category", "sold_online"):
        if name in fields and getattr(patch, name) is None:
            raise Unprocessable(
                f"{name} cannot be removed",
                detail_zh=f"{name} 不能为空",
                code="required_field",
                field=name,
            )
    if patch.name is not None and patch.name != row.name:
        await _name_free(session, county_code, patch.name)
        row.name = patch.name
    if patch.category is not None:
        row.category = patch.category.value
    if patch.sold_online is not None:
        row.sold_online = patch.sold_online
    if "channels" in fields:
        row.channels = patch.channels or []
    elif patch.sold_online is False:
        row.channels = []
    _check_channels(row.sold_online, row.channels)
    row.version += 1
    row.updated_by = principal.subject
    await session.flush()
    await session.refresh(row)
    return _product_out(row)


async def remove_product(
    session: AsyncSession, county_code: str, product_id: int, principal: Principal
) -> None:
    _authorize(principal, county_code)
    row = await _product(session, county_code, product_id)
    await session.delete(row)
    await session.flush()
