"""A test-only app, built by the real app factory, with routes that reach each error path.

No real route has every kind of parameter the error tests need (path, query, header, a nested
body), nor a route that crashes on purpose; these do. Public routes need no token, the
``/v1/private`` routes need the internal one, like every service route.
"""

import asyncio
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from common.app import create_app
from common.auth import PrincipalDep
from common.db import SessionDep
from common.errors import Conflict
from services.training.base import SCHEMA
from services.training.settings import TrainingSettings


class Operator(BaseModel):
    name: str = Field(min_length=2)
    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$")


class StationDraft(BaseModel):
    name: str = Field(min_length=2, max_length=40)
    households: int = Field(ge=0)
    operator: Operator


public = APIRouter(prefix="/v1/probe")


@public.post("/stations/{county}")
async def create_station(
    county: Annotated[str, Path(pattern=r"^[0-9]{6}$")],
    draft: StationDraft,
    x_station_app: Annotated[str, Header(pattern=r"^app/[0-9.]+$")],
    dry_run: Annotated[bool, Query()] = False,
) -> dict[str, object]:
    return {"county": county, "name": draft.name, "dry_run": dry_run}


@public.get("/conflict")
async def conflict() -> None:
    raise Conflict(
        "Station code 141124101-01 is already taken",
        detail_zh="站点编码 141124101-01 已被占用",
        code="station_code_taken",
        field="code",
    )


@public.get("/crash")
async def crash() -> None:
    raise RuntimeError("connection string postgresql://admin:hunter2@db/secret")


@public.get("/database")
async def database(session: SessionDep) -> dict[str, int]:
    return {"one": (await session.execute(text("SELECT 1"))).scalar_one()}


private = APIRouter(prefix="/v1/private")


@private.get("/whoami")
async def whoami(principal: PrincipalDep, request: Request) -> dict[str, object]:
    return {
        "principal": principal.model_dump(mode="json"),
        "request_id": request.state.request_id,
        "authorization": request.headers.get("authorization"),
    }


@private.get("/slow")
async def slow(seconds: Annotated[float, Query(ge=0, le=10)]) -> dict[str, float]:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


def probe_app(database_url: str) -> FastAPI:
    """An app of the training component's shape (its schema, settings and factory)."""
    return create_app(
        settings=TrainingSettings(database_url=database_url, follow_stations=False),
        schema=SCHEMA,
        title="probe",
        description="test-only routes",
        routers=[private],
        public_routers=[public],
    )
