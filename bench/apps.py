"""Limits: the least an app can do to answer the same request, under the same server."""

import json
import os
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def _healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def bare_starlette() -> Starlette:
    """The JSON our ``/healthz`` answers, with no middleware, error handlers or logging."""
    return Starlette(routes=[Route("/healthz", _healthz)])


# --- GET /v1/stations/{code} with raw asyncpg ------------------------------------------------

BARE_DATABASE_URL = "BENCH_BARE_DATABASE_URL"


def _point(ewkb: bytes | None) -> dict[str, float] | None:
    """lon/lat of a PostGIS EWKB point (as ``ST_AsEWKB`` gives it), rounded as the API does."""
    if ewkb is None:
        return None
    order = "<" if ewkb[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", ewkb, 1)
    offset = 9 if kind & 0x20000000 else 5  # an SRID follows the type when its flag is set
    lon, lat = struct.unpack_from(order + "dd", ewkb, offset)
    return {"lon": round(lon, 7), "lat": round(lat, 7)}


def _instant(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _station_json(r: asyncpg.Record) -> dict[str, Any]:
    """The API's JSON for an admin (nothing masked) in WGS-84, built by hand from the row."""
    operator = None
    if r["operator_name"] or r["operator_phone"]:
        operator = {"name": r["operator_name"], "phone": r["operator_phone"], "masked": False}
    company = None
    if r["company_name"] or r["company_credit_code"]:
        company = {"name": r["company_name"], "credit_code": r["company_credit_code"]}
    since = r["operating_since"]
    return {
        "code": r["code"],
        "tier": r["tier"],
        "name": r["name"],
        "division_code": r["division_code"],
        "division_name": r["division_name"],
        "county_code": r["division_code"][:6] + "000000",
        "parent": r["parent_code"],
        "status": r["status"],
        "location": _point(r["location"]),
        "crs": "wgs84",
        "address": r["address"],
        "operator": operator,
        "company": company,
        "services": list(r["services"]),
        "operating_since": since.isoformat() if since is not None else None,
        "version": r["version"],
        "created_at": _instant(r["created_at"]),
        "updated_at": _instant(r["updated_at"]),
    }


async def _station(request: Request) -> JSONResponse:
    code = request.path_params["code"]
    app = request.app
    async with app.state.pool.acquire() as conn:
        row = await conn.fetchrow(app.state.sql, code)
    if row is None:
        return JSONResponse({"code": "station_not_found"}, status_code=404)
    return JSONResponse(_station_json(row), headers={"ETag": f'"{row["version"]}"'})


def bare_station() -> Starlette:
    """``GET /v1/stations/{code}``: the SELECT the registry runs for it, by raw asyncpg from
    a pool, and the same JSON the API gives an admin in WGS-84 (and its ETag). No token,
    session, ORM, model validation, middleware or logging. The database is
    ``BENCH_BARE_DATABASE_URL``; the pool keeps up to ``BENCH_BARE_POOL_SIZE`` (16)
    connections."""
    from common.settings import plain_database_url
    from services.stations.registry.repository import READ_BY_CODE
    from services.stations.registry.views import COORDINATE_DECIMALS

    if COORDINATE_DECIMALS != 7:
        raise RuntimeError("bare_station rounds coordinates to 7 decimals, as the API did")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        compiled = READ_BY_CODE.compile(dialect=_asyncpg_dialect())
        app.state.sql = compiled.string
        app.state.pool = await asyncpg.create_pool(
            plain_database_url(os.environ[BARE_DATABASE_URL]),
            min_size=1,
            max_size=int(os.environ.get("BENCH_BARE_POOL_SIZE", "16")),
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        routes=[Route("/healthz", _healthz), Route("/v1/stations/{code}", _station)],
        lifespan=lifespan,
    )


def _asyncpg_dialect() -> Any:
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    return dialect()


async def _attendance(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    async with request.app.state.pool.acquire() as conn:
        created = await conn.fetchval(
            """
            INSERT INTO training.attendance (session_id, trainee_id, day, part, recorded_by)
            VALUES ($1, $2, $3, 'day', 'bench') ON CONFLICT DO NOTHING RETURNING true
            """,
            body["session_id"],
            body["trainee_id"],
            date.fromisoformat(body["day"]),
        )
    return JSONResponse({"created": bool(created)}, status_code=201 if created else 200)


def bare_attendance() -> Starlette:
    """``POST /attendance``: the one INSERT … ON CONFLICT of a sign-in, by raw asyncpg from
    a pool; no token, rules, session lock, change event, middleware or logging."""
    from common.settings import plain_database_url

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            plain_database_url(os.environ[BARE_DATABASE_URL]), min_size=1, max_size=16
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        routes=[
            Route("/healthz", _healthz),
            Route("/attendance", _attendance, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


async def _jsonb(conn: asyncpg.Connection) -> None:
    """``jsonb`` decoded, as the services' connections do."""
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


# --- Logistics' county reads with raw asyncpg ----------------------------------------------


def _scope_args(request: Request) -> tuple[bool, dict[str, Any]]:
    from common.divisionscope import Scope

    scope = Scope(request.query_params.get("division"))
    as_of = date.fromisoformat(request.query_params["as_of"])
    return scope.nation, scope.params() | {"as_of": as_of}


async def _bare_coverage(request: Request) -> JSONResponse:
    nation, params = _scope_args(request)
    async with request.app.state.pool.acquire() as conn:
        row = await request.app.state.coverage[nation].fetchrow(conn, **params, deliveries=5)
    # ``township_carriers`` is a sum: a ``Decimal``, as the API takes it.
    return Response(json.dumps(dict(row), default=float), media_type="application/json")


async def _bare_township_gaps(request: Request) -> JSONResponse:
    nation, params = _scope_args(request)
    async with request.app.state.pool.acquire() as conn:
        rows = await request.app.state.gaps[nation].fetch(conn, **params, after="", limit=51)
    items = [
        {"code": r["code"], "name": r["name"], "county_code": r["parent_code"],
         "county_name": r["parent_name"]}
        for r in rows[:50] if r["code"] is not None
    ]  # fmt: skip
    return JSONResponse({"items": items, "next": None})


def bare_logistics_indicators() -> Starlette:
    """``GET /v1/indicators/coverage`` and ``/gaps/townships-without-courier`` (``division``,
    ``as_of``; the first page): the very statements the logistics API runs for them, compiled
    once (``RawStatement``), by raw asyncpg from a pool (``jsonb`` decoded, as the API's
    connections do), the row or rows as JSON. No token, parameter validation, models,
    middleware or logging: what answering the same SQL over HTTP costs at least. The
    database is ``BENCH_BARE_DATABASE_URL``."""
    from common.db import RawStatement
    from services.logistics.indicators.repository import COVERAGE, GAPS

    return _bare_sql_app(
        {
            "coverage": {n: RawStatement(s) for n, s in COVERAGE.items()},
            "gaps": {n: RawStatement(s) for n, s in GAPS["townships-without-courier"].items()},
        },
        [
            Route("/v1/indicators/coverage", _bare_coverage),
            Route("/v1/indicators/gaps/townships-without-courier", _bare_township_gaps),
        ],
    )


def _bare_sql_app(statements: dict[str, Any], routes: list[Route]) -> Starlette:
    """A bare app whose ``app.state`` holds ``statements`` and a pool on
    ``BENCH_BARE_DATABASE_URL`` (``jsonb`` decoded), with ``/healthz`` and ``routes``."""
    from common.settings import plain_database_url

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for name, statement in statements.items():
            setattr(app.state, name, statement)
        app.state.pool = await asyncpg.create_pool(
            plain_database_url(os.environ[BARE_DATABASE_URL]), min_size=1, max_size=4, init=_jsonb
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(routes=[Route("/healthz", _healthz), *routes], lifespan=lifespan)


# --- Stations' county reads with raw asyncpg ------------------------------------------------


async def _bare_network(request: Request) -> Response:
    from common.divisionscope import Scope
    from common.months import add_months

    scope = Scope(request.query_params.get("division"))
    month = date.fromisoformat(request.query_params["month"] + "-01")
    params = scope.params() | {"month": month, "next_month": add_months(month, 1)}
    async with request.app.state.pool.acquire() as conn:
        row = await request.app.state.network[scope.nation].fetchrow(conn, **params)
    if not scope.nation and row["division_name"] is None:
        return JSONResponse({"code": "division_not_found"}, status_code=404)
    return JSONResponse(dict(row))


async def _bare_village_gaps(request: Request) -> Response:
    from common.divisionscope import Scope

    scope = Scope(request.query_params.get("division"))
    params = scope.params() | {"after": "", "limit": 51}
    async with request.app.state.pool.acquire() as conn:
        # The division first (for the 404), then the page: as the API does.
        found = scope.nation or await request.app.state.division.fetchrow(conn, code=scope.code)
        if not found:
            return JSONResponse({"code": "division_not_found"}, status_code=404)
        rows = await request.app.state.gaps[scope.nation].fetch(conn, **params)
    fields = (
        "code",
        "name",
        "division_class",
        "parent_code",
        "parent_name",
        "station_code",
        "station_status",
    )
    items = [{f: r[f] for f in fields} for r in rows[:50]]
    return JSONResponse({"items": items, "next": None})


def bare_stations_indicators() -> Starlette:
    """``GET /v1/indicators/network`` (``division``, ``month``) and ``/gaps/villages``
    (``division``; the first page): the very statements the stations API runs for them,
    compiled once (``RawStatement``), by raw asyncpg from a pool (``jsonb`` decoded, as the
    API's connections do), the row or rows as JSON. No token, parameter validation, models,
    middleware or logging: what answering the same SQL over HTTP costs at least. The
    database is ``BENCH_BARE_DATABASE_URL``."""
    from common.db import RawStatement
    from services.stations.indicators.repository import DIVISION, GAPS, NETWORK

    return _bare_sql_app(
        {
            "network": {n: RawStatement(s) for n, s in NETWORK.items()},
            "division": RawStatement(DIVISION),
            "gaps": {n: RawStatement(s) for n, s in GAPS["villages"].items()},
        },
        [
            Route("/v1/indicators/network", _bare_network),
            Route("/v1/indicators/gaps/villages", _bare_village_gaps),
        ],
    )


# --- A delivery receiver ----------------------------------------------------------------------


async def _receive(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"receipt": "ok"})


def receiver() -> Starlette:
    """What a platform does at least with a delivery: read the body, answer a receipt."""
    return Starlette(
        routes=[Route("/healthz", _healthz), Route("/receive", _receive, methods=["POST"])]
    )
