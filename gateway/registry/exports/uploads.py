"""A bulk upload's answer as a table: the upload is passed to its service on the caller's
behalf exactly as the gateway would forward it (body streamed, ``dry_run``,
``Idempotency-Key``), and the per-row results (ADR 0014) come back as rows a county's staff
can sort by status and fix in the sheet they sent."""

import re
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import Any

from common.errors import NotFound
from gateway.registry.caller import Caller
from gateway.registry.exports.tables import Column, Kind, Row, Table
from gateway.registry.upstream import PartFailed, Upstream

# A bulk route of a service, as the gateway forwards it: ``stations/v1/reports/bulk``,
# ``programme/v1/demonstration-counties/141124/disbursements/bulk``.
UPLOAD_PATH = re.compile(r"(stations|logistics|training|programme)(/v1(?:/[A-Za-z0-9_-]+)+/bulk)")
STATUS_ZH = {"created": "新增", "updated": "更新", "unchanged": "未变", "rejected": "拒绝"}
# What every answer has; the rest (`station_code`, `month`, `carrier` …) names the record.
_COMMON = ("index", "line", "status", "http_status", "code", "field", "message", "errors")
COMMON_COLUMNS = [
    Column("index", "序号", Kind.NUMBER, width=8),
    Column("line", "文件行号", Kind.NUMBER, width=8),
    Column("status", "结果", width=8),
    Column("http_status", "HTTP状态", Kind.NUMBER, width=8),
    Column("code", "问题代码", width=20),
    Column("field", "字段", width=16),
    Column("message", "说明", width=40),
]
# Chinese headers of the fields that name a record in the services' answers.
NAMING_LABELS = {
    "station_code": "站点编码",
    "month": "月份",
    "revision": "修订版本",
    "division_code": "区划代码",
    "flags": "标记",
    "carrier": "快递公司",
    "depot_code": "网点编码",
    "id": "记录编号",
    "day": "日期",
    "session_id": "培训班编号",
    "trainee_id": "学员编号",
    "payment_id": "拨付编号",
}
UPLOAD_HEADERS = ("content-type", "content-length", "idempotency-key")


def upload_route(upload: str) -> tuple[str, str]:
    """The service and its path of a bulk route named as the gateway forwards it."""
    found = UPLOAD_PATH.fullmatch(upload)
    if found is None:
        raise NotFound(
            f"no bulk upload at /{upload}; name one as the gateway forwards it, such as "
            "stations/v1/reports/bulk",
            detail_zh=f"/{upload} 不是批量上传接口,例如 stations/v1/reports/bulk",
            code="upload_not_found",
            field="upload",
            location="path",
        )
    return found[1], found[2]


async def upload_results(
    upstream: Upstream,
    caller: Caller,
    upload: str,
    query: list[tuple[str, str]],
    headers: Mapping[str, str],
    body: AsyncIterable[bytes],
) -> Table:
    service, path = upload_route(upload)
    try:
        response = await upstream.send(
            caller,
            "POST",
            service,
            path,
            query,
            part="upload",
            content=body,
            headers={k: v for k, v in headers.items() if k in UPLOAD_HEADERS},
            budget=upstream.write_timeout,
        )
    except PartFailed as e:
        raise e.relayed() from e
    answer = response.json()
    results: list[dict[str, Any]] = answer["results"]
    naming: dict[str, None] = {}
    for result in results:
        naming.update((k, None) for k in result if k not in _COMMON)
    columns = [
        *COMMON_COLUMNS,
        *(Column(k, NAMING_LABELS.get(k, k), width=16) for k in naming),
    ]
    name = path.strip("/").replace("/", "-")
    return Table(
        filename=f"{service}-{name}-results{'-dry-run' if answer.get('dry_run') else ''}",
        filename_zh=f"批量上传结果{'(试运行)' if answer.get('dry_run') else ''}",
        sheet_zh="上传结果",
        columns=columns,
        batches=_batches([_row(r, list(naming)) for r in results]),
    )


def _row(result: dict[str, Any], naming: list[str]) -> Row:
    message = result.get("message")
    details = [f"{e.get('field', '')}: {e.get('detail', '')}" for e in result.get("errors") or []]
    if details:
        message = ";".join([*([message] if message else []), *details])
    return (
        result.get("index"),
        result.get("line"),
        STATUS_ZH.get(result["status"], result["status"]),
        result.get("http_status"),
        result.get("code"),
        result.get("field"),
        message,
        *(_cell(result.get(k)) for k in naming),
    )


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "、".join(map(str, value))
    if isinstance(value, dict):
        return ";".join(f"{k}={v}" for k, v in value.items())
    return value


async def _batches(rows: list[Row], size: int = 1000) -> AsyncIterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
