"""The ``ruralnet`` command: run the system, manage its database, mint development tokens."""

import asyncio
import os
import sys
from typing import Annotated

import typer
from alembic import command

from common.auth import Principal, Role
from common.migrations import COMPONENTS, alembic_config
from common.settings import async_database_url
from ruralnet.devdb import Cluster, ClusterError, ensure_database
from ruralnet.runner import PortTaken, run_components
from services.stations.divisions.cli import app as stations_app

app = typer.Typer(no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
db_app = typer.Typer(no_args_is_help=True, help="The private development cluster.")
app.add_typer(db_app, name="db")
app.add_typer(stations_app, name="stations")


def _fail(message: str) -> None:
    typer.secho(f"ruralnet: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def migrate_all(database_url: str) -> None:
    for component in COMPONENTS:
        config = alembic_config(component, database_url)
        config.attributes["skip_logging"] = True
        command.upgrade(config, "head")


def prepare_database() -> tuple[str, Cluster | None]:
    """The database URL to use, starting the private cluster when DATABASE_URL is not set.

    Returns the cluster when this call started it, so the caller can stop it.
    """
    given = os.environ.get("DATABASE_URL")
    if given:
        url = async_database_url(given)
        started = None
    else:
        cluster = Cluster()
        started = cluster if cluster.start() else None
        url = cluster.url()
    asyncio.run(ensure_database(url))
    return url, started


def _database() -> tuple[str, Cluster | None]:
    """``prepare_database`` for a command: a problem a person must fix is one red line."""
    try:
        return prepare_database()
    except ClusterError as e:
        _fail(str(e))
        raise  # _fail exits; this keeps type checkers informed


@app.command()
def run(
    host: Annotated[str, typer.Option(help="address the apps listen on")] = "127.0.0.1",
) -> None:
    """Start PostGIS (unless DATABASE_URL is set), migrate, load the demo region, run all apps."""
    url, cluster = _database()
    try:
        typer.echo(f"database: {url.split('@')[-1]}")
        migrate_all(url)
        _load_demo(url)
        code = run_components(host, {"DATABASE_URL": url})
    except PortTaken as e:
        code = 1
        typer.secho(f"ruralnet: {e}", fg=typer.colors.RED, err=True)
    finally:
        if cluster is not None:
            typer.echo("stopping the private PostGIS cluster")
            cluster.stop()
    raise typer.Exit(code)


def _load_demo(url: str) -> None:
    """The bundled seed regions; a no-op once loaded."""
    from services.stations.divisions.seed import load_seed_regions

    asyncio.run(load_seed_regions(url))


@app.command()
def migrate(
    component: Annotated[str | None, typer.Argument(help="one component; all when omitted")] = None,
    revision: Annotated[str, typer.Option(help="target revision")] = "head",
    demo: Annotated[
        bool, typer.Option(help="then load the bundled demo region (as `ruralnet run` does)")
    ] = False,
) -> None:
    """Run the Alembic migrations of one component or of all of them."""
    url, _ = _database()
    for name in [component] if component else COMPONENTS:
        try:
            command.upgrade(alembic_config(name, url), revision)
        except ValueError as e:
            _fail(str(e))
    if demo:
        _load_demo(url)


@db_app.command("start")
def db_start() -> None:
    """Start the private PostGIS cluster under .data/ and create the database."""
    url, _ = _database()
    typer.echo(url)


@db_app.command("stop")
def db_stop() -> None:
    """Stop the private cluster."""
    Cluster().stop()


@db_app.command("url")
def db_url() -> None:
    """Print the database URL the components would use."""
    given = os.environ.get("DATABASE_URL")
    typer.echo(async_database_url(given) if given else Cluster().url())


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="the principal's role")],
    subject: Annotated[str, typer.Option(help="who")] = "dev",
    division: Annotated[str | None, typer.Option(help="division code prefix")] = None,
    station: Annotated[str | None, typer.Option(help="station code, for operators")] = None,
    carrier: Annotated[str | None, typer.Option(help="carrier code, for carriers")] = None,
    hours: Annotated[int, typer.Option(min=1, max=24 * 30)] = 8,
) -> None:
    """Mint a gateway token for development (login is not built yet)."""
    from gateway.auth import mint_user_token
    from gateway.settings import GatewaySettings

    principal = Principal(
        subject=subject, role=role, division=division, station=station, carrier=carrier
    )
    secret = GatewaySettings().jwt_secret.get_secret_value()
    typer.echo(mint_user_token(principal, secret=secret, ttl_seconds=hours * 3600))


def main() -> None:
    sys.exit(app())
