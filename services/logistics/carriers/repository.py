"""Queries of carriers and their aliases. Only ``flush`` here; the request scope commits."""

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import PageParams, keyset
from services.logistics.carriers.models import Carrier, CarrierAlias


async def by_code(session: AsyncSession, code: str, *, lock: bool = False) -> Carrier | None:
    stmt = select(Carrier).where(Carrier.code == code)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def aliases_of(session: AsyncSession, carrier_ids: Sequence[int]) -> list[CarrierAlias]:
    if not carrier_ids:
        return []
    stmt = (
        select(CarrierAlias)
        .where(CarrierAlias.carrier_id.in_(carrier_ids))
        .order_by(CarrierAlias.scheme, CarrierAlias.alias_key)
    )
    return list(await session.scalars(stmt))


async def list_carriers(
    session: AsyncSession, params: PageParams, *, kind: str | None, active: bool | None
) -> list[Carrier]:
    stmt = select(Carrier)
    if kind is not None:
        stmt = stmt.where(Carrier.kind == kind)
    if active is not None:
        stmt = stmt.where(Carrier.active.is_(active))
    return list(await session.scalars(keyset(stmt, [Carrier.code], params)))


async def resolution_table(session: AsyncSession) -> list[tuple[str, int, str, bool]]:
    """Every key an upload may name a carrier by: (key, carrier id, our code, active).
    Our own codes and every alias, lower-cased. A few dozen rows: read whole per upload."""
    own = select(Carrier.code, Carrier.id, Carrier.code, Carrier.active)
    aliases = select(CarrierAlias.alias_key, Carrier.id, Carrier.code, Carrier.active).join(
        Carrier, Carrier.id == CarrierAlias.carrier_id
    )
    rows = await session.execute(own.union_all(aliases))
    return [(key, cid, code, active) for key, cid, code, active in rows]


async def keys_taken(
    session: AsyncSession, keys: Sequence[str], *, besides: int | None
) -> list[tuple[str, str]]:
    """(key, carrier code) of keys already naming another carrier than ``besides``."""
    if not keys:
        return []
    own = select(Carrier.code.label("key"), Carrier.code, Carrier.id).where(Carrier.code.in_(keys))
    aliases = (
        select(CarrierAlias.alias_key.label("key"), Carrier.code, Carrier.id)
        .join(Carrier, Carrier.id == CarrierAlias.carrier_id)
        .where(CarrierAlias.alias_key.in_(keys))
    )
    found = (await session.execute(own.union_all(aliases))).all()
    return sorted({(key, code) for key, code, cid in found if cid != besides})


async def add(session: AsyncSession, carrier: Carrier) -> None:
    session.add(carrier)
    await session.flush()


async def replace_aliases(
    session: AsyncSession, carrier_id: int, aliases: Sequence[CarrierAlias]
) -> None:
    await session.execute(delete(CarrierAlias).where(CarrierAlias.carrier_id == carrier_id))
    session.add_all(aliases)
    await session.flush()


async def lock_catalogue(session: AsyncSession) -> None:
    """Serialise catalogue writes: two admins adding the same alias at once."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("logistics:carriers"))))
