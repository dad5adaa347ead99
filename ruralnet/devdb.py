"""The private PostGIS cluster that ``make run`` and ``make test`` start.

Used only when ``DATABASE_URL`` is not given. PostgreSQL refuses to run as root, so when we
are root the server runs as the ``postgres`` system user (which the OS package creates) —
and that user often cannot enter the checkout: root clones into ``/root``, mode 700. So a
root's cluster lives in ``postgres``'s own home, one per checkout
(``/var/lib/postgresql/ruralnet/<checkout>-<hash of its path>``); anyone else's under the
checkout's ``.data/pg``.
"""

import hashlib
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from common.settings import plain_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The real national data (NBS division list, county boundaries) beside the checkout, as
# ../shared/data; the national-scale test and the benchmarks read it.
SHARED_DATA = Path(os.environ.get("RURALNET_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
PORT = 54329
SUPERUSER = "postgres"


class ClusterError(RuntimeError):
    """Something a person must fix (a missing package, a port in use); says what."""


def _bindir() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        reverse=True,
    )
    if candidates:
        return candidates[0].parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(
        "No PostgreSQL server found. Run `make run` or `scripts/bootstrap.sh`, which install "
        "postgresql and postgis from the OS packages, or set DATABASE_URL."
    )


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError as e:
        raise ClusterError(
            f"no '{SUPERUSER}' system user to run PostgreSQL as; install the postgresql "
            "package (scripts/bootstrap.sh does)"
        ) from e


def default_datadir(checkout: Path = PROJECT_ROOT) -> Path:
    """Where this checkout's private cluster lives (see the module's docstring)."""
    if os.geteuid() != 0:
        return checkout / ".data" / "pg"
    tag = hashlib.sha256(str(checkout.resolve()).encode()).hexdigest()[:8]
    return Path(_postgres_user().pw_dir) / "ruralnet" / f"{checkout.name}-{tag}"


@dataclass(frozen=True)
class Cluster:
    datadir: Path = field(default_factory=default_datadir)
    preferred_port: int = PORT

    @property
    def bindir(self) -> Path:
        return _bindir()

    @property
    def port(self) -> int:
        """The port it listens on when running (postmaster.pid, line 4), else the preferred."""
        try:
            return int((self.datadir / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, IndexError, ValueError):
            return self.preferred_port

    def url(self, database: str = "ruralnet") -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def is_running(self) -> bool:
        if not (self.datadir / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.datadir), check=False).returncode == 0

    def _prepare_datadir(self) -> None:
        if os.geteuid() == 0:
            owner = _postgres_user()
            # Every directory from postgres's home down is postgres's, so it can enter them.
            for directory in reversed([self.datadir, *self.datadir.parents]):
                if not directory.exists():
                    directory.mkdir(mode=0o700)
                    os.chown(directory, owner.pw_uid, owner.pw_gid)
        else:
            self.datadir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not (self.datadir / "PG_VERSION").exists():
            result = self._run(
                "initdb",
                "-D",
                str(self.datadir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                check=False,
            )
            if result.returncode != 0:
                raise ClusterError(f"initdb failed:\n{result.stderr or result.stdout}")

    def start(self, *, any_port: bool = False) -> bool:
        """Start the cluster unless it runs; True when this call started it.

        ``any_port``: when the preferred port is taken, listen on a free one instead of
        refusing (the tests take this, so a cluster of another checkout does not stop them).
        """
        if self.is_running():
            return False
        port = self.preferred_port
        if port_in_use(port):
            if not any_port:
                raise ClusterError(
                    f"port {port} is taken by another program; the private PostGIS cluster "
                    "needs it. Stop that program, or set DATABASE_URL to use your own database."
                )
            port = free_port()
        self._prepare_datadir()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {self.datadir} "
            "-c max_connections=200 -c shared_buffers=256MB -c work_mem=32MB "
            "-c maintenance_work_mem=256MB"
        )
        result = self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.datadir),
            "-l",
            str(self.datadir / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            check=False,
        )
        if result.returncode != 0:
            log_tail = ""
            log_file = self.datadir / "server.log"
            if log_file.exists():
                log_tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
            raise ClusterError(f"PostgreSQL did not start:\n{result.stderr}\n{log_tail}")
        return True

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "fast", "-w")


async def ensure_database(url: str, *, fresh: bool = False) -> None:
    """Create the database named in ``url`` (dropping it first when ``fresh``) with PostGIS."""
    plain = plain_database_url(url)
    base, _, name = plain.rpartition("/")
    name = name.split("?")[0]
    admin = await asyncpg.connect(f"{base}/postgres", timeout=10)
    try:
        if fresh:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(plain, timeout=10)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except asyncpg.exceptions.UndefinedFileError as e:
        raise ClusterError(
            "PostGIS is not installed for this PostgreSQL server: apt-get install "
            "postgresql-<version>-postgis-3 (scripts/bootstrap.sh does)"
        ) from e
    finally:
        await conn.close()
