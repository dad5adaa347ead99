"""XLSX exports as jobs: asked for by a route (checked at once, queued in the same
transaction as the row that records it), built by the worker, read by their owner only."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.errors import Conflict, NotFound
from common.links import public_url
from gateway.jobs import enqueue
from gateway.registry.caller import Caller
from gateway.registry.exports.models import ExportStatus, RegistryExport
from gateway.registry.exports.schemas import ExportJob, ExportProblem
from gateway.registry.exports.tables import Table

JOB = "registry.export"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Slices of the stored workbook sent one after another: memory is one slice per download.
SLICE = 1024 * 1024


async def ask(
    session: AsyncSession, caller: Caller, kind: str, params: dict[str, Any], table: Table
) -> RegistryExport:
    export = RegistryExport(
        id=uuid.uuid4(),
        owner=caller.principal.subject,
        principal=caller.principal.model_dump(mode="json"),
        scopes=sorted(caller.scopes) if caller.scopes is not None else None,
        language=caller.language,
        kind=kind,
        params=params,
        filename=f"{table.filename}.xlsx",
        filename_zh=f"{table.filename_zh}.xlsx",
        status=ExportStatus.QUEUED,
    )
    session.add(export)
    await session.flush()
    # The job exists if and only if the row does.
    await enqueue(session, JOB, {"id": str(export.id)})
    await session.refresh(export)
    return export


def export_not_found(raw: str) -> NotFound:
    return NotFound(
        f"no export {raw} of yours",
        detail_zh=f"没有您的导出任务 {raw}",
        code="export_not_found",
        field="export_id",
        location="path",
    )


async def owned(session: AsyncSession, caller: Caller, export_id: uuid.UUID) -> RegistryExport:
    """The export, if the caller asked for it: another's is as absent as none (404), so an
    id says nothing about anyone else's exports."""
    export = await session.get(RegistryExport, export_id)
    if export is None or export.owner != caller.principal.subject:
        raise export_not_found(str(export_id))
    return export


def job_out(request: Request, export: RegistryExport) -> ExportJob:
    path = f"/registry/v1/exports/jobs/{export.id}"
    return ExportJob(
        id=export.id,
        kind=export.kind,
        status=ExportStatus(export.status),
        requested_at=export.requested_at,
        started_at=export.started_at,
        finished_at=export.finished_at,
        rows=export.rows,
        seconds=export.seconds,
        size=export.size,
        note=_note(export),
        problem=ExportProblem(**export.problem) if export.problem else None,
        url=public_url(request, path),
        file=public_url(request, f"{path}/file") if export.status == ExportStatus.DONE else None,
    )


def _note(export: RegistryExport) -> str:
    if export.status == ExportStatus.DONE:
        return f"{export.rows} 行,用时 {export.seconds:.1f} 秒 ({export.rows} rows in {export.seconds:.1f} s)"
    if export.status == ExportStatus.FAILED:
        code = (export.problem or {}).get("code", "")
        return f"导出失败:{code} (failed: {code})"
    if export.status == ExportStatus.RUNNING:
        return "正在生成 (being built)"
    return "排队等待生成 (queued)"


def not_ready(export: RegistryExport) -> Conflict:
    if export.status == ExportStatus.FAILED:
        return Conflict(
            f"export {export.id} failed: {(export.problem or {}).get('detail', '')}",
            detail_zh=f"导出任务 {export.id} 失败:{(export.problem or {}).get('detail', '')}",
            code="export_failed",
        )
    return Conflict(
        f"export {export.id} is {export.status}; its file is there once it is done",
        detail_zh=f"导出任务 {export.id} 尚未完成,请稍后下载",
        code="export_not_ready",
        headers={"Retry-After": "5"},
    )


async def slices(
    sessions: async_sessionmaker[AsyncSession], export_id: uuid.UUID, size: int
) -> AsyncIterator[bytes]:
    """The workbook a slice at a time, each read as it is sent (the request's own session is
    closed by then)."""
    for start in range(1, size + 1, SLICE):
        async with sessions() as session:
            piece = await session.scalar(
                select(func.substring(RegistryExport.content, start, SLICE)).where(
                    RegistryExport.id == export_id
                )
            )
        yield piece or b""
