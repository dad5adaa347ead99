"""``python -m bench.profile <scenario>``: where a request's CPU time goes, hop by hop.

Starts the apps of a scenario as the benchmarks do (uvicorn, JSON logs), puts the
benchmark's load on them and samples each app's process in turn with py-spy (a sampling
profiler outside the process: the app runs unmodified). Prints per process the share of the
samples spent in each package (the innermost frame's), and the share spent inside each of
our own functions (inclusive); the raw stacks go to ``bench/results/profile-*.txt`` for a
flame graph (``py-spy``'s raw format, one collapsed stack a line).

Scenarios:

- ``gateway``: ``GET /stations/healthz`` through the gateway to the stations service, as
  ``http_json`` measures it; samples the gateway, then the service.
- ``station_get``: ``GET /v1/stations/{code}`` on the national database, as ``station_get``.
- ``county``, ``county_sales``, ``county_gaps``: county 370982's network indicators, its
  sales of 12 months and its first page of villages without a point, as
  ``stations_indicators`` sends them; ``logistics_county``, ``logistics_gaps``: its courier
  coverage indicators and first page of townships without a courier, as
  ``logistics_indicators`` (take ``--connections 1``, as those benchmarks do).
- ``fund_check``: ``GET /v1/fund-check?division=141124`` on the programme benchmark's
  database, as ``fund_check`` (take ``--connections 1``, as the benchmark does).
- ``coverage_bulk``: one 100,000-row coverage upload through the gateway (all created),
  then the same again (all unchanged), as ``logistics_coverage_bulk``; samples the
  logistics app and the gateway together for the length of each request.
- ``registry``: ``GET /registry/v1/stations/{code}`` on random village points, as
  ``registry_views`` serves it (the four services and the gateway, the record cache off);
  samples the five processes at once and says each one's CPU per record (samples while
  holding the GIL ÷ the sample rate ÷ records answered), a steadier figure on a shared
  machine than a latency (take ``--connections 1``, as the benchmark does).
- ``report``: ``POST /reports/v1/documents/370982/<month>`` again and again (each confirms
  the revision made first), as ``report_documents`` sends it; samples the five processes at
  once and says each one's CPU per document, as ``registry`` (take ``--connections 1``).

Like a benchmark, take the bench lock: ``flock /work/.bench.lock .venv/bin/python -m
bench.profile gateway``. py-spy pauses the process for each sample, so absolute rates under
profiling are lower than the benchmarks'; the shares are what this is for.
"""

import argparse
import asyncio
import random
import re
import secrets
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.core import PROJECT_ROOT, RESULTS_DIR, Load, measure, served
from common.auth import Principal, Role, mint_internal_token

SAMPLE_RATE = 400  # samples a second
OUR_PACKAGES = ("common", "gateway", "services", "bench")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*):(?P<line>\d+)\)$")


@dataclass(frozen=True)
class Target:
    name: str  # which process is sampled
    pid: int
    urls: list[str]
    headers: dict[str, str]


def _package(path: str) -> str:
    """The package a frame's file belongs to: ``starlette``, ``common.middleware``,
    ``asyncio`` …"""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    root = str(PROJECT_ROOT) + "/"
    if path.startswith(root):
        rel = path[len(root) :].removesuffix(".py").split("/")
        return ".".join(rel[:2]) if rel[0] != "services" else ".".join(rel[:3])
    parts = Path(path).parts
    for i, part in enumerate(parts):
        if part.startswith("python3"):
            return ".".join(parts[i + 1 : i + 2]).removesuffix(".py") or path
    return path


def _frames(line: str) -> tuple[list[tuple[str, str]], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    frames = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        if match:
            frames.append((match["function"], match["file"]))
    return frames, int(count)


def summarise(raw: Path, top: int = 25) -> str:
    """Shares of the samples: by the innermost frame's package, and inside each of our own
    functions (a function counted once per sample however deep it recurs)."""
    by_package: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        frames, count = _frames(line)
        if not frames:
            continue
        total += count
        by_package[_package(frames[-1][1])] += count
        ours = {
            f"{_package(file)}.{function}"
            for function, file in frames
            if _package(file).split(".")[0] in OUR_PACKAGES
        }
        for name in ours:
            inside[name] += count
    if not total:
        return "  no samples"
    lines = [f"  {total} samples", "  innermost frame's package:"]
    lines += [f"    {n / total:6.1%}  {name}" for name, n in by_package.most_common(top)]
    lines.append("  inside our functions (inclusive):")
    lines += [f"    {n / total:6.1%}  {name}" for name, n in inside.most_common(top)]
    return "\n".join(lines)


async def _profile(target: Target, seconds: float, connections: int, out: Path) -> str:
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    load = Load(requests=10**9, concurrency=connections, seconds=seconds + 3, warmup=500)
    traffic = asyncio.create_task(measure(target.urls, load, headers=target.headers))
    await asyncio.sleep(1.5)
    recorder = await asyncio.create_subprocess_exec(
        *(spy, "record", "--pid", str(target.pid), "--duration", str(int(seconds))),
        *("--rate", str(SAMPLE_RATE), "--format", "raw", "--output", str(out)),
        # Only while holding the GIL: a loop waiting in epoll is not counted as work.
        *("--gil", "--full-filenames"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await recorder.wait()
    measured = await traffic
    return (
        f"{target.name}: {measured.per_second:,.0f} req/s under the profiler, "
        f"{measured.errors} errors, {connections} connections; stacks in "
        f"{out.relative_to(PROJECT_ROOT)}\n{summarise(out)}"
    )


async def _record_upload(
    step: str, send: Callable[[], Awaitable[float]], apps: dict[str, int]
) -> str:
    """Sample every process in ``apps`` for exactly the length of one request."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    recorders, outs = [], {}
    for name, pid in apps.items():
        outs[name] = RESULTS_DIR / f"profile-coverage_bulk-{step}-{name}.txt"
        recorders.append(
            await asyncio.create_subprocess_exec(
                *(spy, "record", "--pid", str(pid), "--rate", str(SAMPLE_RATE)),
                *("--format", "raw", "--output", str(outs[name]), "--gil", "--full-filenames"),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        )
    await asyncio.sleep(1)  # py-spy attached
    elapsed = await send()
    for recorder in recorders:
        recorder.send_signal(signal.SIGINT)  # py-spy writes what it sampled and exits
        await recorder.wait()
    lines = [f"{step}: {elapsed:.2f} s under the profiler"]
    for name, out in outs.items():
        lines += [f"{name} ({out.relative_to(PROJECT_ROOT)}):", summarise(out, top=40)]
    return "\n".join(lines)


async def _profile_coverage_bulk() -> str:
    import asyncpg
    import httpx

    from bench.benchmarks import logistics_coverage_bulk as bulk
    from bench.national import bench_url
    from common.settings import plain_database_url

    url = bench_url()  # built by the benchmark (python -m bench logistics_coverage_bulk)
    env, token = bulk.apps_env(url)
    conn = await asyncpg.connect(plain_database_url(url))
    report = []
    try:
        carrier_id = await bulk.bench_carrier(conn)
        body = bulk.upload_body(await bulk.village_codes(conn, bulk.ROWS))
        await bulk.clean(conn, carrier_id)
        with ExitStack() as stack:
            logistics, gateway = bulk.start_apps(stack, env)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            async with httpx.AsyncClient(
                base_url=gateway.url, headers=headers, timeout=600
            ) as client:

                async def send() -> float:
                    started = time.perf_counter()
                    r = await client.post("/logistics/v1/coverage/bulk", content=body)
                    r.raise_for_status()
                    return time.perf_counter() - started

                apps = {"logistics": logistics.pid, "gateway": gateway.pid}
                for step in ("created", "unchanged"):
                    report.append(await _record_upload(step, send, apps))
    finally:
        await bulk.clean(conn, carrier_id)
        await conn.close()
    return "\n".join(report)


async def _profile_together(
    scenario: str, pids: dict[str, int], urls: list[str], headers: dict[str, str],
    seconds: float, connections: int, method: str = "GET",
) -> str:  # fmt: skip
    """Sample every process in ``pids`` at once while the load runs: each one's share, and
    its CPU per request."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    load = Load(requests=10**9, concurrency=connections, seconds=seconds + 3, warmup=200)
    traffic = asyncio.create_task(measure(urls, load, headers=headers, method=method))
    await asyncio.sleep(1.5)
    outs = {n: RESULTS_DIR / f"profile-{scenario}-{n}-c{connections}.txt" for n in pids}
    recorders = [
        await asyncio.create_subprocess_exec(
            *(spy, "record", "--pid", str(pid), "--duration", str(int(seconds))),
            *("--rate", str(SAMPLE_RATE), "--format", "raw", "--output", str(outs[name])),
            *("--gil", "--full-filenames"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]
    for recorder in recorders:
        await recorder.wait()
    measured = await traffic
    answered = measured.per_second * int(seconds)
    lines = [
        f"{scenario}: {measured.per_second:,.1f} req/s under the profiler "
        f"(p50 {measured.percentile(50):.2f} ms), {measured.errors} errors, "
        f"{connections} connections"
    ]
    total = 0.0
    for name, out in outs.items():
        samples = _samples(out)
        cpu_ms = samples / SAMPLE_RATE / answered * 1000 if answered else float("nan")
        total += cpu_ms
        lines += [
            f"{name}: {cpu_ms:.2f} ms of CPU per request ({out.relative_to(PROJECT_ROOT)})",
            summarise(out),
        ]
    lines.append(f"all processes: {total:.2f} ms of CPU per request (PostgreSQL not counted)")
    return "\n".join(lines)


def _samples(raw: Path) -> int:
    return sum(_frames(line)[1] for line in raw.read_text().splitlines() if _frames(line)[0])


def _profile_registry(seconds: float, connections: int) -> str:
    from bench.benchmarks import registry_views as views
    from bench.national import bench_url

    url = bench_url()  # built by the benchmark (python -m bench registry_views)
    codes = asyncio.run(views.codes_of(url))
    asyncio.run(views.seal_trainees(url, codes))
    with views.serve(url) as apps:
        pids = {"gateway": apps.gateway.pid} | {n: s.pid for n, s in apps.services.items()}
        urls = [f"{apps.gateway.url}/registry/v1/stations/{c}" for c in codes]
        return asyncio.run(
            _profile_together("registry", pids, urls, apps.headers, seconds, connections)
        )


def _profile_report(seconds: float, connections: int) -> str:
    import httpx

    from bench.benchmarks import report_documents as report
    from bench.national import bench_url
    from common.settings import async_database_url

    url = async_database_url(
        bench_url()
    )  # built by the benchmark (python -m bench report_documents)
    secret, headers = asyncio.run(report.prepare(url))
    with report.serve(url, secret) as apps:
        document = f"{apps['gateway'].url}/reports/v1/documents/{report.COUNTY}/{report.PERIOD}"
        httpx.post(document, headers=headers, timeout=300).raise_for_status()  # revision 1
        pids = {name: app.pid for name, app in apps.items()}
        return asyncio.run(
            _profile_together(
                "report", pids, [document], headers, seconds, connections, method="POST"
            )
        )


@contextmanager
def _scenario(name: str) -> Iterator[list[Target]]:
    env = {"STATIONS_LOG_JSON": "true", "GATEWAY_LOG_JSON": "true"}
    with ExitStack() as stack:
        if name == "gateway":
            stations = stack.enter_context(served("services.stations.app:create", env=env))
            gateway = stack.enter_context(
                served("gateway.app:create", env={**env, "GATEWAY_STATIONS_URL": stations.url})
            )
            urls = [f"{gateway.url}/stations/healthz"]
            yield [
                Target("gateway", gateway.pid, urls, {}),
                Target("stations", stations.pid, urls, {}),
            ]
            return
        if name == "fund_check":
            from bench.benchmarks import fund_check

            url = fund_check.bench_programme_url()
            asyncio.run(fund_check.prepare(url))
            app_env, headers = fund_check.served_as_platform(url)
            programme = stack.enter_context(served("services.programme.app:create", env=app_env))
            urls = [f"{programme.url}/v1/fund-check?division={fund_check.COUNTY}"]
            yield [Target("programme", programme.pid, urls, headers)]
            return
        from bench.national import bench_url

        url = bench_url()
        secret = secrets.token_hex(32)
        if name in INDICATORS:
            yield [_indicator_target(stack, name, url, secret, env)]
            return
        from bench.benchmarks.station_get import _codes

        token = mint_internal_token(
            Principal(subject="bench", role=Role.ADMIN), secret=secret, ttl_seconds=3600
        )
        env |= {
            "STATIONS_DATABASE_URL": url,
            "RURALNET_INTERNAL_SECRET": secret,
            "STATIONS_DB_POOL_SIZE": "16",
        }
        stations = stack.enter_context(served("services.stations.app:create", env=env))
        headers = {"Authorization": f"Bearer {token}"}
        paths = [f"/v1/stations/{code}" for code in asyncio.run(_codes(url))]
        random.Random(1).shuffle(paths)
        yield [Target("stations", stations.pid, [stations.url + p for p in paths], headers)]


# Indicator scenarios: a case of an indicator benchmark (its module, how the case's name
# starts), sent as that benchmark sends it (a national platform's token).
INDICATORS = {
    "county": ("stations_indicators", "county 370982 network"),
    "county_sales": ("stations_indicators", "county 370982 sales"),
    "county_gaps": ("stations_indicators", "county 370982 villages"),
    "logistics_county": ("logistics_indicators", "county 370982 coverage"),
    "logistics_gaps": ("logistics_indicators", "county 370982 townships"),
}


def _indicator_target(
    stack: ExitStack, name: str, url: str, secret: str, env: dict[str, str]
) -> Target:
    from importlib import import_module

    from bench.core import Options
    from common.auth import NATION

    module_name, case_name = INDICATORS[name]
    module = import_module(f"bench.benchmarks.{module_name}")
    [case] = [c for c in module._cases(Options()) if c.name.startswith(case_name)]
    component = module_name.removesuffix("_indicators")
    prefix = component.upper()
    app_env = env | {
        f"{prefix}_DATABASE_URL": url,
        f"{prefix}_LOG_JSON": "true",
        "RURALNET_INTERNAL_SECRET": secret,
        "LOGISTICS_FOLLOW_STATIONS": "false",
    }
    app = stack.enter_context(served(f"services.{component}.app:create", env=app_env))
    token = mint_internal_token(
        Principal(subject="bench", role=Role.PLATFORM, division=NATION),
        secret=secret,
        ttl_seconds=3600,
    )
    return Target(component, app.pid, [app.url + case.path], {"Authorization": f"Bearer {token}"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument(
        "scenario",
        choices=[
            "gateway",
            "station_get",
            *INDICATORS,
            "fund_check",
            "coverage_bulk",
            "registry",
            "report",
        ],
    )
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if args.scenario == "coverage_bulk":
        print(asyncio.run(_profile_coverage_bulk()), flush=True)
        return 0
    if args.scenario == "registry":
        print(_profile_registry(args.seconds, args.connections), flush=True)
        return 0
    if args.scenario == "report":
        print(_profile_report(args.seconds, args.connections), flush=True)
        return 0
    with _scenario(args.scenario) as targets:
        for target in targets:
            out = RESULTS_DIR / f"profile-{args.scenario}-{target.name}-c{args.connections}.txt"
            print(asyncio.run(_profile(target, args.seconds, args.connections, out)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
