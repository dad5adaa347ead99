"""Item 12 of the hardening issue, as a client developer meets it: a Python client generated
from the gateway's ``/openapi.json`` by openapi-python-client, unchanged, registers a station,
reads it and updates it with ``If-Match`` through the real gateway; a stale ETag is its 412
problem, parsed as the document says."""

import importlib
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType

import httpx
import pytest

from tests.gateway.conftest import Front, user_headers

PACKAGE = "ruralnet_generated_client"


@pytest.fixture(scope="module")
def generated(front: Front, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("client")
    document = root / "openapi.json"
    document.write_bytes(httpx.get(f"{front.gateway}/openapi.json", timeout=60).content)
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run over the generated code
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(document),
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
    # Bulk uploads also take NDJSON and CSV, which the generator skips (their JSON form stays).
    warnings = [
        line for line in result.stdout.splitlines() if line.startswith("Unsupported content")
    ]
    assert set(warnings) <= {
        "Unsupported content type application/x-ndjson",
        "Unsupported content type text/csv",
    }, result.stdout
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
    for name in ("NetworkIndicators", "ReportingRate", "Sales", "StationOut"):
        assert hasattr(models, name), name


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
