"""A real worker process for tests, and a loopback server that records what it is sent."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support import serve


@contextmanager
def worker_process(
    database_url: str, *features: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``ruralnet worker`` as ``make run`` starts it, on the test database; stopped (SIGTERM,
    then SIGKILL) when the block ends unless the test already ended it."""
    args = [sys.executable, "-m", "ruralnet", "worker"]
    for feature in features:
        args += ["--feature", feature]
    process = subprocess.Popen(
        args,
        env={**os.environ, "DATABASE_URL": database_url, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()


@dataclass
class Recorder:
    """What a loopback receiver was sent, and a way to wait for it without sleeping blind."""

    received: list[dict[str, Any]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def add(self, item: dict[str, Any]) -> None:
        with self.changed:
            self.received.append(item)
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        """Block until ``count`` requests arrived; a generous bound, never a timing assumption."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} requests arrived")
                self.changed.wait(left)
            return list(self.received)


@contextmanager
def recording_server(status: int = 200) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    async def record(request: Request) -> Response:
        recorder.add(json.loads(await request.body()))
        return Response(status_code=status)

    with serve(Starlette(routes=[Route("/", record, methods=["POST"])])) as url:
        yield f"{url}/", recorder


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 60) -> Any:
    """Poll ``check`` until it answers something true, within a generous bound; what
    another process does is awaited by its effect, never by a fixed sleep."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not so within {within} s")
        await asyncio.sleep(0.2)


async def waiting_for_lock(db: Any, count: int = 1, *, application: str = "%") -> None:
    """Until ``count`` backends of this database wait for a lock (of the application whose
    name matches ``application``, a LIKE pattern)."""
    await eventually(
        lambda: db.fetchval(
            "SELECT count(*) >= $1 FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name LIKE $2 AND wait_event_type = 'Lock'",
            count,
            application,
        ),
        within=30,
    )
