"""Coverage uploads: a carrier's nightly file or a county's survey spreadsheet, read by
``common.bulk`` (docs/adr/0014) and judged row by row by ``coverage.service``."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.bulk import BulkRow, CsvColumns, Source, accepted, bulk_body, read_bulk
from common.errors import Problem, Unprocessable
from services.logistics import authz
from services.logistics.coverage.schemas import CoverageIn, CoverageRowResult
from services.logistics.coverage.service import Submission, submit

MAX_ROWS = 100_000
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
COVERAGE_COLUMNS = CsvColumns(
    names=CSV_COLUMNS,
    labels={
        "carrier": "快递公司编码",
        "division_code": "区划代码",
        "station_code": "服务点编码",
        "mode": "覆盖方式",
        "pickups_per_week": "每周揽收次数",
        "deliveries_per_week": "每周投递次数",
        "valid_from": "起始日期",
        "valid_to": "截止日期",
    },
    # The headers of carriers' and counties' own spreadsheets.
    aliases={
        "快递公司": "carrier",
        "承运商": "carrier",
        "统计用区划代码": "division_code",
        "乡镇/村代码": "division_code",
        "站点编码": "station_code",
        "方式": "mode",
        "揽收频次": "pickups_per_week",
        "投递频次": "deliveries_per_week",
        "生效日期": "valid_from",
        "开始日期": "valid_from",
        "终止日期": "valid_to",
        "结束日期": "valid_to",
    },
    required=("carrier", "division_code", "mode", "pickups_per_week", "deliveries_per_week"),
)
# Modes as a spreadsheet names them.
MODE_NAMES = {
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


def _coverage_row(value: Any, source: Source) -> CoverageIn:
    if not isinstance(value, dict):
        raise Unprocessable(
            "each row is a JSON object",
            detail_zh="每一行应为 JSON 对象",
            code="expected_object",
            field="body",
        )
    mode = value.get("mode")
    if source == "csv" and isinstance(mode, str) and mode.strip() in MODE_NAMES:
        value = {**value, "mode": MODE_NAMES[mode.strip()]}
    return CoverageIn.model_validate(value)


def read_upload(content_type: str | None, body: bytes) -> list[BulkRow[CoverageIn]]:
    return read_bulk(content_type, body, COVERAGE_COLUMNS, _coverage_row, max_rows=MAX_ROWS)


def _sent_text(value: Any, name: str) -> str | None:
    sent = value.get(name) if isinstance(value, dict) else None
    return sent[:40] if isinstance(sent, str) else None


async def submit_bulk(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[BulkRow[CoverageIn]],
    *,
    dry_run: bool,
    zh: bool,
) -> dict[str, Any]:
    """The answer's JSON body (``CoverageBulkResult``), row by row in upload order."""
    authz.require_writer(principal, "record coverage", "提交覆盖数据")
    outcomes: dict[int, dict[str, Any]] = {}
    submissions = []
    for raw in rows:
        if raw.parsed is not None:
            submissions.append(Submission(raw.index, raw.line, raw.parsed))
            continue
        assert raw.problem is not None
        outcomes[raw.index] = _rejected(
            raw,
            raw.problem,
            zh,
            carrier=_sent_text(raw.value, "carrier"),
            division_code=_sent_text(raw.value, "division_code"),
        )
    by_index = {raw.index: raw for raw in rows}
    for result in await submit(session, principal, submissions, dry_run=dry_run):
        if result.problem is not None:
            outcomes[result.row] = _rejected(
                by_index[result.row],
                result.problem,
                zh,
                carrier=result.carrier,
                division_code=result.division_code,
            )
            continue
        outcomes[result.row] = accepted(
            index=result.row,
            line=result.line,
            status=result.outcome,
            carrier=result.carrier,
            division_code=result.division_code,
            coverage_id=result.period.id if result.period is not None else None,
        )
    return bulk_body([outcomes[raw.index] for raw in rows], dry_run=dry_run)


def _rejected(row: BulkRow[Any], problem: Problem, zh: bool, **fields: Any) -> dict[str, Any]:
    return CoverageRowResult.rejected(row, problem, chinese=zh, **fields).model_dump(
        mode="json", exclude_none=True
    )
