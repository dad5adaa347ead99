"""What an export is: a table of typed columns with Chinese headers, and its rows in batches.

The same table is written as CSV (streamed, ``csvfile``) or XLSX (built by a job); each
column says what its cells are, so XLSX writes numbers as numbers and dates as dates, and
the CSV writer knows which cells are text that a spreadsheet must not read as a formula.
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

Cell = str | int | float | Decimal | date | datetime | None
Row = Sequence[Cell]


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    key: str  # the field it comes from, for a reader of the code
    label: str  # the Chinese header
    kind: Kind = Kind.TEXT
    width: int = 14  # XLSX column width, in characters


@dataclass(frozen=True)
class Table:
    """An export ready to be written: ``batches`` yields lists of rows, one per source page
    (a page of stations, a batch of gaps), so a writer holds one batch at a time."""

    filename: str  # ASCII, without extension
    filename_zh: str
    sheet_zh: str
    columns: Sequence[Column]
    batches: AsyncIterator[list[Row]]


# Chinese words for the registry's vocabulary (the services answer the English codes).
TIER_ZH = {"county": "县级中心", "township": "乡镇服务站", "village": "村级服务点"}
STATION_STATUS_ZH = {
    "planned": "规划中",
    "building": "建设中",
    "operating": "运营中",
    "accepted": "已验收",
    "suspended": "暂停",
    "closed": "关闭",
}
SERVICE_ZH = {
    "online_purchase": "网购代购",
    "produce_sales": "农产品代卖",
    "parcels": "代收代发快递",
    "bill_payment": "缴费充值",
    "ticketing": "代订票务",
    "finance": "小额信贷金融",
    "training": "电商培训",
    "incubation": "创业孵化",
    "village_market": "村级赶集",
    "government": "政务服务",
}
