"""A newcomer's first hour: the private cluster starts from a checkout the ``postgres`` user
cannot enter (root clones into ``/root``, mode 700), and a database that cannot be had is
one clear failure of the test run, not an error per test."""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ruralnet.devdb import PROJECT_ROOT
from tests.support import closed_port

START_AND_STOP = """
import asyncio
from pathlib import Path
from ruralnet.devdb import PROJECT_ROOT, Cluster, ensure_database
assert PROJECT_ROOT == Path.cwd().resolve(), PROJECT_ROOT
cluster = Cluster()
print(cluster.datadir)
cluster.start(any_port=True)
try:
    asyncio.run(ensure_database(cluster.url("first_hour")))
finally:
    cluster.stop()
"""


@pytest.fixture
def private_checkout() -> Iterator[Path]:
    """The code of the private cluster, copied into a directory only its owner may enter."""
    home = Path(tempfile.mkdtemp(prefix="ruralnet-home-"))  # mode 0700, like /root
    try:
        assert home.stat().st_mode & 0o777 == 0o700
        checkout = home / "ruralnet"
        checkout.mkdir()
        for package in ("common", "ruralnet"):
            shutil.copytree(
                PROJECT_ROOT / package,
                checkout / package,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        yield checkout
    finally:
        shutil.rmtree(home)


def test_the_cluster_starts_from_a_checkout_postgres_cannot_enter(
    private_checkout: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(private_checkout)
    result = subprocess.run(
        [sys.executable, "-c", START_AND_STOP],
        cwd=private_checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    datadir = Path(result.stdout.splitlines()[0]) if result.stdout else None
    try:
        assert result.returncode == 0, result.stderr
        assert datadir is not None
        if os.geteuid() == 0:
            # PostgreSQL runs as postgres there: the cluster is where postgres may go.
            assert not datadir.is_relative_to(private_checkout.parent)
            assert datadir.owner() == "postgres"
        assert (datadir / "PG_VERSION").exists()
    finally:
        if datadir is not None and datadir != PROJECT_ROOT and datadir.exists():
            shutil.rmtree(datadir)


def test_a_database_that_cannot_be_had_is_one_failure() -> None:
    with closed_port() as port:
        env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/x"}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/stations/test_registry.py",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert output.count("no test database (DATABASE_URL): ConnectionRefusedError") == 1, output
    assert "Traceback" not in output
    assert " error" not in output
    assert "passed" not in output
