"""``ruralnet gateway …``: maintenance of the gateway's data.

    GATEWAY_FIELD_KEYS='{"k1": "…", "k2": "…"}' GATEWAY_FIELD_KEY_ID=k2 \\
        ruralnet gateway rotate-key

The database is ``DATABASE_URL`` (``GATEWAY_DATABASE_URL``), or the private cluster.
"""

import asyncio
from typing import Annotated

import asyncpg
import typer
from tqdm import tqdm

from common.changefeed import application_name
from common.fieldcrypt import FieldCryptoError
from common.settings import plain_database_url
from gateway.reports.deliveries import rekey
from gateway.settings import GatewayFieldKeys

app = typer.Typer(
    no_args_is_help=True, help="Gateway data maintenance.", pretty_exceptions_enable=False
)


@app.command("rotate-key")
def rotate_key(
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="secrets per transaction")] = 500,
) -> None:
    """Re-seal every delivery signing secret (report targets', webhook subscriptions') still
    under an old field key with the current one, in batches; safe to stop and run again, and
    while the gateway and the worker serve. Put the new key in GATEWAY_FIELD_KEYS beside the
    old one and make it GATEWAY_FIELD_KEY_ID first (in the gateway and the worker too); drop
    the old key once this reports nothing left."""
    from ruralnet.cli import prepare_database  # ruralnet.cli mounts this app: import late
    from ruralnet.devdb import ClusterError

    cipher = GatewayFieldKeys().field_cipher()

    async def work(url: str) -> rekey.ResealResult:
        conn = await asyncpg.connect(
            plain_database_url(url),
            timeout=10,
            server_settings={"application_name": application_name("gateway", "rotate-keys")},
        )
        try:
            with tqdm(total=await rekey.pending(conn, cipher.current_key_id), unit="secret") as bar:
                return await rekey.reseal(conn, cipher, batch=batch, progress=bar.update)
        finally:
            await conn.close()

    cluster = None
    try:
        url, cluster = prepare_database()
        result = asyncio.run(work(url))
    except (ClusterError, OSError, asyncpg.PostgresError, FieldCryptoError) as e:
        typer.secho(f"ruralnet: rotate-key: {e}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from e
    finally:
        if cluster is not None:
            cluster.stop()
    typer.echo(
        f"re-sealed {result.resealed} signing secrets under key {cipher.current_key_id}; "
        f"{result.left} left under other keys"
    )
