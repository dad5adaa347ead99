"""``/healthz`` (the process is alive) and ``/readyz`` (it can do its work).

Ready means: the database answers, and this component's schema is at the migration head
its code expects. A component may add checks (the gateway checks the services).
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from common.errors import DATABASE_RETRY_AFTER

ReadinessCheck = Callable[[Request], Awaitable[tuple[bool, Any]]]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def check_database(request: Request) -> tuple[bool, Any]:
    state = request.app.state
    try:
        async with state.engine.connect() as conn:
            current = (
                await conn.execute(
                    text(f'SELECT version_num FROM "{state.schema}".alembic_version')
                )
            ).scalar_one_or_none()
    except sa_exc.ProgrammingError:
        # The database answers, but the schema or its version table is not there yet.
        current = None
    except Exception as e:  # any failure means "not ready", with its name
        return False, {"database": "unreachable", "error": type(e).__name__}
    expected = state.migration_head
    if current != expected:
        return False, {"database": "ok", "migration": current, "expected": expected}
    return True, {"database": "ok", "migration": current}


class Readiness(BaseModel):
    """What is ready and what is not; components add their own checks (the gateway's
    ``services``)."""

    model_config = ConfigDict(extra="allow")

    status: Literal["ready", "not ready"]
    database: str
    migration: str | None = None


@router.get(
    "/readyz",
    summary="The database is reachable and migrations are at head",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "not ready; the body says why"}},
)
async def readyz(request: Request) -> JSONResponse:
    checks: list[ReadinessCheck] = [check_database, *request.app.state.readiness_checks]
    results = await asyncio.gather(*(check(request) for check in checks))
    ok = all(passed for passed, _ in results)
    detail: dict[str, Any] = {}
    for _, info in results:
        detail.update(info)
    if ok:
        return JSONResponse({"status": "ready", **detail})
    return JSONResponse(
        {"status": "not ready", **detail},
        status_code=503,
        headers={"Retry-After": DATABASE_RETRY_AFTER},
    )
