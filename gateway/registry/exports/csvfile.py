"""A table as CSV, streamed: UTF-8 with a byte order mark (without it Excel on Chinese
Windows reads UTF-8 as GBK), the Chinese header row, then one chunk per batch of rows."""

import codecs
import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal

from gateway.registry.exports.tables import Cell, Column, Kind, Table

# A text cell starting with one of these is a formula to a spreadsheet (CSV injection,
# OWASP): a station name typed as "=HYPERLINK(…)" must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Cell, column: Column) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if column.kind is Kind.TEXT and value.startswith(_FORMULA_START):
        return "'" + value
    return value


async def csv_chunks(table: Table) -> AsyncIterator[bytes]:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        chunk = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return chunk

    writer.writerow([c.label for c in table.columns])
    yield codecs.BOM_UTF8 + flush()
    async for batch in table.batches:
        writer.writerows(
            [cell_text(v, c) for v, c in zip(row, table.columns, strict=True)] for row in batch
        )
        yield flush()
