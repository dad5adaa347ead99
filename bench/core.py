"""What every benchmark shares: figures and their limits, a bounded HTTP load, and apps
served by uvicorn in processes of their own on loopback ports."""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx

from common.settings import plain_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
LOG_DIR = RESULTS_DIR / "logs"


@dataclass(frozen=True)
class Options:
    """How hard to push: ``quick`` runs a tenth of the load, to check a benchmark works."""

    quick: bool = False

    def scaled(self, n: int) -> int:
        return max(10, n // 10) if self.quick else n


@dataclass(frozen=True)
class Figure:
    """One measured figure beside the limit it is judged against, measured in the same run."""

    name: str
    value: float
    limit: float
    limit_name: str
    unit: str
    higher_is_better: bool
    note: str = ""

    @property
    def ratio(self) -> float:
        """value ÷ limit: below 1 is short of a throughput limit, above 1 slower than a latency one."""
        return self.value / self.limit if self.limit else float("nan")

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "ratio": round(self.ratio, 4)}


@dataclass(frozen=True)
class Load:
    """A bounded load: at most ``requests`` requests and ``seconds`` seconds, whichever first."""

    requests: int
    concurrency: int
    seconds: float = 20.0
    warmup: int = 200


@dataclass
class Measurement:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed_s: float = 0.0

    @property
    def completed(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.completed / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _requests(
    urls: Sequence[str], headers: Mapping[str, str], method: str
) -> tuple[str, int, list[bytes]]:
    """Host, port and the bytes of a request without a body for each URL (all on one
    server)."""
    targets = [urlsplit(url) for url in urls]
    if not targets or len({t.netloc for t in targets}) != 1:
        raise ValueError("measure() needs at least one URL, all on the same server")
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if method != "GET":
        extra += "Content-Length: 0\r\n"
    requests = [
        (
            f"{method} {t.path or '/'}{'?' + t.query if t.query else ''} HTTP/1.1\r\n"
            f"Host: {t.netloc}\r\nUser-Agent: ruralnet-bench\r\n{extra}\r\n"
        ).encode()
        for t in targets
    ]
    return targets[0].hostname or "127.0.0.1", targets[0].port or 80, requests


async def measure(
    url: str | Sequence[str],
    load: Load,
    *,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
) -> Measurement:
    """GET ``url`` under ``load`` over ``load.concurrency`` keep-alive connections (or send
    ``method`` with an empty body: a report document's ``POST``).

    ``url`` may be a sequence of URLs on one server: request *i* (counted from 0, for the
    warm-up and again for the measured requests, across all connections) goes to
    ``url[i % len(url)]``, so two targets measured with lists of the same paths get the same
    sequence. ``headers`` are sent with every request.

    A plain HTTP/1.1 client on asyncio streams, not httpx: on this machine httpx costs ~1 ms
    a request and slows down as connections are added (≈1,000 req/s on one connection, 270
    on 16), so it measured itself rather than the server. This one does ~6,500 and ~11,000
    against the bare app. Answers other than 200 count as errors.
    """
    urls = [url] if isinstance(url, str) else list(url)
    host, port, requests = _requests(urls, headers or {}, method)
    result = Measurement()
    remaining = load.warmup
    issued = 0
    deadline = 0.0

    async def connection(record: bool) -> None:
        nonlocal remaining, issued
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while remaining > 0 and (not record or time.perf_counter() < deadline):
                remaining -= 1
                request = requests[issued % len(requests)]
                issued += 1
                sent = time.perf_counter()
                writer.write(request)
                status, keep_alive = await _read_response(reader)
                if record and status == 200:
                    result.latencies_ms.append((time.perf_counter() - sent) * 1000)
                elif record:
                    result.errors += 1
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    await asyncio.gather(*(connection(record=False) for _ in range(load.concurrency)))
    remaining = load.requests
    issued = 0
    started = time.perf_counter()
    deadline = started + load.seconds
    await asyncio.gather(*(connection(record=True) for _ in range(load.concurrency)))
    result.elapsed_s = time.perf_counter() - started
    return result


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status, and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines if line)
    }
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers.get("connection", "").lower() != "close"


async def measure_calls(call: Callable[[int], Awaitable[object]], load: Load) -> Measurement:
    """Time ``await call(i)`` one after another, as ``measure`` times requests on one
    connection: ``load.warmup`` calls first, then at most ``load.requests`` calls and
    ``load.seconds`` seconds. ``i`` counts from 0 for the warm-up and again for the timed
    calls. For limits that are not HTTP (raw asyncpg running the API's SQL)."""
    if load.concurrency != 1:
        raise ValueError("measure_calls times calls one after another: concurrency 1")
    for i in range(load.warmup):
        await call(i)
    result = Measurement()
    started = time.perf_counter()
    deadline = started + load.seconds
    for i in range(load.requests):
        if time.perf_counter() >= deadline:
            break
        sent = time.perf_counter()
        await call(i)
        result.latencies_ms.append((time.perf_counter() - sent) * 1000)
    result.elapsed_s = time.perf_counter() - started
    return result


def median_of(measurements: Sequence[Measurement], statistic: str) -> float:
    """The median over rounds of one statistic (``per_second``, ``p50``, ``p99``)."""
    values = [
        m.per_second if statistic == "per_second" else m.percentile(float(statistic[1:]))
        for m in measurements
    ]
    return statistics.median(values)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time process ``pid`` has spent so far (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _parent_and_name(pid: int) -> tuple[int, str]:
    with open(f"/proc/{pid}/status") as status:
        lines = dict(line.split(":\t", 1) for line in status.read().splitlines() if ":\t" in line)
    return int(lines["PPid"]), lines["Name"].strip()


async def postmaster_of(url: str) -> int | None:
    """The process id of the PostgreSQL server behind ``url`` when it runs on this machine
    (the parent of a backend, both named ``postgres``), else None."""
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        backend: int = await conn.fetchval("SELECT pg_backend_pid()")
        try:
            parent, name = _parent_and_name(backend)
            if name == "postgres" and _parent_and_name(parent)[1] == "postgres":
                return parent
        except (OSError, KeyError, ValueError):
            pass
        return None
    finally:
        await conn.close()


@dataclass(frozen=True)
class CPUReading:
    apps: dict[str, float]
    client: float
    server: dict[int, float]  # per PostgreSQL server process


class CPUMeter:
    """CPU time spent between two readings by named processes (apps a benchmark serves), by
    the local PostgreSQL server's processes (``postgres``, the children of ``postmaster``,
    when given) and by the benchmark itself (``client``): what shares the machine's cores."""

    def __init__(self, processes: Mapping[str, int], postmaster: int | None) -> None:
        self.processes = dict(processes)
        self.postmaster = postmaster

    def _server(self) -> dict[int, float]:
        found: dict[int, float] = {}
        if self.postmaster is None:
            return found
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if _parent_and_name(int(entry))[0] == self.postmaster:
                    found[int(entry)] = cpu_seconds(int(entry))
            except (OSError, KeyError, ValueError):
                continue  # gone since listed
        return found

    def read(self) -> CPUReading:
        apps = {name: cpu_seconds(pid) for name, pid in self.processes.items()}
        return CPUReading(apps, time.process_time(), self._server())

    def since(self, before: CPUReading) -> dict[str, float]:
        """Seconds of CPU per name since ``before``; a server process that started since
        counts whole, one that ended since is lost."""
        now = self.read()
        spent = {name: cpu - before.apps[name] for name, cpu in now.apps.items()}
        if self.postmaster is not None:
            spent["postgres"] = sum(
                cpu - before.server.get(pid, 0.0) for pid, cpu in now.server.items()
            )
        spent["client"] = now.client - before.client
        return spent


@dataclass(frozen=True)
class Served:
    """An app served by uvicorn in a process of its own: its base URL and process id."""

    url: str
    pid: int


@contextmanager
def uvicorn_process(
    app: str,
    *,
    factory: bool = True,
    env: Mapping[str, str] | None = None,
    workers: int | None = None,
) -> Iterator[str]:
    """Serve ``module:attribute`` with uvicorn in a process of its own; yields its base URL.

    The app logs as it would in production, into ``bench/results/logs/``.
    """
    with served(app, factory=factory, env=env, workers=workers) as app_process:
        yield app_process.url


@contextmanager
def served(
    app: str,
    *,
    factory: bool = True,
    env: Mapping[str, str] | None = None,
    workers: int | None = None,
) -> Iterator[Served]:
    """:func:`uvicorn_process` with the process id too (a profiler attaches to it, a soak
    samples its memory). With ``workers`` uvicorn supervises that many worker processes."""
    # Not ``--fd``: uvicorn takes an inherited socket for a UNIX one, and asyncio then leaves
    # Nagle's algorithm on for its TCP connections (40 ms stalls against delayed ACKs).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    if factory:
        command.append("--factory")
    if workers is not None:
        command += ["--workers", str(workers)]
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{app.replace(':', '.')}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, app, log_path)
        yield Served(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], app: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{app} exited with code {process.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{app} did not answer /healthz within 30 s; see {log}")
