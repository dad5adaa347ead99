"""Re-sealing the delivery signing secrets (report targets', webhook subscriptions') under
the current gateway field key (ADR 0085, 0087), as ``ruralnet training rotate-key`` does for
ID numbers.

Batches of secrets whose ciphertext names another key (the key id is in its header,
``common.fieldcrypt``) are locked (``SKIP LOCKED``: one a request is rotating is left for
the next batch), opened with the ring, sealed under the current key and written back, one
transaction per batch. Stopping loses nothing; running again takes what is still under an
old key, and once none is left it changes nothing. The gateway and the worker keep serving
and signing throughout: they open with every key of the ring.
"""

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from common.fieldcrypt import FieldCipher
from gateway.reports.deliveries.secrets import CONTEXT

# The key id a sealed value names: byte 1 is its length, the id follows (fieldcrypt's header).
KEY_ID_SQL = "convert_from(substring(sealed from 3 for get_byte(sealed, 1)), 'UTF8')"
IN_USE = f"SELECT DISTINCT {KEY_ID_SQL} FROM gateway.signing_secret"

_BATCH = f"""
    SELECT id, sealed FROM gateway.signing_secret
    WHERE {KEY_ID_SQL} <> $1
    ORDER BY id LIMIT $2
    FOR UPDATE SKIP LOCKED
"""
_WRITE = """
    UPDATE gateway.signing_secret s SET sealed = n.sealed
    FROM unnest($1::bigint[], $2::bytea[]) AS n(id, sealed)
    WHERE s.id = n.id
"""


@dataclass
class ResealResult:
    resealed: int
    left: int


async def pending(conn: asyncpg.Connection, current: str) -> int:
    return await conn.fetchval(
        f"SELECT count(*) FROM gateway.signing_secret WHERE {KEY_ID_SQL} <> $1", current
    )


async def reseal(
    conn: asyncpg.Connection,
    cipher: FieldCipher,
    *,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ResealResult:
    current = cipher.current_key_id
    resealed = 0
    while True:
        async with conn.transaction():
            rows = await conn.fetch(_BATCH, current, batch)
            if not rows:
                break
            await conn.execute(
                _WRITE,
                [r["id"] for r in rows],
                [
                    cipher.encrypt(
                        cipher.decrypt(bytes(r["sealed"]), context=CONTEXT), context=CONTEXT
                    )
                    for r in rows
                ],
            )
        resealed += len(rows)
        if progress is not None:
            progress(len(rows))
    return ResealResult(resealed=resealed, left=await pending(conn, current))
