"""A table as an XLSX workbook, written by XlsxWriter in ``constant_memory`` mode: each row
goes to a temporary file as soon as it is written, so 150,000 rows cost no more memory than
one. Chinese headers in a frozen, filtered first row; numbers written as numbers and dates as
dates (a spreadsheet sums and sorts them), text as text (never read as a formula or a link).
"""

from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from gateway.registry.exports.tables import Column, Kind, Table

# Excel's own limit of rows on a sheet.
MAX_ROWS = 1_048_576


async def write_xlsx(table: Table, path: Path) -> int:
    """Write ``table`` to ``path``; the number of data rows written."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(table.sheet_zh[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    formats = {
        Kind.DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
        Kind.DATETIME: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    columns = list(table.columns)
    for i, column in enumerate(columns):
        sheet.set_column(i, i, column.width)
    # constant_memory writes rows in order: the header first, then every row once.
    sheet.write_row(0, 0, [c.label for c in columns], header)
    sheet.freeze_panes(1, 0)
    row = 0
    async for batch in table.batches:
        for values in batch:
            row += 1
            if row >= MAX_ROWS:
                raise TooManyRows(MAX_ROWS - 1)
            for col, (value, column) in enumerate(zip(values, columns, strict=True)):
                _write(sheet, row, col, value, column, formats)
    sheet.autofilter(0, 0, max(row, 1), len(columns) - 1)
    workbook.close()
    return row


class TooManyRows(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} rows: more than one sheet holds")
        self.limit = limit


def _write(
    sheet: "xlsxwriter.worksheet.Worksheet",
    row: int,
    col: int,
    value: object,
    column: Column,
    formats: dict[Kind, "xlsxwriter.format.Format"],
) -> None:
    if value is None:
        return
    if column.kind is Kind.NUMBER and isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, float(value))
    elif column.kind is Kind.DATE and isinstance(value, date):
        sheet.write_datetime(row, col, datetime.combine(value, time()), formats[Kind.DATE])
    elif column.kind is Kind.DATETIME and isinstance(value, datetime):
        sheet.write_datetime(row, col, value, formats[Kind.DATETIME])
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, float(value))
    else:
        sheet.write_string(row, col, str(value))
