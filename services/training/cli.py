"""``ruralnet training …``: maintenance of the training service's data.

    TRAINING_FIELD_KEYS='{"k1": "…", "k2": "…"}' TRAINING_FIELD_KEY_ID=k2 \\
        ruralnet training rotate-key

The database is ``DATABASE_URL``, or the private cluster (``ruralnet db url``).
"""

import asyncio
from typing import Annotated

import asyncpg
import typer

from common.settings import plain_database_url
from ruralnet.keyrotation import run_rotation
from services.training import keys
from services.training.settings import TrainingSettings

app = typer.Typer(
    no_args_is_help=True, help="Training data maintenance.", pretty_exceptions_enable=False
)


@app.command("rotate-key")
def rotate_key(
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="rows per transaction")] = 1000,
) -> None:
    """Re-encrypt every ID number still under an old key with the current field key, in
    batches; safe to stop and run again, and while the apps serve. Put the new key in
    TRAINING_FIELD_KEYS beside the old one and make it TRAINING_FIELD_KEY_ID first (and in
    the apps); drop the old key once this reports nothing left."""
    settings = TrainingSettings()
    cipher = settings.field_cipher()
    result = run_rotation("training", cipher, "row", keys.pending, keys.rotate, batch)
    typer.echo(
        f"re-encrypted {result.rotated} ID numbers under key {cipher.current_key_id}; "
        f"{result.left} left under other keys"
    )


@app.command("rebuild-tallies")
def rebuild_tallies() -> None:
    """Rebuild the attendance roll-ups (ADR 0033) from attendance, in one transaction that
    holds attendance writers off meanwhile: after a restore, or to check them."""
    from ruralnet.cli import prepare_database  # ruralnet.cli mounts this app: import late
    from ruralnet.devdb import ClusterError
    from services.training.tallies import repository as tallies

    async def work(url: str) -> None:
        conn = await asyncpg.connect(plain_database_url(url), timeout=10)
        try:
            await tallies.rebuild(conn)
        finally:
            await conn.close()

    cluster = None
    try:
        url, cluster = prepare_database()
        asyncio.run(work(url))
    except (ClusterError, OSError, asyncpg.PostgresError) as e:
        typer.secho(f"ruralnet: rebuild-tallies: {e}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from e
    finally:
        if cluster is not None:
            cluster.stop()
    typer.echo("attendance roll-ups rebuilt")
