"""XLSX export of the national station list's 150,000 village points: time and peak memory.

On the national benchmark database (``bench.national``), a stations service in its own
uvicorn process, and a child process that runs exactly what the job worker runs for
``POST /registry/v1/exports/stations.xlsx?tier=village`` (``sources.station_table`` read on
an admin's behalf, 500 a page, then ``write_xlsx`` in XlsxWriter's constant-memory mode).
The limit, measured in the same run by the same kind of child: reading the same pages and
throwing them away (what the export cannot avoid). Time and peak RSS of each child (its
``ru_maxrss``), beside the RSS it had before the export began; the ratio of peak RSS says
whether the workbook's writing holds rows in memory (goal: flat — the writer's peak within
a few MB of the reader's).
"""

import asyncio
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.core import PROJECT_ROOT, Figure, Options, uvicorn_process
from bench.national import bench_url, prepare_async

FILTERS = [("tier", "village")]
ROUNDS = 3


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _child(stations: str, mode: str, secret: str) -> dict[str, float]:
    from common.auth import Principal, Role
    from gateway.registry.caller import Caller
    from gateway.registry.exports import sources
    from gateway.registry.exports.xlsxfile import write_xlsx
    from gateway.registry.upstream import open_upstream
    from gateway.settings import GatewaySettings

    settings = GatewaySettings(
        stations_url=stations,  # type: ignore[arg-type]
        internal_secret=secret,  # type: ignore[arg-type]
        registry_part_timeout=60,
    )
    caller = Caller(Principal(subject="bench", role=Role.ADMIN), None, "bench-export", "zh")
    async with open_upstream(settings) as upstream:
        baseline = _rss_kib()
        started = time.perf_counter()
        table = sources.station_table(upstream, caller, FILTERS)
        if mode == "xlsx":
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "export.xlsx"
                rows = await write_xlsx(table, path)
                size = path.stat().st_size
        else:
            rows, size = 0, 0
            async for batch in table.batches:
                rows += len(batch)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rows": rows, "seconds": seconds, "peak_kib": peak, "baseline_kib": baseline,
            "size": size}  # fmt: skip


def _run_child(stations: str, mode: str, secret: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.benchmarks.registry_xlsx", "--child", stations, mode],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RURALNET_INTERNAL_SECRET": secret},
        capture_output=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def _median(results: list[dict[str, float]], key: str) -> float:
    values = sorted(r[key] for r in results)
    return values[len(values) // 2]


async def run(options: Options) -> list[Figure]:
    await prepare_async()
    url = bench_url()
    secret = secrets.token_hex(32)
    env = {
        "STATIONS_DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": secret,
        "STATIONS_LOG_JSON": "true",
    }
    written: list[dict[str, float]] = []
    read: list[dict[str, float]] = []
    with uvicorn_process("services.stations.app:create", env=env) as stations:
        for i in range(1 if options.quick else ROUNDS):
            order = ("xlsx", "read") if i % 2 == 0 else ("read", "xlsx")
            for mode in order:
                result = await asyncio.to_thread(_run_child, stations, mode, secret)
                (written if mode == "xlsx" else read).append(result)
    rows = written[0]["rows"]
    if any(r["rows"] != rows for r in written) or any(r["rows"] != rows for r in read):
        raise RuntimeError(f"rounds disagree on the rows: {written} {read}")
    mib = 1024
    return [
        Figure(
            f"XLSX export of {rows:,.0f} village points, seconds",
            _median(written, "seconds"), _median(read, "seconds"),
            "reading the same pages only", "s", higher_is_better=False,
            note=f"workbook {_median(written, 'size') / 1e6:.1f} MB",
        ),
        Figure(
            "its peak RSS (the exporting process)",
            _median(written, "peak_kib") / mib, _median(read, "peak_kib") / mib,
            "peak RSS reading the same pages", "MiB", higher_is_better=False,
            note=f"RSS before the export {_median(written, 'baseline_kib') / mib:.0f} MiB",
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        secret = os.environ["RURALNET_INTERNAL_SECRET"]
        print(json.dumps(asyncio.run(_child(sys.argv[2], sys.argv[3], secret))))
        raise SystemExit(0)
    from bench.__main__ import main

    raise SystemExit(main(["registry_xlsx"]))
