"""Helpers for tests: principals and the headers that carry them, apps served on loopback
ports, closed ports and scratch databases."""

import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import httpx
import uvicorn
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from common.auth import Principal, Role, mint_internal_token
from common.reference_sync import ReferenceFollower
from common.settings import plain_database_url
from ruralnet.devdb import ensure_database

INTERNAL_SECRET = "test-internal-secret-0123456789abcdef"
JWT_SECRET = "test-user-token-secret-0123456789abcdef"
PHONE_INDEX_KEY = "test-phone-index-key-0123456789abcdef"
FIELD_KEY_ID = "test-1"
FIELD_KEY = "test-field-encryption-key-0123456789abcdef"


class TokenHeaders(Mapping[str, str]):
    """``Authorization: Bearer …`` for one principal, with the token minted each time the
    headers are read: a module-level ``ADMIN = internal_headers(...)`` used as
    ``headers=ADMIN`` or ``{**ADMIN, "If-Match": …}`` never carries a token older than the
    request, however long the suite has run before it."""

    def __init__(
        self,
        principal: Principal,
        mint: Callable[[Principal], str],
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.principal = principal
        self._mint = mint
        self._extra = dict(extra or {})

    def __getitem__(self, key: str) -> str:
        if key == "Authorization":
            return f"Bearer {self._mint(self.principal)}"
        return self._extra[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("Authorization", *self._extra))

    def __len__(self) -> int:
        return 1 + len(self._extra)

    # ``ADMIN | {"Accept-Language": "zh"}`` at module level stays lazy too.
    def __or__(self, other: Mapping[str, str]) -> Mapping[str, str]:
        if "Authorization" in other:
            return {**self, **other}
        return TokenHeaders(self.principal, self._mint, {**self._extra, **other})

    def __ror__(self, other: Mapping[str, str]) -> Mapping[str, str]:
        return TokenHeaders(
            self.principal,
            self._mint,
            {**{k: v for k, v in other.items() if k != "Authorization"}, **self._extra},
        )

    def __repr__(self) -> str:
        return f"TokenHeaders({self.principal!r})"


def internal_headers(
    role: Role = Role.ADMIN,
    *,
    subject: str = "test",
    division: str | None = None,
    station: str | None = None,
    carrier: str | None = None,
    organiser: str | None = None,
) -> TokenHeaders:
    """Headers carrying an internal token for this principal, minted when sent."""
    principal = Principal(
        subject=subject,
        role=role,
        division=division,
        station=station,
        carrier=carrier,
        organiser=organiser,
    )
    return TokenHeaders(principal, lambda p: mint_internal_token(p, secret=INTERNAL_SECRET))


def user_headers(principal: Principal) -> TokenHeaders:
    """The same with a user token, as a person presents it to the gateway."""
    from gateway.auth import mint_user_token

    return TokenHeaders(principal, lambda p: mint_user_token(p, secret=JWT_SECRET))


@contextmanager
def serve(app: ASGIApp, *, port: int = 0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port (or ``port``: the same one again
    after a stop, as a restarted service comes back) in a background thread.

    Yields the base URL. The app runs its own lifespan in the thread's event loop, so it is
    the same process the tests run in but a real HTTP server, as the gateway needs.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
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


@asynccontextmanager
async def app_client(
    app: ASGIApp, base_url: str = "http://test"
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on an app in this process, its lifespan run around it."""
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url=base_url
        ) as client,
    ):
        yield client


async def load_reference_copies(database_url: str, followers: Sequence[ReferenceFollower]) -> None:
    """Load each component's division reference copy from a stations app on this database,
    through stations' snapshot routes and the followers' own loading code."""
    from services.stations.app import create
    from services.stations.settings import StationsSettings

    # The secret its headers are signed with, whatever the environment says (a benchmark
    # loads programme's copy outside the test suite's environment).
    app = create(StationsSettings(database_url=database_url, internal_secret=INTERNAL_SECRET))  # type: ignore[arg-type]
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app),
            base_url="http://stations",
            headers=internal_headers(Role.SERVICE, subject="service:tests"),
        ) as client,
    ):
        conn = await asyncpg.connect(plain_database_url(database_url))
        try:
            for follower in followers:
                await follower.sync_divisions(conn, client)
                await follower.sync_boundaries(conn, client)
        finally:
            await conn.close()


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


def problem(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    """Assert a problem+json answer with this status and code (and field, when given), and
    return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code, body
    if field is not None:
        assert body["field"] == field, body
    return body
