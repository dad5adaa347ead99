"""Queries of disbursements. Only flushes; the request scope commits."""

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import PageParams, keyset
from services.programme.ledger.models import Disbursement, Project


async def by_voucher(
    session: AsyncSession, county_code: str, voucher_number: str
) -> Disbursement | None:
    return await session.scalar(
        select(Disbursement).where(
            Disbursement.county_code == county_code,
            Disbursement.voucher_number == voucher_number,
        )
    )


async def for_update(session: AsyncSession, disbursement_id: int) -> Disbursement | None:
    return await session.scalar(
        select(Disbursement)
        .where(Disbursement.id == disbursement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def list_disbursements(
    session: AsyncSession,
    params: PageParams,
    *,
    county_code: str | None,
    project_id: int | None,
) -> Sequence[Row[tuple[Disbursement, str]]]:
    stmt = select(Disbursement, Project.code).join(Project, Project.id == Disbursement.project_id)
    if county_code is not None:
        stmt = stmt.where(Disbursement.county_code == county_code)
    if project_id is not None:
        stmt = stmt.where(Disbursement.project_id == project_id)
    return (await session.execute(keyset(stmt, [Disbursement.id], params))).all()
