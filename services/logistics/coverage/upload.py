"""Coverage uploads: a carrier's nightly file or a county's survey spreadsheet, read by
``common.bulk`` (docs/adr/0014) and judged row by row by ``coverage.service``."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.bulk import BulkRow, CsvColumns, Source, json_object, read_bulk
from common.bulkroute import answer_rows, sent_text
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
    value = json_object(value)
    mode = value.get("mode")
    if source == "csv" and isinstance(mode, str) and mode.strip() in MODE_NAMES:
        value = {**value, "mode": MODE_NAMES[mode.strip()]}
    return CoverageIn.model_validate(value)


def read_upload(content_type: str | None, body: bytes) -> list[BulkRow[CoverageIn]]:
    return read_bulk(
        content_type,
        body,
        COVERAGE_COLUMNS,
        _coverage_row,
        max_rows=MAX_ROWS,
        json_model=CoverageIn,  # what _coverage_row makes of a JSON object
    )


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
    return await answer_rows(
        rows,
        lambda parsed: submit(
            session, principal, [Submission(*item) for item in parsed], dry_run=dry_run
        ),
        result=CoverageRowResult,
        chinese=zh,
        dry_run=dry_run,
        sent=lambda value: {
            "carrier": sent_text(value, "carrier"),
            "division_code": sent_text(value, "division_code"),
        },
        naming=lambda r: {"carrier": r.carrier, "division_code": r.division_code},
        written=lambda r: {"coverage_id": r.coverage_id},
    )
