"""The ``ruralnet`` command: run the system, manage its database, mint development tokens."""

import asyncio
import os
import sys
from typing import Annotated

import typer
from alembic import command
from pydantic import ValidationError

from common.auth import NATION, Principal, Role, scope_reason
from common.migrations import COMPONENTS, alembic_config
from common.settings import async_database_url
from gateway.cli import app as gateway_app
from gateway.reports.documents.cli import app as reports_app
from ruralnet.devdb import Cluster, ClusterError, ensure_database
from ruralnet.runner import PortTaken, run_components
from services.stations.divisions.cli import app as stations_app
from services.training.cli import app as training_app

app = typer.Typer(no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
db_app = typer.Typer(no_args_is_help=True, help="The private development cluster.")
app.add_typer(db_app, name="db")
users_app = typer.Typer(no_args_is_help=True, help="People's accounts at the gateway.")
app.add_typer(users_app, name="users")
app.add_typer(stations_app, name="stations")
app.add_typer(reports_app, name="reports")
app.add_typer(training_app, name="training")
app.add_typer(gateway_app, name="gateway")


def _fail(message: str, *, code: int = 1) -> None:
    typer.secho(f"ruralnet: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


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
        _say_how_to_create_the_first_admin(url)
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


def _say_how_to_create_the_first_admin(url: str) -> None:
    from gateway.identity.users.bootstrap import has_admin

    if not asyncio.run(has_admin(url)):
        typer.secho(
            "nobody can sign in yet: create the first admin with\n"
            "  .venv/bin/ruralnet users create-admin --phone <mobile> --name <name>\n"
            "(it asks for the password), then sign in at http://127.0.0.1:8000/docs "
            "(Authorize) or POST /auth/token",
            fg=typer.colors.YELLOW,
        )


@users_app.command("create-admin")
def create_admin(
    phone: Annotated[str, typer.Option(help="the admin's mobile number: the login name")],
    name: Annotated[str, typer.Option(help="display name")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="RURALNET_ADMIN_PASSWORD",
            help="asked for when not given (or read from RURALNET_ADMIN_PASSWORD)",
        ),
    ],
) -> None:
    """Create an admin account in the gateway's database (the first one: admins then create
    every other account through /auth/users). Migrates the gateway's schema first."""
    from gateway.identity.users.bootstrap import AdminNotCreated
    from gateway.identity.users.bootstrap import create_admin as create
    from gateway.settings import GatewaySettings

    url, _ = _database()
    command.upgrade(alembic_config("gateway", url), "head")
    try:
        user_id = asyncio.run(create(GatewaySettings(), url, phone, name, password))
    except AdminNotCreated as e:
        _fail(f"no admin created: {e}", code=2)
    except ValidationError as e:
        _fail(f"no admin created: {scope_reason(e)}", code=2)
    typer.echo(f"admin user:{user_id} created; sign in with POST /auth/token or /docs")


@app.command()
def worker(
    feature: Annotated[
        list[str] | None,
        typer.Option(help="another module whose @job registrations to run (repeatable)"),
    ] = None,
) -> None:
    """Run the gateway's durable jobs (reports, deliveries, exports) until Ctrl-C or SIGTERM.
    Uses DATABASE_URL (or the private cluster, which must be running: `ruralnet db start`)."""
    from gateway.jobs.worker import serve
    from gateway.settings import GatewaySettings

    try:
        settings = GatewaySettings()
    except ValidationError as e:
        _fail(f"worker not started: {scope_reason(e)}", code=2)
    if not os.environ.get("DATABASE_URL"):
        settings = settings.model_copy(update={"database_url": Cluster().url()})
    serve(settings, feature or ())


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
    """Print the database URL the components would use: ``DATABASE_URL``, or the running
    private cluster's. A cluster that is not running has no port yet (another checkout's
    cluster may hold the preferred one): that is an error, not a guess."""
    given = os.environ.get("DATABASE_URL")
    if given:
        typer.echo(async_database_url(given))
        return
    cluster = Cluster()
    if not cluster.is_running():
        typer.echo(
            f"the private cluster of this checkout ({cluster.datadir}) is not running: "
            "`ruralnet db start` or `make run` starts it",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(cluster.url())


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="the principal's role")],
    subject: Annotated[str, typer.Option(help="who, e.g. user:42")] = "dev",
    division: Annotated[
        str | None,
        typer.Option(
            help="officials and platforms: the division subtree (2, 4, 6 or 9 digits, or the "
            f"12-digit code of a province, prefecture, county or township), or '{NATION}'"
        ),
    ] = None,
    station: Annotated[
        str | None, typer.Option(help="operators: their station code (141124100201-01)")
    ] = None,
    carrier: Annotated[str | None, typer.Option(help="carriers: their carrier code")] = None,
    organiser: Annotated[
        str | None,
        typer.Option(help="training organisers: their unified social credit code"),
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="machine roles: a scope the token holds (repeat; default: all of its kind)"
        ),
    ] = None,
    hours: Annotated[int, typer.Option(min=1, max=24 * 30)] = 8,
) -> None:
    """Mint a gateway token for development (people sign in with POST /auth/token). Needs no
    database; refused unless RURALNET_ENV is development."""
    from gateway.auth import NotAUserRole, mint_user_token
    from gateway.identity.scopes import MACHINE_ROLES, scopes_of_kind
    from gateway.settings import GatewaySettings

    environment = os.environ.get("RURALNET_ENV", "development")
    if environment != "development":
        _fail(
            f"`ruralnet token` mints development tokens only; RURALNET_ENV is {environment!r}. "
            "Real users sign in at the gateway."
        )
    try:
        principal = Principal(
            subject=subject,
            role=role,
            division=division,
            station=station,
            carrier=carrier,
            organiser=organiser,
        )
        scopes = None if scope is None else frozenset(scope)
        if scopes is not None and not scopes <= scopes_of_kind(role):
            held = ", ".join(sorted(scopes_of_kind(role))) or "none: people carry no scopes"
            _fail(f"no token: a {role} token may hold only these scopes: {held}", code=2)
        if scopes is None and role in MACHINE_ROLES:
            scopes = scopes_of_kind(role)
        secret = GatewaySettings().jwt_secret.get_secret_value()
        typer.echo(
            mint_user_token(principal, secret=secret, ttl_seconds=hours * 3600, scopes=scopes)
        )
    except ValidationError as e:
        _fail(f"no token: {scope_reason(e)}", code=2)
    except NotAUserRole as e:
        _fail(f"no token: {e}", code=2)


def main() -> None:
    sys.exit(app())
