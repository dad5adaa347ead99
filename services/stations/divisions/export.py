"""``/v1/reference``: the division list and county boundaries as snapshots for the other
components' reference copies (docs/adr/0020), streamed as CSV straight from COPY."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from common.auth import PrincipalDep, Role
from common.authz import require_role
from common.errors import Forbidden, problem_responses
from common.reference import BOUNDARY_COLUMNS, DIVISION_COLUMNS
from services.stations.divisions.repository import BOUNDARIES_SNAPSHOT, DIVISIONS_SNAPSHOT

router = APIRouter(prefix="/v1/reference", tags=["reference data"])

SNAPSHOT_ROLES = frozenset({Role.SERVICE, Role.ADMIN})
_CSV = "text/csv; charset=utf-8"
# Chunks COPY may run ahead of a slow reader before it waits: memory stays flat.
_QUEUED_CHUNKS = 16


async def _copy_csv(engine: AsyncEngine, query: str) -> AsyncIterator[bytes]:
    """The rows of ``query`` as CSV with a header, chunk by chunk as COPY produces them.

    A failure half-way ends the chunked response without its last chunk, so the reader
    sees a truncated body as an error, never as a shorter snapshot.
    """
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=_QUEUED_CHUNKS)
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection

        async def copy() -> None:
            try:
                await driver.copy_from_query(query, output=queue.put, format="csv", header=True)
            finally:
                await queue.put(None)

        task = asyncio.create_task(copy())
        try:
            while (chunk := await queue.get()) is not None:
                yield bytes(chunk)
            await task
        finally:
            if not task.done():
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task


def _snapshot(request: Request, principal: PrincipalDep, query: str) -> StreamingResponse:
    require_role(
        principal, SNAPSHOT_ROLES, doing="read reference snapshots", doing_zh="读取参考数据快照"
    )
    return StreamingResponse(_copy_csv(request.app.state.engine, query), media_type=_CSV)


@router.get(
    "/divisions",
    summary="The whole division list with flags, for reference copies",
    description="CSV with the header `" + ",".join(DIVISION_COLUMNS) + "`: every code ever "
    "listed (retired ones have `until_edition`), and the officials' flags with their version. "
    "For the other components (role `service`) and admins; a component reloads it when the "
    "feed announces `division_list` / `divisions`.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "the snapshot"},
        **problem_responses((Forbidden, "not a service or admin")),
    },
)
async def divisions_snapshot(request: Request, principal: PrincipalDep) -> StreamingResponse:
    return _snapshot(request, principal, DIVISIONS_SNAPSHOT)


@router.get(
    "/county-boundaries",
    summary="Every county boundary, for reference copies",
    description="CSV with the header `" + ",".join(BOUNDARY_COLUMNS) + "`; `geom` is the "
    "MultiPolygon (WGS-84) as hex EWKB. Reloaded on `division_list` / `county_boundaries`.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "the snapshot"},
        **problem_responses((Forbidden, "not a service or admin")),
    },
)
async def boundaries_snapshot(request: Request, principal: PrincipalDep) -> StreamingResponse:
    return _snapshot(request, principal, BOUNDARIES_SNAPSHOT)
