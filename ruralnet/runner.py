"""``ruralnet run``: the whole system on one machine, stopped as a whole by Ctrl-C."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import httpx

from common.metrics import MULTIPROCESS_DIR
from ruralnet.devdb import port_in_use


@dataclass(frozen=True)
class Component:
    name: str
    app: str
    port: int


COMPONENTS = (
    Component("stations", "services.stations.app:create", 8001),
    Component("logistics", "services.logistics.app:create", 8002),
    Component("training", "services.training.app:create", 8003),
    Component("programme", "services.programme.app:create", 8004),
    Component("gateway", "gateway.app:create", 8000),
)


# The gateway's job worker (ADR 0080): reports, deliveries, exports; no port of its own.
WORKER_COMMAND = ("-m", "ruralnet", "worker")


def uvicorn_workers(component: Component, env: dict[str, str]) -> list[str]:
    """``--workers N`` from ``<COMPONENT>_WORKERS`` (default 1: one process per app).

    Several workers of one app share its port (uvicorn supervises them) and each keeps its
    own database pool (``<COMPONENT>_DB_POOL_SIZE`` connections each); their metrics are
    added up in a directory of that app's own (``PROMETHEUS_MULTIPROC_DIR``, made here).
    """
    raw = env.get(f"{component.name.upper()}_WORKERS") or os.environ.get(
        f"{component.name.upper()}_WORKERS", "1"
    )
    try:
        workers = int(raw)
    except ValueError:
        raise ValueError(f"{component.name.upper()}_WORKERS={raw!r} is not a number") from None
    if workers < 1:
        raise ValueError(f"{component.name.upper()}_WORKERS must be at least 1, not {workers}")
    return [] if workers == 1 else ["--workers", str(workers)]


def reachable(host: str) -> str:
    """The address to call a server listening on ``host`` at: a wildcard (all interfaces)
    is reached on loopback; an IPv6 address goes in brackets."""
    address = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"[{address}]" if ":" in address else address


def _links(host: str) -> dict[str, str]:
    """Where the components find each other when they all listen on ``host``: the gateway
    each service; logistics, training and programme the stations service; programme the
    training service."""
    at = reachable(host)
    urls = {c.name: f"http://{at}:{c.port}" for c in COMPONENTS}
    links = {
        f"GATEWAY_{c.name.upper()}_URL": urls[c.name] for c in COMPONENTS if c.name != "gateway"
    }
    return {
        **links,
        "LOGISTICS_STATIONS_URL": urls["stations"],
        "PROGRAMME_STATIONS_URL": urls["stations"],
        "PROGRAMME_TRAINING_URL": urls["training"],
        "TRAINING_STATIONS_URL": urls["stations"],
    }


class PortTaken(RuntimeError):
    pass


def check_ports(host: str) -> None:
    taken = [c for c in COMPONENTS if port_in_use(c.port, host)]
    if taken:
        names = ", ".join(f"{c.port} ({c.name})" for c in taken)
        raise PortTaken(
            f"port {names} already in use on {host}: another ruralnet or another program "
            "holds it. Stop it and run again."
        )


def _wait_healthy(host: str, component: Component, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{component.name} exited with code {process.returncode}")
        try:
            url = f"http://{reachable(host)}:{component.port}/healthz"
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{component.name} did not answer /healthz within 30 s")


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for p in processes:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run_components(host: str, env: dict[str, str]) -> int:
    """Start the apps, print where they are, and wait; returns the exit code."""
    check_ports(host)
    processes: list[subprocess.Popen[bytes]] = []
    interrupted = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for component in COMPONENTS:
            workers = uvicorn_workers(component, env)
            command = [
                sys.executable, "-m", "uvicorn", component.app, "--factory",
                "--host", host, "--port", str(component.port), "--no-access-log", *workers,
            ]  # fmt: skip
            extra = {}
            if workers and MULTIPROCESS_DIR not in os.environ:
                extra[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix=f"ruralnet-{component.name}-")
            # A process group of its own: Ctrl-C reaches us alone and we stop the apps in order.
            processes.append(
                subprocess.Popen(
                    command,
                    env={**os.environ, **env, **_links(host), **extra},
                    start_new_session=True,
                )
            )
        for component, process in zip(COMPONENTS, processes, strict=True):
            _wait_healthy(host, component, process)
        worker = subprocess.Popen(
            [sys.executable, *WORKER_COMMAND],
            env={**os.environ, **env, **_links(host)},
            start_new_session=True,
        )
        processes.append(worker)
        print("\nruralnet is running:", flush=True)
        for component in COMPONENTS:
            print(
                f"  {component.name:<10} http://{reachable(host)}:{component.port}/docs",
                flush=True,
            )
        print("  worker     runs the gateway's jobs (reports, deliveries, exports)", flush=True)
        print("Press Ctrl-C to stop everything.\n", flush=True)
        names = [c.name for c in COMPONENTS] + ["worker"]
        while not interrupted:
            for name, process in zip(names, processes, strict=True):
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}; stopping")
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        _stop_all(processes)
        for s, handler in previous.items():
            signal.signal(s, handler)
