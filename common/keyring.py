"""Checks on a field key ring against what is stored (``common.fieldcrypt``): at start-up,
a component refuses to run while values are sealed with a key its ring lacks, instead of
failing later, value by value, when one is opened."""

from collections.abc import Iterable

import structlog
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from common.fieldcrypt import FieldCipher, FieldCryptoError
from common.settings import FieldKeySettings

log = structlog.get_logger("common.keyring")


def require_keys(cipher: FieldCipher, in_use: Iterable[str], variable: str) -> None:
    """``FieldCryptoError`` naming the key ids in use that the ring (``variable``) lacks."""
    missing = sorted(set(in_use) - set(cipher.key_ids))
    if missing:
        raise FieldCryptoError(
            f"stored values are sealed with key {', '.join(missing)}, which {variable} lacks: "
            "put it back in the ring (drop a key only once re-sealing reports none left)"
        )


async def require_keys_in_use(
    engine: AsyncEngine, cipher: FieldCipher, in_use_sql: str, variable: str
) -> None:
    """:func:`require_keys` for the key ids ``in_use_sql`` reads (one column of them)."""
    async with engine.connect() as conn:
        found = (await conn.execute(text(in_use_sql))).scalars().all()
    require_keys(cipher, [k for k in found if k is not None], variable)


async def check_keys_at_start(engine: AsyncEngine, settings: FieldKeySettings, sql: str) -> None:
    """At a component's start: refuse (``FieldCryptoError``) when what it has sealed needs a
    key its ring lacks. A database that does not answer yet, or is not migrated yet, is left
    to the readiness check: the component starts and says it is not ready."""
    variable = f"{settings.model_config.get('env_prefix', '')}FIELD_KEYS"
    try:
        await require_keys_in_use(engine, settings.field_cipher(), sql, variable)
    except (OSError, SQLAlchemyError) as e:
        log.warning("field keys in use not checked", error=type(e).__name__)
