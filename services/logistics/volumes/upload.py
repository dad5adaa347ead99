"""Parcel volume uploads (a carrier's daily file, a county's spreadsheet), read by
``common.bulk`` and judged row by row by ``volumes.service``."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.bulk import BulkRow, CsvColumns, Source, accepted, bulk_body, read_bulk
from common.errors import Unprocessable
from services.logistics import authz
from services.logistics.volumes.schemas import VolumeIn, VolumeRowResult
from services.logistics.volumes.service import Submission, submit

MAX_ROWS = 100_000
CSV_COLUMNS = (
    "carrier",
    "day",
    "station_code",
    "township_code",
    "outbound_parcels",
    "outbound_weight_kg",
    "inbound_parcels",
    "inbound_weight_kg",
)
VOLUME_COLUMNS = CsvColumns(
    names=CSV_COLUMNS,
    labels={
        "carrier": "快递公司编码",
        "day": "日期",
        "station_code": "服务点编码",
        "township_code": "乡镇代码",
        "outbound_parcels": "寄出件数(上行)",
        "outbound_weight_kg": "寄出重量(公斤)",
        "inbound_parcels": "投递件数(下行)",
        "inbound_weight_kg": "投递重量(公斤)",
    },
    aliases={
        "快递公司": "carrier",
        "业务日期": "day",
        "站点编码": "station_code",
        "乡镇区划代码": "township_code",
        "上行件数": "outbound_parcels",
        "揽收件数": "outbound_parcels",
        "上行重量": "outbound_weight_kg",
        "下行件数": "inbound_parcels",
        "派件数": "inbound_parcels",
        "下行重量": "inbound_weight_kg",
    },
    required=(
        "carrier",
        "day",
        "outbound_parcels",
        "outbound_weight_kg",
        "inbound_parcels",
        "inbound_weight_kg",
    ),
)


def _volume_row(value: Any, source: Source) -> VolumeIn:
    if not isinstance(value, dict):
        raise Unprocessable(
            "each row is a JSON object",
            detail_zh="每一行应为 JSON 对象",
            code="expected_object",
            field="body",
        )
    return VolumeIn.model_validate(value)


def read_upload(content_type: str | None, body: bytes) -> list[BulkRow[VolumeIn]]:
    return read_bulk(content_type, body, VOLUME_COLUMNS, _volume_row, max_rows=MAX_ROWS)


def _sent_text(value: Any, name: str) -> str | None:
    sent = value.get(name) if isinstance(value, dict) else None
    return sent[:40] if isinstance(sent, str) else None


async def submit_bulk(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[BulkRow[VolumeIn]],
    *,
    dry_run: bool,
    zh: bool,
) -> dict[str, Any]:
    """The answer's JSON body (``VolumeBulkResult``), row by row in upload order."""
    authz.require_writer(principal, "send parcel volumes", "提交快递业务量")
    outcomes: dict[int, dict[str, Any]] = {}
    submissions = []
    for raw in rows:
        if raw.parsed is not None:
            submissions.append(Submission(raw.index, raw.line, raw.parsed))
            continue
        assert raw.problem is not None
        place = _sent_text(raw.value, "station_code") or _sent_text(raw.value, "township_code")
        outcomes[raw.index] = VolumeRowResult.rejected(
            raw,
            raw.problem,
            chinese=zh,
            carrier=_sent_text(raw.value, "carrier"),
            place_code=place,
            day=_sent_text(raw.value, "day"),
        ).model_dump(mode="json", exclude_none=True)
    by_index = {raw.index: raw for raw in rows}
    for result in await submit(session, principal, submissions, dry_run=dry_run):
        named = {"carrier": result.carrier, "place_code": result.place_code, "day": str(result.day)}
        if result.problem is not None:
            outcomes[result.row] = VolumeRowResult.rejected(
                by_index[result.row], result.problem, chinese=zh, **named
            ).model_dump(mode="json", exclude_none=True)
            continue
        outcomes[result.row] = accepted(
            index=result.row,
            line=result.line,
            status=result.outcome,
            revision=result.revision,
            **named,
        )
    return bulk_body([outcomes[raw.index] for raw in rows], dry_run=dry_run)
