"""One way to run a field-key rotation from the command line (``ruralnet gateway rotate-key``,
``ruralnet training rotate-key``): a named connection (so its batches do not hold back other
components' feeds), a progress bar over what is left under other keys, the private cluster
when no ``DATABASE_URL`` is given, and a one-line error instead of a traceback."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import typer
from tqdm import tqdm

from common.changefeed import application_name
from common.fieldcrypt import FieldCipher, FieldCryptoError
from common.settings import plain_database_url

R = TypeVar("R")
Pending = Callable[[asyncpg.Connection, str], Awaitable[int]]


def run_rotation(
    component: str,
    cipher: FieldCipher,
    unit: str,
    pending: Pending,
    rotate: Callable[..., Awaitable[R]],
    batch: int,
) -> R:
    """``rotate(conn, cipher, batch=, progress=)`` on ``component``'s database; its result."""
    from ruralnet.cli import prepare_database  # ruralnet.cli mounts the commands: import late
    from ruralnet.devdb import ClusterError

    async def work(url: str) -> R:
        conn = await asyncpg.connect(
            plain_database_url(url),
            timeout=10,
            server_settings={"application_name": application_name(component, "rotate-keys")},
        )
        try:
            with tqdm(total=await pending(conn, cipher.current_key_id), unit=unit) as bar:
                return await rotate(conn, cipher, batch=batch, progress=bar.update)
        finally:
            await conn.close()

    cluster = None
    try:
        url, cluster = prepare_database()
        return asyncio.run(work(url))
    except (ClusterError, OSError, asyncpg.PostgresError, FieldCryptoError) as e:
        typer.secho(f"ruralnet: rotate-key: {e}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from e
    finally:
        if cluster is not None:
            cluster.stop()
