"""Item 12 of the hardening issue, as a client developer meets it: a Python client generated
from the gateway's ``/openapi.json`` by openapi-python-client, unchanged, registers a station,
reads it and updates it with ``If-Match`` through the real gateway; a stale ETag is its 412
problem, parsed as the document says."""

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.gateway.conftest import SERVICES, Front, user_headers
from tests.training.helpers import session_body

PACKAGE = "ruralnet_generated_client"
_GENERATOR_CHATTER = ("Generating ", "Warning(s) encountered", "If you believe this was a mistake")


@pytest.fixture(scope="module")
def generated(
    document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("client")
    path = root / "openapi.json"
    path.write_text(json.dumps(document))
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run over the generated code
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(path),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Bulk uploads also take NDJSON and CSV, which the generator skips (their JSON form stays);
    # anything else it says is a schema, a response or a route a client developer goes without.
    said = {
        line
        for line in result.stdout.splitlines()
        if line.strip()
        and not line.startswith((" ", "{", "}", "]", "WARNING parsing ", *_GENERATOR_CHATTER))
    }
    assert said <= {
        "Unsupported content type application/x-ndjson",
        "Unsupported content type text/csv",
    }, result.stdout[:5000]
    assert "will not be generated" not in result.stdout, result.stdout[:5000]
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(package: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_every_model_survives_generation(generated: ModuleType) -> None:
    models = _module(generated, "models")
    for name in (
        "NetworkIndicators",
        "ReportingRate",
        "Sales",
        "StationOut",
        "LogisticsDivisionRef",
        "CoverageIndicators",
        "PointCarriers",
        "SessionOut",
        "ProjectOut",
        "TokenResponse",
        "UserOut",
    ):
        assert hasattr(models, name), name


def test_every_operation_of_every_service_is_generated(
    generated: ModuleType, document: dict[str, Any]
) -> None:
    root = Path(generated.__file__).parent / "api"
    modules = {path.stem for path in root.rglob("*.py") if path.stem != "__init__"}
    operations = {
        operation["operationId"].replace(".", "_")
        for operations in document["paths"].values()
        for operation in operations.values()
    }
    assert {o.split("_")[0] for o in operations} >= {*SERVICES, "gateway"}
    assert operations - modules == set()


async def test_sign_in_and_a_session_through_the_generated_client(
    front: Front, generated: ModuleType
) -> None:
    """Identity and another service than stations, as a client developer drives them: an
    admin creates an official, who signs in with the password grant and plans, reads and
    changes a training session with ``If-Match``."""
    models = _module(generated, "models")
    create_user = _module(generated, "api.identity_accounts.gateway_create_user")
    sign_in = _module(generated, "api.identity_sign_in.gateway_token")
    me = _module(generated, "api.identity_accounts.gateway_read_me")
    create = _module(generated, "api.training_sessions.training_create_session")
    read = _module(generated, "api.training_sessions.training_get_session")
    update = _module(generated, "api.training_sessions.training_update_session")
    client_module = _module(generated, "client")
    admin_token = user_headers()["Authorization"].removeprefix("Bearer ")
    phone = "13912345678"
    password = "临县电商-2026-培训"
    async with client_module.AuthenticatedClient(
        base_url=front.gateway, token=admin_token
    ) as admin:
        made = await create_user.asyncio_detailed(
            client=admin,
            body=models.UserCreate(
                phone=phone,
                display_name="王芳",
                role=models.UserRole.OFFICIAL,
                password=password,
                division="141124",
            ),
        )
        assert made.status_code == 201, made.content
    async with client_module.Client(base_url=front.gateway) as anonymous:
        wrong = await sign_in.asyncio_detailed(
            client=anonymous,
            body=models.Token(grant_type="password", username=phone, password="not-it-at-all"),
        )
        assert wrong.status_code in (400, 401), wrong.content
        assert isinstance(wrong.parsed, models.ProblemDetails)
        signed = await sign_in.asyncio_detailed(
            client=anonymous,
            body=models.Token(grant_type="password", username=phone, password=password),
        )
        assert signed.status_code == 200, signed.content
        token = signed.parsed.access_token
    async with client_module.AuthenticatedClient(base_url=front.gateway, token=token) as official:
        who = await me.asyncio_detailed(client=official)
        assert who.status_code == 200, who.content
        assert who.parsed.principal.role == models.Role.OFFICIAL
        created = await create.asyncio_detailed(
            client=official, body=models.SessionCreate.from_dict(session_body())
        )
        assert created.status_code == 201, created.content
        got = await read.asyncio_detailed(created.parsed.id, client=official)
        assert got.status_code == 200
        changed = await update.asyncio_detailed(
            created.parsed.id,
            client=official,
            body=models.SessionPatch(capacity=80),
            if_match=got.headers["etag"],
        )
        assert changed.status_code == 200, changed.content
        assert changed.parsed.capacity == 80
        stale = await update.asyncio_detailed(
            created.parsed.id,
            client=official,
            body=models.SessionPatch(capacity=90),
            if_match=got.headers["etag"],
        )
        assert stale.status_code == 412
        assert isinstance(stale.parsed, models.ProblemDetails)


async def test_create_read_update_with_if_match(front: Front, generated: ModuleType) -> None:
    models = _module(generated, "models")
    create = _module(generated, "api.stations_stations.stations_create_station")
    read = _module(generated, "api.stations_stations.stations_read_station")
    update = _module(generated, "api.stations_stations.stations_update_station")
    token = user_headers()["Authorization"].removeprefix("Bearer ")
    client = _module(generated, "client").AuthenticatedClient(base_url=front.gateway, token=token)
    async with client:
        created = await create.asyncio_detailed(
            client=client,
            body=models.StationCreate(
                tier=models.StationTier.VILLAGE, division_code="141102100200", name="街上村服务点"
            ),
        )
        assert created.status_code == 201, created.content
        code = created.parsed.code
        assert created.headers["location"].endswith(f"/stations/v1/stations/{code}")

        got = await read.asyncio_detailed(code, client=client)
        assert got.status_code == 200
        assert got.parsed.name == "街上村服务点"
        etag = got.headers["etag"]

        changed = await update.asyncio_detailed(
            code, client=client, body=models.StationPatch(name="街上村电商服务点"), if_match=etag
        )
        assert changed.status_code == 200, changed.content
        assert changed.parsed.name == "街上村电商服务点"
        assert changed.parsed.version == got.parsed.version + 1

        stale = await update.asyncio_detailed(
            code, client=client, body=models.StationPatch(name="又改了"), if_match=etag
        )
        assert stale.status_code == 412
        assert isinstance(stale.parsed, models.ProblemDetails)
        assert stale.parsed.code == "stale_version"
