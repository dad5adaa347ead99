"""Parcel volume uploads (a carrier's daily file, a county's spreadsheet), read by
``common.bulk`` and judged row by row by ``volumes.service``."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.bulk import BulkRow, CsvColumns, Source, json_object, read_bulk
from common.bulkroute import answer_rows, sent_text
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
    return VolumeIn.model_validate(json_object(value))


def read_upload(content_type: str | None, body: bytes) -> list[BulkRow[VolumeIn]]:
    return read_bulk(content_type, body, VOLUME_COLUMNS, _volume_row, max_rows=MAX_ROWS)


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
    return await answer_rows(
        rows,
        lambda parsed: submit(
            session, principal, [Submission(*item) for item in parsed], dry_run=dry_run
        ),
        result=VolumeRowResult,
        chinese=zh,
        dry_run=dry_run,
        sent=lambda value: {
            "carrier": sent_text(value, "carrier"),
            "place_code": sent_text(value, "station_code") or sent_text(value, "township_code"),
            "day": sent_text(value, "day"),
        },
        naming=lambda r: {"carrier": r.carrier, "place_code": r.place_code, "day": str(r.day)},
        written=lambda r: {"revision": r.revision},
    )
