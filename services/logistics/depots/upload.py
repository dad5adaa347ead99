"""Depot uploads, read by ``common.bulk`` and judged row by row by ``depots.service``."""

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.bulk import BulkRow, CsvColumns, Source, json_object, read_bulk
from common.bulkroute import answer_rows, sent_text
from services.logistics import authz
from services.logistics.depots.schemas import DepotIn, DepotRowResult
from services.logistics.depots.service import Submission, submit

MAX_ROWS = 100_000
CSV_COLUMNS = (
    "code", "kind", "name", "division_code", "station_code", "lon", "lat", "crs",
    "confirm_location", "address",
    "area_m2", "parcels_per_day", "operator_carrier", "operator_name", "operator_credit_code",
    "carriers", "status",
)  # fmt: skip
DEPOT_COLUMNS = CsvColumns(
    names=CSV_COLUMNS,
    labels={
        "code": "网点编码",
        "kind": "网点类型",
        "name": "网点名称",
        "division_code": "区划代码",
        "station_code": "所在服务点编码",
        "lon": "经度",
        "lat": "纬度",
        "crs": "坐标系",
        "confirm_location": "确认位置",
        "address": "地址",
        "area_m2": "面积(平方米)",
        "parcels_per_day": "日处理能力(件)",
        "operator_carrier": "运营快递公司",
        "operator_name": "运营企业",
        "operator_credit_code": "运营企业统一社会信用代码",
        "carriers": "入驻快递公司",
        "status": "状态",
    },
    aliases={"类型": "kind", "名称": "name", "共同配送快递公司": "carriers"},
    required=("code", "kind", "name", "division_code"),
)
KIND_NAMES = {
    "县级物流配送中心": "county_centre",
    "县级配送中心": "county_centre",
    "仓储中心": "county_centre",
    "乡镇网点": "township_hub",
    "乡镇快递网点": "township_hub",
    "乡镇中转站": "township_hub",
    "村级取件点": "village_pickup",
    "村级快递点": "village_pickup",
}
STATUS_NAMES = {"运营": "active", "在用": "active", "关闭": "closed", "停用": "closed"}
_LIST = re.compile(r"[;；,，、\s]+")


def _from_csv(value: dict[str, Any]) -> dict[str, Any]:
    """A spreadsheet row as the model takes it: a location from its two cells, carriers as a
    list ("zto;yto", "中通、圆通" separators), kinds and statuses in Chinese."""
    row = dict(value)
    lon, lat = row.pop("lon", None), row.pop("lat", None)
    if lon is not None or lat is not None:
        row["location"] = {"lon": lon, "lat": lat}
    if isinstance(row.get("carriers"), str):
        row["carriers"] = [c for c in _LIST.split(row["carriers"]) if c]
    for name, names in (("kind", KIND_NAMES), ("status", STATUS_NAMES)):
        if isinstance(row.get(name), str):
            row[name] = names.get(row[name].strip(), row[name].strip())
    return row


def _depot_row(value: Any, source: Source) -> DepotIn:
    value = json_object(value)
    return DepotIn.model_validate(_from_csv(value) if source == "csv" else value)


def read_upload(content_type: str | None, body: bytes) -> list[BulkRow[DepotIn]]:
    return read_bulk(content_type, body, DEPOT_COLUMNS, _depot_row, max_rows=MAX_ROWS)


async def submit_bulk(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[BulkRow[DepotIn]],
    *,
    dry_run: bool,
    zh: bool,
) -> dict[str, Any]:
    """The answer's JSON body (``DepotBulkResult``), row by row in upload order."""
    authz.require_writer(principal, "record depots", "登记物流网点")
    return await answer_rows(
        rows,
        lambda parsed: submit(
            session, principal, [Submission(*item) for item in parsed], dry_run=dry_run
        ),
        result=DepotRowResult,
        chinese=zh,
        dry_run=dry_run,
        sent=lambda value: {"depot": sent_text(value, "code")},
        naming=lambda r: {"depot": r.code},
        written=lambda r: {"version": r.version},
    )
