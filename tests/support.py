"""Helpers for tests: principals and the headers that carry them, apps served on loopback
ports, closed ports and scratch databases."""

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg
import uvicorn
from starlette.types import ASGIApp

from common.auth import Principal, Role, mint_internal_token
from common.settings import plain_database_url
from ruralnet.devdb import ensure_database

INTERNAL_SECRET = "test-internal-secret-0123456789abcdef"
JWT_SECRET = "test-user-token-secret-0123456789abcdef"
FIELD_KEY_ID = "test-1"
FIELD_KEY = "test-field-encryption-key-0123456789abcdef"


def internal_headers(
    role: Role = Role.ADMIN,
    *,
    subject: str = "test",
    division: str | None = None,
    station: str | None = None,
    carrier: str | None = None,
    organiser: str | None = None,
    ttl_seconds: int = 60,
) -> dict[str, str]:
    principal = Principal(
        subject=subject,
        role=role,
        division=division,
        station=station,
        carrier=carrier,
        organiser=organiser,
    )
    token = mint_internal_token(principal, secret=INTERNAL_SECRET, ttl_seconds=ttl_seconds)
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a background thread.

    Yields the base URL. The app runs its own lifespan in the thread's event loop, so it is
    the same process the tests run in but a real HTTP server, as the gateway needs.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="on", log_config=None, access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the app on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, never listening, for as long as used."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def sibling_database_url(database_url: str, suffix: str) -> str:
    """A URL on the same server as the test database, for a database named after it."""
    base, _, name = database_url.rpartition("/")
    return f"{base}/{name.split('?')[0]}_{suffix}"


async def drop_database(url: str) -> None:
    base, _, name = plain_database_url(url).rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres", timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name.split("?")[0]}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def scratch_database(database_url: str, suffix: str) -> AsyncIterator[str]:
    """A fresh database with PostGIS and nothing else, dropped afterwards."""
    url = sibling_database_url(database_url, suffix)
    await ensure_database(url, fresh=True)
    try:
        yield url
    finally:
        await drop_database(url)
