"""The bulk reader on a 100,000-row upload: ``common.bulk`` vs the standard library's parsers.

The upload is a county-sized batch of monthly reports scaled to the 100,000 rows logistics
and training send: CSV in GB 18030 under the Chinese header of our template, with months and
amounts as Excel writes them (``2026/8/1``, ``"1,234.50"``), and the same rows as a JSON
array. Figures (medians of rounds taking turns with their limits, in one process):

- reading (decoding, header, rows as field → text, blank-row and NUL checks; JSON parsed
  element by element) against the bare parse of the same body: ``body.decode`` +
  ``csv.reader`` (CSV), ``json.loads`` (JSON). The goal: within 5× of the bare parse.
- reading and converting each row with the reports' model (the lenient month and amount
  parsers, figures' rules): microseconds per row, against the reader alone.
- the peak of memory allocated while iterating over the JSON rows (``tracemalloc``),
  against ``json.loads`` of the same body: the reader must not hold every row at once.
"""

import gc
import json
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from bench.core import Figure, Options
from common.bulk import iter_bulk

ROUNDS = 5


def _bodies(rows: int) -> tuple[bytes, bytes]:
    from services.stations.reports.service import REPORT_COLUMNS

    header = ",".join(REPORT_COLUMNS.label(name) for name in REPORT_COLUMNS.names)
    lines = [
        f'141124100{200 + i % 100:03d}-01,2026/{1 + i % 12}/1,"1,234.50",3,"9,320.50",4,1260,6,70,8'
        for i in range(rows)
    ]
    csv_body = "\r\n".join([header, *lines]).encode("gb18030")
    row = {
        "station_code": "141124100201-01",
        "month": "2026-08",
        "upward_amount": "1234.50",
        "upward_orders": 3,
        "downward_amount": "9320.50",
        "downward_orders": 4,
        "parcels_in": 1260,
        "parcels_out": 6,
        "households_served": 70,
        "poor_households_served": 8,
    }
    return csv_body, json.dumps([row] * rows).encode()


def _seconds(call: Callable[[], Any]) -> float:
    gc.collect()
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _drain(content_type: str, body: bytes, convert: Callable[[Any, Any], Any], rows: int) -> int:
    from services.stations.reports.service import REPORT_COLUMNS

    count = 0
    for _ in iter_bulk(content_type, body, REPORT_COLUMNS, convert, max_rows=rows):
        count += 1
    return count


def _bare_csv(body: bytes) -> int:
    import csv
    import io

    return sum(1 for _ in csv.reader(io.StringIO(body.decode("gb18030"), newline="")))


def _peak(call: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


async def run(options: Options) -> list[Figure]:
    from services.stations.reports.service import _report_row

    rows = options.scaled(100_000)
    csv_body, json_body = _bodies(rows)

    def keep(value: Any, source: Any) -> Any:
        return value

    timings: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for name, call in (
            ("bare csv", lambda: _bare_csv(csv_body)),
            ("reader csv", lambda: _drain("text/csv", csv_body, keep, rows)),
            ("bare json", lambda: json.loads(json_body)),
            ("reader json", lambda: _drain("application/json", json_body, keep, rows)),
            ("reader+model csv", lambda: _drain("text/csv", csv_body, _report_row, rows)),
        ):
            timings.setdefault(name, []).append(_seconds(call))
    median = {name: statistics.median(values) for name, values in timings.items()}
    per_row = {name: seconds / rows * 1e6 for name, seconds in median.items()}
    streaming = _peak(lambda: _drain("application/json", json_body, keep, rows))
    loaded = _peak(lambda: json.loads(json_body))
    note = f"{rows:,} rows; CSV {len(csv_body) / 1e6:.1f} MB, JSON {len(json_body) / 1e6:.1f} MB"
    return [
        Figure(
            "read a CSV (GB 18030, Chinese header)",
            per_row["reader csv"],
            per_row["bare csv"],
            "decode + csv.reader",
            "µs/row",
            False,
            note,
        ),
        Figure(
            "read a JSON array element by element",
            per_row["reader json"],
            per_row["bare json"],
            "json.loads",
            "µs/row",
            False,
            note,
        ),
        Figure(
            "read and convert CSV report rows (lenient months, amounts)",
            per_row["reader+model csv"],
            per_row["reader csv"],
            "the reader alone",
            "µs/row",
            False,
            note,
        ),
        Figure(
            "peak memory while reading the JSON rows",
            streaming,
            loaded,
            "json.loads of the body",
            "MB",
            False,
            note + " (the body itself is held by the request)",
        ),
    ]
