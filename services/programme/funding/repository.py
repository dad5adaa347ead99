"""Queries of what funds one station. Read only.

Each statement is written once and run two ways: through the session (the route), and on
the asyncpg connection of ``common.db.read_connection`` for a station's record (ADR 0076),
where the rows come back as rows to show, not entities."""

from collections.abc import Sequence
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import asyncpg
from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import RawStatement
from services.programme.ledger.models import Disbursement, Project, ProjectStation

# A station's payments are few; this bounds an answer whatever a ledger holds.
MAX_DISBURSEMENTS = 500


def _projects(county_code: Any, station_code: Any) -> Select[tuple[Project, Decimal, Decimal]]:
    paid = (
        select(func.coalesce(func.sum(Disbursement.amount), 0))
        .where(
            Disbursement.project_id == Project.id,
            Disbursement.station_code == station_code,
            Disbursement.county_code == county_code,
            ~Disbursement.cancelled,
        )
        .scalar_subquery()
        .label("paid")
    )
    return (
        select(Project, ProjectStation.allocation, paid)
        .join(ProjectStation, ProjectStation.project_id == Project.id)
        .where(Project.county_code == county_code, ProjectStation.station_code == station_code)
        .order_by(Project.code)
    )


def _disbursements(county_code: Any, station_code: Any) -> Select[tuple[Disbursement, str]]:
    return (
        select(Disbursement, Project.code.label("project_code"))
        .join(Project, Project.id == Disbursement.project_id)
        .where(Disbursement.county_code == county_code, Disbursement.station_code == station_code)
        .order_by(Disbursement.id)
        .limit(MAX_DISBURSEMENTS)
    )


async def projects_of(
    session: AsyncSession, county_code: str, station_code: str
) -> Sequence[Row[tuple[Project, Decimal, Decimal]]]:
    return (await session.execute(_projects(county_code, station_code))).all()


async def disbursements_of(
    session: AsyncSession, county_code: str, station_code: str
) -> Sequence[Row[tuple[Disbursement, str]]]:
    return (await session.execute(_disbursements(county_code, station_code))).all()


_PROJECTS = RawStatement(_projects(bindparam("county_code"), bindparam("station_code")))
_DISBURSEMENTS = RawStatement(_disbursements(bindparam("county_code"), bindparam("station_code")))


async def read_funding(
    conn: asyncpg.Connection, county_code: str, station_code: str
) -> tuple[list[tuple[SimpleNamespace, Decimal, Decimal]], list[tuple[SimpleNamespace, str]]]:
    """``projects_of`` and ``disbursements_of`` on an asyncpg connection, shaped as their
    rows are: (the project's columns as attributes, allocation, paid) and (the payment's
    columns as attributes, its project's code)."""
    found = await _PROJECTS.fetch(conn, county_code=county_code, station_code=station_code)
    paid = await _DISBURSEMENTS.fetch(conn, county_code=county_code, station_code=station_code)
    return (
        [(SimpleNamespace(**r), r["allocation"], r["paid"]) for r in found],
        [(SimpleNamespace(**r), r["project_code"]) for r in paid],
    )
