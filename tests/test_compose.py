"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the file parses,
and every command, module, port and variable it names exists and means what it says."""

import fnmatch
import importlib
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from typer.main import get_command
from uvicorn import main as uvicorn_command

from common.settings import ComponentSettings
from gateway.settings import GatewaySettings
from ruralnet.cli import app as cli_app
from ruralnet.runner import COMPONENTS
from services.logistics.settings import LogisticsSettings
from services.programme.settings import ProgrammeSettings
from services.stations.settings import StationsSettings
from services.training.settings import TrainingSettings

ROOT = Path(__file__).resolve().parent.parent
APPS = {c.name: c for c in COMPONENTS}
SETTINGS: dict[str, type[ComponentSettings]] = {
    "stations": StationsSettings,
    "logistics": LogisticsSettings,
    "training": TrainingSettings,
    "programme": ProgrammeSettings,
    "gateway": GatewaySettings,
}
SHARED_VARIABLES = {"DATABASE_URL", "RURALNET_ENV", "RURALNET_INTERNAL_SECRET"}
SECRETS = {
    "POSTGRES_PASSWORD",
    "RURALNET_INTERNAL_SECRET",
    "GATEWAY_JWT_SECRET",
    "GATEWAY_PHONE_INDEX_KEY",
    "TRAINING_FIELD_KEY",
    "GATEWAY_FIELD_KEY",
}
# ${NAME}, ${NAME:?message}, ${NAME:-default} … as compose reads them.
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?P<op>:?[?-])?(?P<arg>[^}]*)\}")
TEST_SECRET = "compose-test-secret-0123456789abcdef0123"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with (ROOT / "docker-compose.yml").open() as f:
        parsed = yaml.safe_load(f)
    assert isinstance(parsed, dict)
    return parsed


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as the container would see it, with test values for secrets."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {
        name: INTERPOLATION.sub(lambda m: TEST_SECRET if m["name"] in SECRETS else "", str(value))
        for name, value in raw.items()
    }


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_the_system_is_there(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {"db", "migrate", "worker", *APPS}


def test_the_worker_runs_the_gateways_jobs_with_its_settings(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = services["worker"]
    program, subcommand, *rest = argv(worker["command"])
    assert (program, subcommand, rest) == ("ruralnet", "worker", [])
    assert subcommand in getattr(get_command(cli_app), "commands", {})
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "ports" not in worker
    assert environment(worker) == environment(services["gateway"])
    for variable, value in environment(worker).items():
        monkeypatch.setenv(variable, value)
    settings = GatewaySettings()
    assert settings.environment == "production"
    assert settings.database_url.endswith("@db:5432/ruralnet")


def test_the_database_is_postgis_with_a_named_volume_and_a_healthcheck(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    db = services["db"]
    assert db["image"].startswith("postgis/postgis:")
    volume, _, target = db["volumes"][0].partition(":")
    assert volume in compose["volumes"], "a named volume, declared at the top level"
    assert target == "/var/lib/postgresql/data"
    test = argv(db["healthcheck"]["test"])
    assert test[0] == "CMD-SHELL"
    assert test[1].startswith("pg_isready")
    assert f"-d {db['environment']['POSTGRES_DB']}" in test[1]


def test_the_migrate_job_runs_a_real_command_once(services: dict[str, dict[str, Any]]) -> None:
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    program, subcommand, *rest = argv(migrate["command"])
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"][program] == "ruralnet.cli:app"
    commands = getattr(get_command(cli_app), "commands", {})
    assert subcommand in commands
    # It loads the demo region too, as `make run` does; every option it passes exists.
    assert rest == ["--demo"]
    declared = {opt for param in commands[subcommand].params for opt in param.opts}
    assert set(rest) <= declared
    # and the gateway's field keys, with which gateway_0007 seals the stored signing secrets.
    assert set(environment(migrate)) <= SHARED_VARIABLES | {
        "GATEWAY_FIELD_KEYS",
        "GATEWAY_FIELD_KEY_ID",
    }


def _uvicorn_options() -> set[str]:
    return {opt for param in uvicorn_command.params for opt in (*param.opts, *param.secondary_opts)}


@pytest.mark.parametrize("name", sorted(APPS))
def test_each_app_runs_its_factory_on_its_port(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = services[name]
    args = argv(service["command"])
    assert args[0] == "uvicorn"
    assert args[1] == APPS[name].app
    flags = [a for a in args[2:] if a.startswith("-")]
    assert set(flags) <= _uvicorn_options(), set(flags) - _uvicorn_options()
    assert "--factory" in flags
    assert option(args, "--host") == "0.0.0.0"
    assert int(option(args, "--port")) == APPS[name].port
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"

    # The factory builds the app from exactly the environment the container gets.
    for variable, value in environment(service).items():
        monkeypatch.setenv(variable, value)
    module, _, attribute = args[1].partition(":")
    app = getattr(importlib.import_module(module), attribute)()
    assert isinstance(app, FastAPI)
    assert app.state.settings.environment == "production"
    assert app.state.settings.database_url.endswith("@db:5432/ruralnet")

    probe = " ".join(argv(service["healthcheck"]["test"]))
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", probe)
    assert url is not None, probe
    assert int(url[1]) == APPS[name].port
    assert url[2] in app.openapi()["paths"]


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_variable_is_one_the_settings_read(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    settings = SETTINGS[name]
    prefix = settings.model_config["env_prefix"]
    known = SHARED_VARIABLES | {f"{prefix}{field}".upper() for field in settings.model_fields}
    assert set(environment(services[name])) <= known


def test_the_gateway_finds_the_services_by_their_compose_names(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = services["gateway"]
    for variable, value in environment(gateway).items():
        monkeypatch.setenv(variable, value)
    urls = GatewaySettings().service_urls()
    for name, url in urls.items():
        host, _, port = url.removeprefix("http://").partition(":")
        assert host in services, url
        assert int(port) == APPS[name].port
        assert gateway["depends_on"][host]["condition"] == "service_healthy"
    assert gateway["ports"] == [f"{APPS['gateway'].port}:{APPS['gateway'].port}"]
    assert all("ports" not in services[name] for name in APPS if name != "gateway")


def test_secrets_have_no_usable_default(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    uses = [m for m in INTERPOLATION.finditer(text) if not text[: m.start()].endswith("#")]
    named = {m["name"] for m in uses}
    assert named == SECRETS
    for m in uses:
        assert m["op"] == ":?", f"${{{m['name']}}} must fail when unset or empty"
    for service in compose["services"].values():
        for value in (service.get("environment") or {}).values():
            assert "development-only" not in str(value)


def _dockerfile() -> list[tuple[str, str]]:
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    return [
        (instruction.upper(), rest.strip())
        for instruction, _, rest in (line.strip().partition(" ") for line in lines)
        if instruction and not instruction.startswith("#")
    ]


def test_the_dockerfile_builds_the_project_as_a_non_root_user(
    services: dict[str, dict[str, Any]],
) -> None:
    steps = _dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert any(i == "RUN" and "pip install ." in rest for i, rest in steps)
    users = [rest for i, rest in steps if i == "USER"]
    assert users
    assert users[-1] not in {"root", "0"}
    for name in ("migrate", *APPS):
        assert services[name]["build"] == "."
        assert services[name]["image"] == services["migrate"]["image"]


def test_what_the_dockerfile_copies_exists_and_is_not_ignored() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = []
    for instruction, rest in _dockerfile():
        if instruction == "COPY":
            *sources, _ = rest.split()
            copied += sources
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source
    # Everything the code needs at run time is in the image: each package and the migrations.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert packages | {"migrations", "pyproject.toml", "README.md"} <= set(copied)
