"""Coverage uploads: a carrier's nightly file or a county's survey spreadsheet, read by
``common.bulk`` and judged row by row by ``coverage.service``."""

import contextlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.bulk import BulkRow, CsvColumns, RowProblemWithErrors, Source, read_bulk
from common.errors import Unprocessable
from common.months import parse_day
from services.logistics import authz
from services.logistics.coverage.schemas import (
    CoverageBulkResult,
    CoverageIn,
    CoverageRowResult,
    CoverageSummary,
)
from services.logistics.coverage.service import Submission, submit

CSV_COLUMNS = (
    "carrier",
    "division_code",
    "station_code",
    "mode",
    "pickups_per_week",
    "deliveries_per_week",
    "valid_from",
    "valid_to",
)
REQUIRED = ("carrier", "division_code", "mode", "pickups_per_week", "deliveries_per_week")
# The headers of a county's or a carrier's spreadsheet.
CSV_ALIASES = {
    "快递公司": "carrier",
    "承运商": "carrier",
    "快递公司编码": "carrier",
    "区划代码": "division_code",
    "统计用区划代码": "division_code",
    "站点编码": "station_code",
    "服务点编码": "station_code",
    "覆盖方式": "mode",
    "方式": "mode",
    "每周揽收次数": "pickups_per_week",
    "揽收频次": "pickups_per_week",
    "每周投递次数": "deliveries_per_week",
    "投递频次": "deliveries_per_week",
    "起始日期": "valid_from",
    "生效日期": "valid_from",
    "截止日期": "valid_to",
    "终止日期": "valid_to",
}
COVERAGE_COLUMNS = CsvColumns(names=CSV_COLUMNS, aliases=CSV_ALIASES, required=REQUIRED)
MODE_ALIASES = {
    "直达": "direct",
    "直投": "direct",
    "直达服务点": "direct",
    "经乡镇网点": "via_township_hub",
    "乡镇中转": "via_township_hub",
    "站点自送": "station_runs",
    "站点自行配送": "station_runs",
    "邮政": "postal",
    "邮政普遍服务": "postal",
}


def _csv_values(value: dict[str, Any]) -> dict[str, Any]:
    """A spreadsheet row as the model takes it: Chinese mode names, dates as Excel writes
    them (a date that cannot be read is left for the model to refuse)."""
    mode = value.get("mode")
    if isinstance(mode, str):
        value["mode"] = MODE_ALIASES.get(mode.strip(), mode.strip())
    for name in ("valid_from", "valid_to"):
        raw = value.get(name)
        if isinstance(raw, str):
            with contextlib.suppress(ValueError):
                value[name] = parse_day(raw)
    return value


def _coverage_row(value: Any, source: Source) -> CoverageIn:
    if not isinstance(value, dict):
        raise Unprocessable(
            "each row is a JSON object",
            detail_zh="每一行应为 JSON 对象",
            code="expected_object",
            field="body",
        )
    return CoverageIn.model_validate(_csv_values(dict(value)) if source == "csv" else value)


def read_upload(
    content_type: str | None, body: bytes, *, max_rows: int
) -> list[BulkRow[CoverageIn]]:
    return read_bulk(content_type, body, COVERAGE_COLUMNS, _coverage_row, max_rows=max_rows)


async def submit_bulk(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[BulkRow[CoverageIn]],
    *,
    dry_run: bool,
    zh: bool,
) -> CoverageBulkResult:
    authz.require_writer(principal, "record coverage", "提交覆盖数据")
    outcomes: dict[int, CoverageRowResult] = {}
    submissions = []
    for raw in rows:
        if raw.parsed is not None:
            submissions.append(Submission(raw.row, raw.line, raw.parsed))
            continue
        assert raw.problem is not None
        values = raw.value if isinstance(raw.value, dict) else {}
        outcomes[raw.row] = CoverageRowResult(
            row=raw.row,
            line=raw.line,
            carrier=_text(values.get("carrier")),
            division_code=_text(values.get("division_code")),
            outcome="rejected",
            problem=RowProblemWithErrors.of(raw.problem, chinese=zh),
        )
    for result in await submit(session, principal, submissions, dry_run=dry_run):
        outcomes[result.row] = CoverageRowResult(
            row=result.row,
            line=result.line,
            carrier=result.carrier,
            division_code=result.division_code,
            outcome=result.outcome,
            coverage_id=result.period.id if result.period is not None else None,
            problem=RowProblemWithErrors.of(result.problem, chinese=zh) if result.problem else None,
        )
    ordered = [outcomes[raw.row] for raw in rows]
    summary = CoverageSummary()
    for item in ordered:
        setattr(summary, item.outcome, getattr(summary, item.outcome) + 1)
    return CoverageBulkResult(dry_run=dry_run, summary=summary, results=ordered)


def _text(value: Any) -> str | None:
    return value[:40] if isinstance(value, str) else None
