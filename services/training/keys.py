"""Re-encrypting trainees' ID numbers under the current field key (ADR 0030).

Batches of rows whose ``key_id`` is not the current key are locked (``SKIP LOCKED``: a row
an app is writing is left for the next batch), decrypted with the ring, encrypted and
indexed under the current key, and written back, one transaction per batch. Stopping at
any point loses nothing: every committed batch is done, and running again picks up the rows
still under an old key. The apps keep serving throughout: they read with every key of the
ring and look ID numbers up under each.
"""

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from common.fieldcrypt import FieldCipher
from services.training.base import ID_NUMBER_CONTEXT

_BATCH = """
    SELECT id, id_number_cipher FROM training.trainee
    WHERE key_id IS NOT NULL AND key_id <> $1
    ORDER BY key_id, id LIMIT $2
    FOR UPDATE SKIP LOCKED
"""
_WRITE = """
    UPDATE training.trainee t
    SET id_number_cipher = n.cipher, id_number_index = n.index, key_id = $1
    FROM unnest($2::bigint[], $3::bytea[], $4::bytea[]) AS n(id, cipher, index)
    WHERE t.id = n.id
"""


# The key ids in use (one index probe each, however many trainees), checked at start-up.
IN_USE = """
    WITH RECURSIVE k AS (
        (SELECT key_id FROM training.trainee WHERE key_id IS NOT NULL ORDER BY key_id LIMIT 1)
        UNION ALL
        SELECT (SELECT t.key_id FROM training.trainee t WHERE t.key_id > k.key_id
                ORDER BY t.key_id LIMIT 1)
        FROM k WHERE k.key_id IS NOT NULL
    )
    SELECT key_id FROM k
"""


@dataclass
class RotationResult:
    rotated: int
    left: int


async def pending(conn: asyncpg.Connection, current: str) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM training.trainee WHERE key_id IS NOT NULL AND key_id <> $1", current
    )


async def rotate(
    conn: asyncpg.Connection,
    cipher: FieldCipher,
    *,
    batch: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> RotationResult:
    current = cipher.current_key_id
    rotated = 0
    while True:
        async with conn.transaction():
            rows = await conn.fetch(_BATCH, current, batch)
            if not rows:
                break
            numbers = [
                cipher.decrypt(bytes(r["id_number_cipher"]), context=ID_NUMBER_CONTEXT)
                for r in rows
            ]
            await conn.execute(
                _WRITE,
                current,
                [r["id"] for r in rows],
                [cipher.encrypt(n, context=ID_NUMBER_CONTEXT) for n in numbers],
                [cipher.blind_index(n, context=ID_NUMBER_CONTEXT) for n in numbers],
            )
        rotated += len(rows)
        if progress is not None:
            progress(len(rows))
    return RotationResult(rotated=rotated, left=await pending(conn, current))
