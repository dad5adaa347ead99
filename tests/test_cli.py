"""The ``ruralnet`` command: tokens that verify, migrations on a given database, and a clear
message, not a traceback, when a port the system needs is taken.

The real system is never started here: ``ruralnet run`` is pointed at ports this test holds.
"""

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import asyncpg
import jwt
import pytest
from typer.testing import CliRunner

from common.auth import NATION, Role, decode_principal
from common.migrations import COMPONENTS, migration_head
from common.settings import plain_database_url
from gateway.auth import USER_AUDIENCE, USER_ISSUER
from ruralnet import runner
from ruralnet.cli import app
from ruralnet.devdb import Cluster
from tests.support import JWT_SECRET, drop_database, sibling_database_url


def ruralnet(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command line, in a process of its own, as a person would run it."""
    return subprocess.run(
        [sys.executable, "-m", "ruralnet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@contextmanager
def listening() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@contextmanager
def refusing() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextmanager
def components_on(taken: set[str]) -> Iterator[tuple[runner.Component, ...]]:
    """The components moved to ports of our own; those named in ``taken`` are listened on."""
    with ExitStack() as stack:
        moved = tuple(
            runner.Component(
                c.name, c.app, stack.enter_context(listening() if c.name in taken else refusing())
            )
            for c in runner.COMPONENTS
        )
        yield moved


DEVELOPMENT = {"RURALNET_ENV": "development"}


def test_token_verifies(database_url: str) -> None:
    result = ruralnet(
        "token", "--role", "official", "--subject", "user:9", "--division", "141124000000",
        "--hours", "2", env=DEVELOPMENT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    principal = decode_principal(
        token, secret=JWT_SECRET, issuer=USER_ISSUER, audience=USER_AUDIENCE
    )
    assert principal.subject == "user:9"
    assert principal.role is Role.OFFICIAL
    assert principal.division == "141124"
    # Signed with the gateway's user-token secret: no internal token, no other secret.
    with pytest.raises(Exception, match="invalid"):
        decode_principal(
            token, secret="some-other-secret-0123456789abcdef", issuer=USER_ISSUER,
            audience=USER_AUDIENCE,
        )  # fmt: skip


def test_token_needs_no_database() -> None:
    with refusing() as port:
        env = {**DEVELOPMENT, "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/none"}
        result = ruralnet("token", "--role", "operator", "--station", "141124100201-01", env=env)
    assert result.returncode == 0, result.stderr
    principal = decode_principal(
        result.stdout.strip(), secret=JWT_SECRET, issuer=USER_ISSUER, audience=USER_AUDIENCE
    )
    assert principal.station == "141124100201-01"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "operator"], "role operator needs station"),
        (["--role", "official"], "role official needs division (or 'nation' for the whole"),
        (["--role", "platform", "--division", "14110"], "division scope '14110' is not a"),
        (["--role", "official", "--division", "141124000001"], "not a division code at a level"),
        (["--role", "carrier"], "role carrier needs carrier"),
        (["--role", "organiser", "--organiser", "91110000802100433A"], "organiser"),
        (["--role", "admin", "--division", "14"], "role admin carries no division"),
        (["--role", "operator", "--station", "141124100201-01", "--division", "141124"], "no"),
        (["--role", "service"], "a user token cannot carry role service"),
        (["--role", "public"], "a user token cannot carry role public"),
    ],
)
def test_token_refuses_a_principal_that_is_not_whole(
    monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("RURALNET_ENV", "development")
    result = CliRunner().invoke(app, ["token", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert "eyJ" not in result.output


def test_token_mints_the_national_scope_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RURALNET_ENV", "development")
    result = CliRunner().invoke(app, ["token", "--role", "platform", "--division", NATION])
    assert result.exit_code == 0, result.output
    principal = decode_principal(
        result.output.strip(), secret=JWT_SECRET, issuer=USER_ISSUER, audience=USER_AUDIENCE
    )
    assert principal.division == NATION


@pytest.mark.parametrize("environment", ["test", "production"])
def test_token_is_for_development_only(monkeypatch: pytest.MonkeyPatch, environment: str) -> None:
    monkeypatch.setenv("RURALNET_ENV", environment)
    result = CliRunner().invoke(app, ["token", "--role", "admin"])
    assert result.exit_code == 1
    assert f"RURALNET_ENV is '{environment}'" in result.output
    assert "eyJ" not in result.output


def test_a_machine_token_says_its_scopes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A development token of a machine role holds every scope of its kind unless narrowed;
    the gateway refuses a machine token without them (ADR 0062)."""
    monkeypatch.setenv("RURALNET_ENV", "development")
    carrier = ["token", "--role", "carrier", "--carrier", "zhongtong"]
    scopes = {}
    for extra in ([], ["--scope", "feeds:read"]):
        result = CliRunner().invoke(app, [*carrier, *extra])
        assert result.exit_code == 0, result.output
        scopes[len(extra)] = jwt.decode(result.output.strip(), options={"verify_signature": False})[
            "scope"
        ]
    assert scopes == {0: "coverage:write feeds:read reports:read volumes:write", 2: "feeds:read"}
    wrong = CliRunner().invoke(app, [*carrier, "--scope", "training:write"])
    assert wrong.exit_code == 2
    assert "may hold only these scopes" in wrong.output
    person = CliRunner().invoke(app, ["token", "--role", "admin", "--scope", "feeds:read"])
    assert person.exit_code == 2
    assert "people carry no scopes" in person.output


def test_token_refuses_an_unknown_role() -> None:
    result = CliRunner().invoke(app, ["token", "--role", "emperor"])
    assert result.exit_code == 2
    assert "emperor" in result.output
    assert "official" in result.output
    assert "Traceback" not in result.output


def test_check_ports_names_the_port_that_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    with components_on({"logistics"}) as moved:
        monkeypatch.setattr(runner, "COMPONENTS", moved)
        with pytest.raises(runner.PortTaken) as caught:
            runner.check_ports("127.0.0.1")
    logistics = next(c for c in moved if c.name == "logistics")
    message = str(caught.value)
    assert f"port {logistics.port} (logistics) already in use on 127.0.0.1" in message
    assert "stations" not in message
    assert "Stop it and run again" in message


def test_check_ports_passes_when_all_are_free(monkeypatch: pytest.MonkeyPatch) -> None:
    with components_on(set()) as moved:
        monkeypatch.setattr(runner, "COMPONENTS", moved)
        runner.check_ports("127.0.0.1")


def test_run_with_a_port_taken_says_so_without_a_traceback(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DATABASE_URL is the test database (conftest), so no cluster is started or stopped.
    assert os.environ["DATABASE_URL"] == database_url
    with components_on({"stations", "gateway"}) as moved:
        monkeypatch.setattr(runner, "COMPONENTS", moved)
        result = CliRunner().invoke(app, ["run", "--host", "127.0.0.1"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    ports = {c.name: c.port for c in moved}
    assert f"ruralnet: port {ports['stations']} (stations), {ports['gateway']} (gateway)" in (
        result.output
    )
    assert "Traceback" not in result.output


async def _versions(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        return {
            c: await conn.fetchval(f'SELECT version_num FROM "{c}".alembic_version')
            for c in COMPONENTS
        }
    finally:
        await conn.close()


async def test_migrate_creates_and_migrates_the_database_it_is_given(database_url: str) -> None:
    url = sibling_database_url(database_url, "cli_migrate")
    await drop_database(url)
    try:
        result = await asyncio.to_thread(ruralnet, "migrate", env={"DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        assert await _versions(url) == {c: migration_head(c) for c in COMPONENTS}
    finally:
        await drop_database(url)


def test_migrate_again_is_a_no_op_and_an_unknown_component_is_named(database_url: str) -> None:
    again = CliRunner().invoke(app, ["migrate"])
    assert again.exit_code == 0, again.output
    wrong = CliRunner().invoke(app, ["migrate", "payments"])
    assert wrong.exit_code == 1
    assert "unknown component 'payments'" in wrong.output
    assert "Traceback" not in wrong.output


def test_db_url_prints_the_normalised_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.internal:5432/ruralnet")
    result = CliRunner().invoke(app, ["db", "url"])
    assert result.exit_code == 0
    assert result.output.strip() == "postgresql+asyncpg://app@db.internal:5432/ruralnet"


def test_db_url_of_a_stopped_cluster_is_an_error_not_a_guessed_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    stopped = Cluster(datadir=tmp_path / "never-started")
    monkeypatch.setattr("ruralnet.cli.Cluster", lambda: stopped)
    result = CliRunner().invoke(app, ["db", "url"])
    assert result.exit_code == 1
    assert "is not running" in result.output
    assert "postgresql" not in result.output


@pytest.mark.parametrize(
    ("host", "reached_at"),
    [
        ("127.0.0.2", "127.0.0.2"),
        ("10.8.0.5", "10.8.0.5"),
        ("0.0.0.0", "127.0.0.1"),
        ("::", "[::1]"),
    ],
)
def test_run_host_is_where_the_gateway_finds_the_services(
    monkeypatch: pytest.MonkeyPatch, host: str, reached_at: str
) -> None:
    from gateway.settings import GatewaySettings

    for name, value in runner._links(host).items():
        monkeypatch.setenv(name, value)
    ports = {c.name: c.port for c in runner.COMPONENTS if c.name != "gateway"}
    assert GatewaySettings().service_urls() == {
        name: f"http://{reached_at}:{port}" for name, port in ports.items()
    }


def test_the_worker_count_of_each_app_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = next(c for c in runner.COMPONENTS if c.name == "gateway")
    monkeypatch.delenv("GATEWAY_WORKERS", raising=False)
    assert runner.uvicorn_workers(gateway, {}) == []
    assert runner.uvicorn_workers(gateway, {"GATEWAY_WORKERS": "1"}) == []
    assert runner.uvicorn_workers(gateway, {"GATEWAY_WORKERS": "3"}) == ["--workers", "3"]
    monkeypatch.setenv("GATEWAY_WORKERS", "2")
    assert runner.uvicorn_workers(gateway, {}) == ["--workers", "2"]
    for wrong in ("0", "two"):
        with pytest.raises(ValueError, match="GATEWAY_WORKERS"):
            runner.uvicorn_workers(gateway, {"GATEWAY_WORKERS": wrong})
