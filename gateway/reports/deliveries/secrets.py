"""Signing secrets of whatever deliveries go to (a report target, a webhook subscription):
one made with it, rotation with an overlap during which the old and the new both sign.

Stored sealed (ADR 0085): the value exists in clear only in the answer that made it and in
the delivery job that signs with it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped

from common.fieldcrypt import FieldCipher
from gateway.reports.deliveries.models import SigningSecret
from gateway.reports.deliveries.schemas import NewSecret, SecretOut
from gateway.reports.deliveries.signing import hint, new_secret


class Owner(StrEnum):
    """The column of ``signing_secret`` (and of ``delivery``) that names the destination."""

    TARGET = "target_id"
    SUBSCRIPTION = "subscription_id"


# Authenticated with the ciphertext: a sealed value copied into another table does not open.
CONTEXT = "gateway.signing_secret"


@dataclass(frozen=True)
class Issued:
    """A secret just made: its row, and its value to show this once."""

    row: SigningSecret
    value: str


def add(
    session: AsyncSession,
    cipher: FieldCipher,
    owner: Owner,
    owner_id: int,
    by: str,
    now: datetime,
) -> Issued:
    value = new_secret()
    secret = SigningSecret(
        sealed=cipher.encrypt(value, context=CONTEXT),
        hint=hint(value),
        created_by=by,
        created_at=now,
    )
    setattr(secret, owner.value, owner_id)
    session.add(secret)
    return Issued(secret, value)


def opened(signing: Sequence[SigningSecret], cipher: FieldCipher) -> list[str]:
    """The values, to sign with."""
    return [cipher.decrypt(s.sealed, context=CONTEXT) for s in signing]


async def valid(
    session: AsyncSession, owner: Owner, owner_ids: Sequence[int], now: datetime
) -> list[SigningSecret]:
    """The secrets still signing at ``now``, newest first for each owner."""
    column = getattr(SigningSecret, owner.value)
    stmt = (
        select(SigningSecret)
        .where(
            column.in_(owner_ids),
            or_(SigningSecret.expires_at.is_(None), SigningSecret.expires_at > now),
        )
        .order_by(column, SigningSecret.id.desc())
    )
    return list((await session.execute(stmt)).scalars().all())


class Versioned(Protocol):
    """A destination row (a target, a subscription) whose ETag version a rotation moves."""

    id: Mapped[int]
    version: Mapped[int]
    updated_at: Mapped[datetime]


async def rotate(
    session: AsyncSession,
    cipher: FieldCipher,
    owner: Owner,
    destination: Versioned,
    by: str,
    overlap: timedelta,
    now: datetime,
) -> Issued:
    """A new secret for ``destination`` (locked by the caller), a new version of it; those
    still valid keep signing beside the new secret for ``overlap`` at most."""
    ends = now + overlap
    for old in await valid(session, owner, [destination.id], now):
        if old.expires_at is None or old.expires_at > ends:
            old.expires_at = ends
    issued = add(session, cipher, owner, destination.id, by, now)
    destination.version += 1
    destination.updated_at = now
    await session.flush()
    return issued


def shown(signing: Sequence[SigningSecret]) -> list[SecretOut]:
    """What anyone may see of the secrets: their first characters and validity."""
    return [
        SecretOut(id=s.id, hint=s.hint, created_at=s.created_at, expires_at=s.expires_at)
        for s in signing
    ]


def shown_once(issued: Issued) -> NewSecret:
    """A new secret with its value, in the answer that made it and never again."""
    return NewSecret(**shown([issued.row])[0].model_dump(), signing_secret=issued.value)
