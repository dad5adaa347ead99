"""The worker's side of XLSX exports (``registry.export``): read the table as the one who
asked, through the same sources as the CSV routes, write it with XlsxWriter in
constant-memory mode, keep the workbook with the time it took."""

import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from common.auth import Principal
from common.errors import Problem
from common.logging import get_logger
from gateway.jobs import JobContext, job
from gateway.registry.caller import Caller
from gateway.registry.dashboards import service as dashboards
from gateway.registry.divisions import division_filter
from gateway.registry.exports import sources
from gateway.registry.exports.models import ExportStatus, RegistryExport
from gateway.registry.exports.service import JOB
from gateway.registry.exports.tables import Table
from gateway.registry.exports.xlsxfile import write_xlsx
from gateway.registry.gaps.schemas import GapKind
from gateway.registry.periods import window_for
from gateway.registry.upstream import PartFailed, Upstream, open_upstream

log = get_logger(__name__)
MAX_ATTEMPTS = 3


async def export_table(
    upstream: Upstream, caller: Caller, kind: str, params: dict[str, Any]
) -> Table:
    """The table an export names, as its CSV route reads it."""
    if kind == "stations":
        return sources.station_table(upstream, caller, [tuple(p) for p in params["filters"]])
    window = window_for(params.get("period"))
    if kind == "gaps":
        prefix = await division_filter(upstream, caller, params.get("division"))
        return sources.gap_table(
            upstream, caller, GapKind(params["gap"]), params.get("division"), prefix, window
        )
    board = await dashboards.dashboard(
        upstream, caller, params["division"], window, params.get("sort", "worst")
    )
    return sources.dashboard_table(board)


@job(JOB, concurrency_limit=2, max_attempts=MAX_ATTEMPTS)
async def build_export(ctx: JobContext, payload: dict[str, Any]) -> None:
    export_id = uuid.UUID(payload["id"])
    async with ctx.session() as session:
        export = await session.get(RegistryExport, export_id)
        if export is None or export.status == ExportStatus.DONE:
            return
        export.status = ExportStatus.RUNNING
        export.started_at = ctx.clock()
        caller = Caller(
            principal=Principal.model_validate(export.principal),
            scopes=frozenset(export.scopes) if export.scopes is not None else None,
            request_id=f"export-{export_id}",
            language=export.language,
        )
        kind, params = export.kind, export.params
    began = time.monotonic()
    try:
        async with open_upstream(ctx.settings) as upstream:
            table = await export_table(upstream, caller, kind, params)
            with tempfile.TemporaryDirectory(prefix="ruralnet-export-") as folder:
                path = Path(folder) / "export.xlsx"
                rows = await write_xlsx(table, path)
                content = path.read_bytes()
    except (Problem, PartFailed) as e:
        problem = e.relayed() if isinstance(e, PartFailed) else e
        # A refusal is final (the asker's scope no longer covers it); a service's trouble
        # is tried again, and recorded once the attempts are spent.
        if problem.status >= 500 and ctx.attempt < MAX_ATTEMPTS:
            raise
        await _finish(ctx, export_id, problem=_problem(problem, caller.language))
        return
    seconds = time.monotonic() - began
    await _finish(ctx, export_id, content=content, rows=rows, seconds=seconds)
    log.info("export built", export=str(export_id), rows=rows, seconds=round(seconds, 2))


def _problem(problem: Problem, language: str | None) -> dict[str, Any]:
    """The problem in the asker's language (its first choice: a job has no request)."""
    chinese = (language or "").strip().lower().startswith("zh") and problem.detail_zh
    detail = problem.detail_zh if chinese else problem.detail
    return {"status": problem.status, "code": problem.code, "detail": detail}


async def _finish(
    ctx: JobContext,
    export_id: uuid.UUID,
    *,
    content: bytes | None = None,
    rows: int | None = None,
    seconds: float | None = None,
    problem: dict[str, Any] | None = None,
) -> None:
    async with ctx.session() as session:
        export = await session.get(RegistryExport, export_id)
        if export is None:
            return
        export.finished_at = ctx.clock()
        if problem is not None:
            export.status = ExportStatus.FAILED
            export.problem = problem
            return
        export.status = ExportStatus.DONE
        export.content = content
        export.rows = rows
        export.seconds = seconds
        export.size = len(content or b"")
