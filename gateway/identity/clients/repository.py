from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.clients.models import Client, ClientSecret


async def by_id(
    session: AsyncSession, client_id: str, *, for_update: bool = False
) -> Client | None:
    stmt = select(Client).where(Client.client_id == client_id)
    if for_update:
        stmt = stmt.with_for_update()
    client: Client | None = await session.scalar(stmt)
    return client


async def secret_by_hash(session: AsyncSession, secret_hash: str) -> ClientSecret | None:
    found: ClientSecret | None = await session.scalar(
        select(ClientSecret).where(ClientSecret.secret_hash == secret_hash)
    )
    return found


async def valid_secrets(
    session: AsyncSession, client_ids: Sequence[str], now: datetime
) -> list[ClientSecret]:
    rows = await session.scalars(
        select(ClientSecret)
        .where(
            ClientSecret.client_id.in_(client_ids),
            ClientSecret.revoked_at.is_(None),
            or_(ClientSecret.expires_at.is_(None), ClientSecret.expires_at > now),
        )
        .order_by(ClientSecret.id)
    )
    return list(rows)


async def list_clients(
    session: AsyncSession, *, after: str | None, limit: int, role: str | None
) -> Sequence[Client]:
    stmt = select(Client)
    if role is not None:
        stmt = stmt.where(Client.role == role)
    if after is not None:
        stmt = stmt.where(Client.client_id > after)
    rows = await session.scalars(stmt.order_by(Client.client_id).limit(limit + 1))
    return rows.all()


async def expire_current_secrets(
    session: AsyncSession, client_id: str, now: datetime, until: datetime
) -> None:
    """The secrets in use stay valid until ``until`` (or their own earlier end)."""
    await session.execute(
        update(ClientSecret)
        .where(
            ClientSecret.client_id == client_id,
            ClientSecret.revoked_at.is_(None),
            or_(ClientSecret.expires_at.is_(None), ClientSecret.expires_at > until),
        )
        .values(expires_at=until)
    )
