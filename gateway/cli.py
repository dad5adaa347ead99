"""``ruralnet gateway …``: maintenance of the gateway's data.

    GATEWAY_FIELD_KEYS='{"k1": "…", "k2": "…"}' GATEWAY_FIELD_KEY_ID=k2 \\
        ruralnet gateway rotate-key

The database is ``DATABASE_URL`` (``GATEWAY_DATABASE_URL``), or the private cluster.
"""

from typing import Annotated

import typer

from gateway.reports.deliveries import rekey
from gateway.settings import GatewayFieldKeys
from ruralnet.keyrotation import run_rotation

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
    cipher = GatewayFieldKeys().field_cipher()
    result = run_rotation("gateway", cipher, "secret", rekey.pending, rekey.reseal, batch)
    typer.echo(
        f"re-sealed {result.resealed} signing secrets under key {cipher.current_key_id}; "
        f"{result.left} left under other keys"
    )
