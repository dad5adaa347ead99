"""The rules of the divisions domain: which codes are valid, which flags fit which level, who
may set them, what a row of a bulk upload says (``common.bulk`` reads the upload) and how each
row is answered. Flushes, never commits.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.authz import require_division_writer, require_province_writer, require_role
from common.bulk import BulkRow, CsvColumns, Source, read_bulk
from common.changefeed import record_change
from common.errors import NotFound, Problem, Unprocessable
from common.etag import check_if_match
from common.identifiers import (
    PREFIX_LENGTH,
    DivisionClass,
    DivisionLevel,
    InvalidDivisionCode,
    division_level,
    normalize_division_code,
)
from common.pagination import PageParams
from services.stations.changes.models import StationsChangeEvent
from services.stations.divisions import repository
from services.stations.divisions.models import Division, DivisionFlag
from services.stations.divisions.repository import DivisionRecord, FlagValues, SearchFilters
from services.stations.divisions.schemas import (
    DivisionDetail,
    DivisionFlags,
    DivisionRef,
    DivisionSummary,
    FlagRow,
    FlagRowResult,
    FlagsBulkResult,
    FlagsUpdate,
)

# The 电子商务进农村综合示范 programme named its first batch of demonstration counties in 2014.
DEMONSTRATION_FIRST_YEAR = 2014
FLAG_FIELDS = ("poverty_county", "poor_village", "demonstration_year")
FLAG_TOPIC = "division_flag"


# ---------------------------------------------------------------------------------------------
# Codes


def parse_code(raw: str, *, field_name: str = "code", location: str = "path") -> str:
    """A 12-digit code from a full or short code; 422 ``invalid_division_code`` otherwise."""
    try:
        code = normalize_division_code(raw)
        division_level(code)
    except InvalidDivisionCode as e:
        hint = ""
        if "E+" in raw.upper():
            hint = " (a spreadsheet turned it into a number: format the column as text)"
        raise Unprocessable(
            f"{e}{hint}; send 12 digits, or the 2, 4, 6 or 9 significant ones",
            detail_zh=f"{raw!r} 不是有效的统计用区划代码(12 位,或 2/4/6/9 位简码)",
            code="invalid_division_code",
            field=field_name,
            location=location,
        ) from e
    return code


def parse_under(raw: str) -> str:
    """The significant digits of an ancestor: a 12-digit code, or any leading digits."""
    digits = raw.strip()
    if not digits.isascii() or not digits.isdigit() or not 1 <= len(digits) <= 12:
        raise Unprocessable(
            f"under must be a division code or its leading digits, not {raw!r}",
            detail_zh="under 应为区划代码或其前几位数字",
            code="invalid_division_code",
            field="under",
            location="query",
        )
    if len(digits) < 12:
        return digits
    code = parse_code(digits, field_name="under", location="query")
    return code[: PREFIX_LENGTH[division_level(code)]]


def division_not_found(code: str, *, field_name: str = "code", location: str = "path") -> NotFound:
    return NotFound(
        f"no division {code}",
        detail_zh=f"没有区划代码 {code}",
        code="division_not_found",
        field=field_name,
        location=location,
    )


# ---------------------------------------------------------------------------------------------
# Reading


def flag_version(flags: DivisionFlag | None) -> int:
    return 0 if flags is None else flags.version


def flags_out(flags: DivisionFlag | None) -> DivisionFlags:
    if flags is None:
        return DivisionFlags()
    return DivisionFlags(
        poverty_county=flags.poverty_county,
        poor_village=flags.poor_village,
        demonstration_year=flags.demonstration_year,
        version=flag_version(flags),
        updated_by=flags.updated_by,
        updated_at=flags.updated_at,
    )


def summary_out(division: Division, flags: DivisionFlag | None) -> DivisionSummary:
    return DivisionSummary(
        code=division.code,
        name=division.name,
        level=DivisionLevel(division.level),
        division_class=division.division_class,
        parent_code=division.parent_code,
        since_edition=division.since_edition,
        until_edition=division.until_edition,
        current=division.until_edition is None,
        flags=flags_out(flags),
    )


async def get_record(session: AsyncSession, code: str) -> DivisionRecord:
    record = await repository.get_record(session, code)
    if record is None:
        raise division_not_found(code)
    return record


def _ancestor_codes(code: str) -> list[str]:
    own = PREFIX_LENGTH[division_level(code)]
    codes = {code[:n].ljust(12, "0") for n in PREFIX_LENGTH.values() if n < own}
    codes.discard(code)  # a township of 东莞 441900003000 has no county of its own
    return sorted(codes)


async def get_detail(session: AsyncSession, record: DivisionRecord) -> DivisionDetail:
    division = record.division
    ancestors = await repository.get_divisions(session, _ancestor_codes(division.code))
    summary = summary_out(division, record.flags)
    return DivisionDetail(
        **summary.model_dump(),
        ancestors=[
            DivisionRef(code=a.code, name=a.name, level=DivisionLevel(a.level)) for a in ancestors
        ],
        county_level=record.county_level,
        has_boundary=record.has_boundary,
    )


async def search(
    session: AsyncSession, filters: SearchFilters, params: PageParams
) -> list[tuple[Division, DivisionFlag | None]]:
    rows = await repository.search(session, filters, params)
    return [(row[0], row[1]) for row in rows]


async def children(
    session: AsyncSession, code: str, *, include_retired: bool, params: PageParams
) -> list[tuple[Division, DivisionFlag | None]]:
    rows = await repository.children(session, code, include_retired=include_retired, params=params)
    return [(row[0], row[1]) for row in rows]


async def boundary_feature(session: AsyncSession, code: str, *, simplify: float | None) -> str:
    """The county's boundary as an RFC 7946 Feature (JSON text: the geometry is not re-parsed)."""
    row = await repository.get_boundary(session, code, simplify=simplify)
    if row is None:
        raise division_not_found(code)
    if row.geometry is None:
        record = await get_record(session, code)
        if not record.county_level:
            raise NotFound(
                f"{code} ({row.name}) is a {row.level}; boundaries are kept for county-level "
                "units only",
                detail_zh=f"{code}({row.name})不是县级区划,只有县级区划有边界",
                code="not_county_level",
                field="code",
                location="path",
            )
        raise NotFound(
            f"no boundary is on file for the county {code} ({row.name})",
            detail_zh=f"县级区划 {code}({row.name})暂无边界数据",
            code="boundary_not_found",
            field="code",
            location="path",
        )
    properties = {"code": row.code, "name": row.name, "level": row.level, "source": row.source}
    return (
        '{"type":"Feature","id":' + json.dumps(row.code) + ',"bbox":' + json.dumps(row.bbox)
        + ',"properties":' + json.dumps(properties, ensure_ascii=False)
        + ',"geometry":' + row.geometry + "}"
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Flags


@dataclass
class FlagRequest:
    """One requested change: the flags it names (``given``), or why it could not be read."""

    row: int
    raw_code: str | None
    given: dict[str, Any] = field(default_factory=dict)
    problem: Problem | None = None
    if_match: str | None = None
    line: int | None = None


@dataclass
class FlagOutcome:
    code: str
    outcome: Literal["changed", "unchanged", "would_change"]
    flags: DivisionFlags


_LEVEL_ZH = {
    "province": "省级",
    "prefecture": "地级",
    "county": "县级",
    "township": "乡级",
    "village": "村级",
}


def _wrong_level(code: str, level: str, flag: str, wanted: str) -> Unprocessable:
    wanted_zh = "县级区划" if wanted.startswith("county") else "村级区划"
    return Unprocessable(
        f"{code} is a {level}; {flag} is for {wanted}",
        detail_zh=f"{code} 是{_LEVEL_ZH.get(level, level)}区划,{flag} 只适用于{wanted_zh}",
        code="flag_wrong_level",
        field=flag,
    )


_CLASS_WORDS = {
    DivisionClass.RESIDENTS_COMMITTEE: ("residents' committee", "居委会"),
    DivisionClass.OTHER: ("unit that is no village committee", "非村委会单位"),
}


def check_flags(record: DivisionRecord, new: FlagValues, *, today: date | None = None) -> None:
    """The flag rules: poverty county and demonstration year on county-level units, poor
    village on villages, a plausible batch year, nothing set on a retired code."""
    division = record.division
    code, level = division.code, division.level
    if division.until_edition is not None and (
        new.poverty_county or new.poor_village or new.demonstration_year is not None
    ):
        raise Unprocessable(
            f"{code} was retired after edition {division.until_edition}; flags can only be "
            "cleared on it",
            detail_zh=f"{code} 已于 {division.until_edition} 版后停用,只能清除标记",
            code="division_retired",
            field="code",
        )
    if new.poverty_county and not record.county_level:
        raise _wrong_level(code, level, "poverty_county", "county-level units")
    if new.demonstration_year is not None and not record.county_level:
        raise _wrong_level(code, level, "demonstration_year", "county-level units")
    if new.poor_village and level != DivisionLevel.VILLAGE:
        raise _wrong_level(code, level, "poor_village", "villages")
    # 建档立卡贫困村 were administrative villages (村委会, NBS sequence 200–399); residents'
    # committees are urban communities and 400–599 units virtual: the flag there would count
    # in no indicator, so it is refused rather than kept unseen.
    if new.poor_village and division.division_class != DivisionClass.VILLAGE_COMMITTEE:
        kind, kind_zh = _CLASS_WORDS.get(
            division.division_class, (division.division_class, "非村委会单位")
        )
        raise Unprocessable(
            f"{code} ({division.name}) is a {kind}; registered poor villages are village "
            "committees (sequence 200–399)",
            detail_zh=f"{code}({division.name})是{kind_zh},建档立卡贫困村只能是村委会"
            "(代码末三位 200–399)",
            code="flag_wrong_class",
            field="poor_village",
            division_class=division.division_class,
        )
    year, this_year = new.demonstration_year, (today or date.today()).year
    if year is not None and not DEMONSTRATION_FIRST_YEAR <= year <= this_year:
        raise Unprocessable(
            f"demonstration_year {year} is implausible: batches were named from "
            f"{DEMONSTRATION_FIRST_YEAR} to {this_year}",
            detail_zh=f"示范县批次年份 {year} 不合理,应在 {DEMONSTRATION_FIRST_YEAR}–{this_year} 之间",
            code="implausible_year",
            field="demonstration_year",
        )


def _values(code: str, flags: DivisionFlag | None) -> FlagValues:
    if flags is None:
        return FlagValues(code, False, False, None)
    return FlagValues(code, flags.poverty_county, flags.poor_village, flags.demonstration_year)


def _designation(flags: FlagValues) -> tuple[bool, int | None]:
    """The national designations among the flags (the poor-village register is the county's)."""
    return flags.poverty_county, flags.demonstration_year


def require_flag_writer_role(principal: Principal) -> None:
    """Only officials and admins set flags (officials inside their subtree, row by row)."""
    require_role(
        principal, (Role.ADMIN, Role.OFFICIAL), doing="set division flags", doing_zh="设置区划标记"
    )


async def apply_flags(
    session: AsyncSession,
    principal: Principal,
    requests: Sequence[FlagRequest],
    *,
    dry_run: bool,
    code_location: str = "body",
) -> list[FlagOutcome | Problem]:
    """Check every request, then write the ones that change something, each with its change
    event in the same transaction. A refused request does not stop the others: its place in
    the answer holds the problem."""
    require_flag_writer_role(principal)
    results: list[FlagOutcome | Problem | None] = [None] * len(requests)
    codes: dict[int, str] = {}
    first_row: dict[str, int] = {}
    for i, request in enumerate(requests):
        if request.problem is not None:
            results[i] = request.problem
            continue
        try:
            code = parse_code(request.raw_code or "", location=code_location)
        except Problem as e:
            results[i] = e
            continue
        if code in first_row:
            results[i] = Unprocessable(
                f"{code} is already in row {first_row[code]}",
                detail_zh=f"{code} 与第 {first_row[code]} 行重复",
                code="duplicate_row",
                field="code",
            )
            continue
        first_row[code] = request.row
        codes[i] = code

    wanted = sorted(set(codes.values()))
    records = await repository.get_records(session, wanted)
    current = await repository.lock_flags(session, [c for c in wanted if c in records])
    writes: list[tuple[int, FlagValues, FlagValues]] = []
    for i, code in codes.items():
        request = requests[i]
        try:
            record = records.get(code)
            if record is None:
                raise division_not_found(code, location=code_location)
            require_division_writer(principal, code)
            before = _values(code, current.get(code))
            after = FlagValues(
                code,
                request.given.get("poverty_county", before.poverty_county),
                request.given.get("poor_village", before.poor_village),
                request.given.get("demonstration_year", before.demonstration_year),
            )
            if _designation(after) != _designation(before):
                require_province_writer(
                    principal,
                    code,
                    doing="set national poverty and demonstration designations",
                    doing_zh="设置国家级贫困县和示范县认定",
                )
            if after != before:
                check_flags(record, after)
            if request.if_match is not None:
                check_if_match(request.if_match, flag_version(current.get(code)))
        except Problem as e:
            results[i] = e
            continue
        if after == before:
            results[i] = FlagOutcome(code, "unchanged", flags_out(current.get(code)))
        elif dry_run:
            would = flags_out(current.get(code)).model_copy(
                update={f: getattr(after, f) for f in FLAG_FIELDS}
            )
            results[i] = FlagOutcome(code, "would_change", would)
        else:
            writes.append((i, before, after))

    if writes:
        stamped = await repository.upsert_flags(
            session, [after for _, _, after in writes], updated_by=principal.subject
        )
        for i, before, after in writes:
            updated_at, version = stamped[after.code]
            results[i] = _record_flag_change(
                session, principal, records[after.code], before, after, updated_at, version
            )
        await session.flush()
    return [r for r in results if r is not None]


def _record_flag_change(
    session: AsyncSession,
    principal: Principal,
    record: DivisionRecord,
    before: FlagValues,
    after: FlagValues,
    updated_at: datetime,
    version: int,
) -> FlagOutcome:
    record_change(
        session,
        StationsChangeEvent,
        topic=FLAG_TOPIC,
        key=after.code,
        action="flags_set",
        version=version,
        payload={
            "code": after.code,
            "name": record.division.name,
            "level": record.division.level,
            "poverty_county": after.poverty_county,
            "poor_village": after.poor_village,
            "demonstration_year": after.demonstration_year,
            "previous": {
                "poverty_county": before.poverty_county,
                "poor_village": before.poor_village,
                "demonstration_year": before.demonstration_year,
            },
            "updated_by": principal.subject,
            "updated_at": updated_at.isoformat(),
        },
    )
    flags = DivisionFlags(
        poverty_county=after.poverty_county,
        poor_village=after.poor_village,
        demonstration_year=after.demonstration_year,
        version=version,
        updated_by=principal.subject,
        updated_at=updated_at,
    )
    return FlagOutcome(after.code, "changed", flags)


async def set_flags(
    session: AsyncSession,
    principal: Principal,
    code: str,
    update: FlagsUpdate,
    *,
    if_match: str | None,
) -> DivisionFlags:
    """``PUT …/flags``: replace one division's flag set, or raise the problem."""
    request = FlagRequest(row=1, raw_code=code, given=update.model_dump(), if_match=if_match)
    (result,) = await apply_flags(
        session, principal, [request], dry_run=False, code_location="path"
    )
    if isinstance(result, Problem):
        raise result
    assert isinstance(result, FlagOutcome)
    return result.flags


async def bulk_set_flags(
    session: AsyncSession,
    principal: Principal,
    requests: Sequence[FlagRequest],
    *,
    dry_run: bool,
    chinese: bool = False,
) -> FlagsBulkResult:
    results = await apply_flags(session, principal, requests, dry_run=dry_run)
    rows: list[FlagRowResult] = []
    for request, result in zip(requests, results, strict=True):
        if isinstance(result, FlagOutcome):
            rows.append(
                FlagRowResult(
                    index=request.row,
                    line=request.line,
                    status="unchanged" if result.outcome == "unchanged" else "updated",
                    division_code=result.code,
                    flags=result.flags,
                )
            )
            continue
        rows.append(
            FlagRowResult.rejected(
                BulkRow(index=request.row, line=request.line, value=None),
                result,
                chinese=chinese,
                division_code=request.raw_code,
            )
        )
    return FlagsBulkResult.of(rows, dry_run=dry_run)


# ---------------------------------------------------------------------------------------------
# Reading a bulk upload: JSON array, NDJSON or CSV (officials' spreadsheets)

# Header names officials' spreadsheets use, besides the field names and the template's.
_FLAG_COLUMN_LABELS = {
    "code": "区划代码",
    "name": "名称",
    "poverty_county": "国家级贫困县",
    "poor_village": "建档立卡贫困村",
    "demonstration_year": "示范县批次年份",
}
_FLAG_COLUMN_ALIASES = {
    "统计用区划代码": "code",
    "代码": "code",
    "区划名称": "name",
    "贫困县": "poverty_county",
    "贫困村": "poor_village",
    "示范县年份": "demonstration_year",
    "示范年份": "demonstration_year",
}
_CSV_TRUE = frozenset({"1", "true", "t", "yes", "y", "是", "√", "✓"})
_CSV_FALSE = frozenset({"0", "false", "f", "no", "n", "否", "×"})
_CSV_NO_YEAR = frozenset({"none", "null", "-", "无", "否", "0"})


def _check_flag_header(fields: Sequence[str]) -> None:
    """A sheet without a code column, or without any flag, would change nothing."""
    if "code" not in fields:
        raise Unprocessable(
            "the CSV needs a 'code' column",
            detail_zh="CSV 缺少 code(区划代码)列",
            code="csv_missing_column",
            field="code",
        )
    if not set(FLAG_FIELDS) & set(fields):
        raise Unprocessable(
            f"the CSV names no flag column; add one of {', '.join(FLAG_FIELDS)}",
            detail_zh="CSV 没有任何标记列",
            code="csv_missing_column",
            field="poverty_county",
        )


# A misspelt flag column would silently keep every flag: unknown columns are refused.
FLAG_COLUMNS = CsvColumns(
    names=("code", "name", *FLAG_FIELDS),
    labels=_FLAG_COLUMN_LABELS,
    aliases=_FLAG_COLUMN_ALIASES,
    refuse_unknown=True,
    check=_check_flag_header,
)


# Flags are set by county and up for their divisions: a county has a few hundred villages.
BULK_MAX_ROWS = 5000


def read_flag_requests(content_type: str | None, body: bytes) -> list[FlagRequest]:
    """The requests of a bulk upload, one per row, or the problem with the upload."""
    return [
        FlagRequest(
            row=row.index,
            line=row.line,
            raw_code=_raw_code(row.value),
            given=row.parsed or {},
            problem=row.problem,
        )
        for row in read_bulk(content_type, body, FLAG_COLUMNS, _given_flags, max_rows=BULK_MAX_ROWS)
    ]


def _raw_code(value: Any) -> str | None:
    """The code as the row sent it: a refused row is named by it."""
    code = value.get("code") if isinstance(value, dict) else None
    return code if isinstance(code, str) else None


def _given_flags(value: Any, source: Source) -> dict[str, Any]:
    """The flags a row names, and only those: the others keep their value."""
    return _csv_flags(value) if source == "csv" else _json_flags(value)


def _json_flags(item: Any) -> dict[str, Any]:
    parsed = FlagRow.model_validate(item)
    given: dict[str, Any] = {}
    for name in FLAG_FIELDS:
        if name not in parsed.model_fields_set:
            continue
        value = getattr(parsed, name)
        if value is None and name != "demonstration_year":
            raise Unprocessable(
                f"{name} must be true or false (leave it out to keep it)",
                detail_zh=f"{name} 应为 true 或 false(不改请省略)",
                code="flag_null",
                field=name,
            )
        given[name] = value
    return given


def _csv_flags(cells: dict[str, str]) -> dict[str, Any]:
    """Spreadsheet words for the flags; an empty cell keeps the flag."""
    given: dict[str, Any] = {}
    for name in ("poverty_county", "poor_village"):
        cell = cells.get(name)
        if not cell:
            continue
        if cell.lower() in _CSV_TRUE:
            given[name] = True
        elif cell.lower() in _CSV_FALSE:
            given[name] = False
        else:
            raise Unprocessable(
                f"{cell!r} is not a yes/no value (1/0, true/false, 是/否)",
                detail_zh=f"{cell!r} 不是 是/否 值(可填 1/0、true/false、是/否)",
                code="invalid_boolean",
                field=name,
            )
    year = cells.get("demonstration_year")
    if year:
        if year.lower() in _CSV_NO_YEAR:
            given["demonstration_year"] = None
        elif year.isascii() and year.isdigit():
            given["demonstration_year"] = int(year)
        else:
            raise Unprocessable(
                f"{year!r} is not a year",
                detail_zh=f"{year!r} 不是年份",
                code="invalid_year",
                field="demonstration_year",
            )
    return given
