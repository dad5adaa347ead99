"""``/v1/stations``: the three-tier station registry over HTTP."""

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import Principal, PrincipalDep, SignedInDep
from common.coords import CRS
from common.db import SessionDep, read_connection
from common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from common.etag import etag
from common.hotpath import HotRoute, NotHot, Plain, route_query
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.links import link_header, url_for
from common.pagination import Page, PageParams, next_link, page_params
from common.responses import model_response
from services.stations.changes.models import StationsIdempotencyRecord
from services.stations.registry import lifecycle as station_lifecycle
from services.stations.registry import service, views
from services.stations.registry.models import (
    StationService,
    StationStatus,
    StationTier,
    StationTransition,
)
from services.stations.registry.repository import StationRow
from services.stations.registry.schemas import (
    CRS_NAMES,
    STATION_CODE_PATTERN,
    Lifecycle,
    LifecycleRule,
    StationCreate,
    StationOut,
    StationPatch,
    TransitionIn,
    TransitionOut,
    TransitionResult,
)

router = APIRouter(prefix="/v1/stations", tags=["stations"])

GEOJSON = "application/geo+json"
MAX_RADIUS_M = 200_000


_NOT_FOUND = (NotFound, "`station_not_found`: no station with this code")
_CRS_QUERY = (Unprocessable, "`unknown_crs` (field crs): not wgs84, gcj02 or bd09")


# ``async def`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a
# worker thread, a hop that costs more than the parsing it does (and far more under load).
async def _crs_query(
    crs: Annotated[
        str,
        Query(
            description=f"coordinate system of locations in the answer (and of `near`/`bbox` "
            f"in the list): {CRS_NAMES}",
            examples=["gcj02"],
        ),
    ] = CRS.WGS84.value,
) -> CRS:
    try:
        return CRS(crs.strip().lower())
    except ValueError as e:
        raise Unprocessable(
            f"unknown coordinate system {crs!r}; one of {CRS_NAMES}",
            detail_zh=f"未知的坐标系 {crs!r},应为 {CRS_NAMES} 之一",
            code="unknown_crs",
            field="crs",
            location="query",
        ) from e


CrsQuery = Annotated[CRS, Depends(_crs_query)]
CodePath = Annotated[
    str,
    Path(
        pattern=STATION_CODE_PATTERN,
        description="station code",
        examples=["141102100200-01"],
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(alias="If-Match", description="ETag of the version the change is based on"),
]


async def valid_station(request: Request, code: CodePath) -> StationRow:
    # A hot read: on the pool's asyncpg connection, no session (ADR 0051), and held only
    # for the statement.
    async with read_connection(request) as conn:
        return await service.read_station(conn, code)


StationDep = Annotated[StationRow, Depends(valid_station)]


def _wants_geojson(request: Request, output: str | None) -> bool:
    if output is not None:
        return output == "geojson"
    return GEOJSON in request.headers.get("accept", "")


FormatQuery = Annotated[
    Literal["json", "geojson"] | None,
    Query(
        alias="format",
        description="`geojson` answers GeoJSON (RFC 7946), like `Accept: application/geo+json`",
    ),
]


def _station_response(
    out: StationOut, *, status_code: int = 200, location: str | None = None
) -> Response:
    headers = {"ETag": etag(out.version)}
    if location is not None:
        headers["Location"] = location
    return model_response(out, status_code=status_code, headers=headers)


_STATION_EXAMPLE_FEATURES = {
    "type": "FeatureCollection",
    "coordinate_system": "wgs84",
    "features": [
        {
            "type": "Feature",
            "id": "141102100200-01",
            "geometry": {"type": "Point", "coordinates": [111.14, 37.52]},
            "properties": {"code": "141102100200-01", "tier": "village", "status": "operating"},
        }
    ],
    "next": "http://localhost:8001/v1/stations?format=geojson&cursor=WyIxNDExMDIi",
}
_GEOJSON_CONTENT = {
    GEOJSON: {
        "schema": {
            "type": "object",
            "description": "RFC 7946 FeatureCollection; each feature's properties are a "
            "StationOut without `location` (it is the geometry); `next` is the next page",
            "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "coordinate_system": {"type": "string", "enum": [c.value for c in CRS]},
                "features": {"type": "array", "items": {"type": "object"}},
                "next": {"type": "string"},
            },
        },
        "example": _STATION_EXAMPLE_FEATURES,
    }
}


@router.get(
    "/lifecycle",
    summary="The lifecycle: which status may follow which",
    response_model=Lifecycle,
)
async def lifecycle() -> Lifecycle:
    return Lifecycle(
        rules=[LifecycleRule(status=s, next=n) for s, n in station_lifecycle.lifecycle_rules()],
        reason_required=sorted(station_lifecycle.REASON_REQUIRED, key=list(StationStatus).index),
        notes=[
            "suspended → accepted only resumes a station that was suspended while accepted",
            "the first transition to operating sets operating_since (first day of the month)",
            "→ accepted checks completeness and answers 422 acceptance_incomplete listing "
            "every missing item",
            "closed is final; a closed village point's village committee may get a new one",
        ],
    )


@router.post(
    "",
    status_code=201,
    summary="Register a station",
    description="Admins, and officials inside their division subtree. The station starts "
    "`planned` with code `<division>-<NN>`. The parent is derived when omitted. Send "
    "`Idempotency-Key` to make retries safe.",
    response_model=StationOut,
    responses=problem_responses(
        (Forbidden, "`role_forbidden`: read-only role; `outside_scope`: outside your division"),
        (
            Conflict,
            "`village_point_exists` (field division_code, `first_station`): the village "
            "committee already has an open point; `station_codes_exhausted`",
        ),
        (
            Unprocessable,
            "`validation_failed` with per-field codes (`invalid_division_code`, `unknown_crs`, "
            "`crs_required`, `invalid_phone`, `invalid_credit_code`, `unknown_service`, …); "
            "`unknown_division`, `division_not_current`, `not_village_committee` (field "
            "division_code); `tier_level_mismatch` (field tier); `unknown_parent`, "
            "`wrong_parent` (field parent); `outside_china`, `outside_county` (field "
            "location, with `county_code`, `county_name`, `distance_m`); "
            "`idempotency_key_reused`",
        ),
    ),
)
async def create_station(
    request: Request,
    body: StationCreate,
    session: SessionDep,
    principal: PrincipalDep,
    crs: CrsQuery,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    service.authorize_registry_write(principal, body.division_code)
    idempotency = await Idempotency.from_request(
        request, session, StationsIdempotencyRecord, subject=principal.subject, key=idempotency_key
    )

    async def render(reference: dict[str, str]) -> Response:
        """The station as this caller may see it now: the record keeps no operator data."""
        row = await service.get_station(session, reference["station"])
        return _station_response(
            views.station_out(row, principal, crs),
            status_code=201,
            location=url_for(request, "read_station", code=row.station.code),
        )

    replayed = await idempotency.replay(render)
    if replayed is not None:
        return replayed
    row = await service.create_station(session, body, principal)
    out = views.station_out(row, principal, crs)
    response = _station_response(
        out, status_code=201, location=url_for(request, "read_station", code=out.code)
    )
    await idempotency.remember_reference(
        201, {"station": row.station.code}, headers=response.headers
    )
    return response


@router.get(
    "",
    summary="List stations",
    description="Filters combine with AND. Ordered by code, keyset-paginated (`next`). "
    "`near`+`radius_m` and `bbox` are read in `crs`, and JSON answers locations in it. "
    "GeoJSON with `Accept: application/geo+json` or `format=geojson`: always WGS-84, as "
    "RFC 7946 requires, whatever `crs` says.",
    response_model=Page[StationOut],
    responses={
        200: {"content": _GEOJSON_CONTENT},
        **problem_responses(
            (BadRequest, "`invalid_cursor`"),
            (
                Unprocessable,
                "`invalid_division_code` (under), `invalid_near`, `near_needs_radius`, "
                "`invalid_bbox`, `unknown_crs`, `validation_failed`",
            ),
        ),
    },
)
async def list_stations(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    crs: CrsQuery,
    params: Annotated[PageParams, Depends(page_params)],
    under: Annotated[
        str | None,
        Query(
            max_length=12, description="division code or prefix (2–12 digits)", examples=["1411"]
        ),
    ] = None,
    tier: Annotated[list[StationTier] | None, Query(description="any of these tiers")] = None,
    status: Annotated[list[StationStatus] | None, Query(description="any of these")] = None,
    service_: Annotated[
        list[StationService] | None,
        Query(alias="service", description="offers all of these services"),
    ] = None,
    poor_village: Annotated[
        bool | None, Query(description="on a registered poor village (建档立卡贫困村) or not")
    ] = None,
    demonstration_county: Annotated[
        bool | None, Query(description="in a demonstration county (示范县) or not")
    ] = None,
    near: Annotated[
        str | None, Query(max_length=64, description="lon,lat", examples=["111.14,37.52"])
    ] = None,
    radius_m: Annotated[
        float | None, Query(gt=0, le=MAX_RADIUS_M, description="metres around `near`")
    ] = None,
    bbox: Annotated[
        str | None,
        Query(
            max_length=128,
            description="minlon,minlat,maxlon,maxlat",
            examples=["111,37.4,111.3,37.6"],
        ),
    ] = None,
    output: FormatQuery = None,
) -> Response:
    query = service.station_query(
        under=under,
        tiers=tier or [],
        statuses=status or [],
        services=service_ or [],
        poor_village=poor_village,
        demonstration_county=demonstration_county,
        near=near,
        radius_m=radius_m,
        bbox=bbox,
        crs=crs,
    )
    rows = await service.list_stations(session, query, params)
    next_url = next_link(request, rows, params, lambda row: [row.station.code])
    headers = link_header(next_url)
    if _wants_geojson(request, output):
        # RFC 7946: GeoJSON is WGS-84, whatever `crs` the filters were given in.
        features = [views.station_out(row, principal) for row in rows[: params.limit]]
        return JSONResponse(
            views.feature_collection(features, next_url), media_type=GEOJSON, headers=headers
        )
    outs = [views.station_out(row, principal, crs) for row in rows[: params.limit]]
    page = Page[StationOut](items=outs, next=next_url)
    return model_response(page, headers=headers)


@router.get(
    "/{code}",
    summary="Read a station",
    description="Answers an `ETag` (the version); `If-None-Match` with it answers 304. "
    "Operator name and phone are masked unless you manage the station.",
    response_model=StationOut,
    responses={
        200: {"content": {GEOJSON: {"schema": {"type": "object"}}}},
        304: {"description": "not modified since the ETag in If-None-Match"},
        **problem_responses(_NOT_FOUND, _CRS_QUERY),
    },
)
async def read_station(
    request: Request,
    station: StationDep,
    principal: PrincipalDep,
    crs: CrsQuery,
    output: FormatQuery = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    tag = etag(station.station.version)
    if if_none_match is not None and tag in {
        t.strip().removeprefix("W/") for t in if_none_match.split(",")
    }:
        return Response(status_code=304, headers={"ETag": tag})
    if _wants_geojson(request, output):
        feature = views.feature(views.station_out(station, principal))  # WGS-84, RFC 7946
        return JSONResponse(feature, media_type=GEOJSON, headers={"ETag": tag})
    return _station_response(views.station_out(station, principal, crs))


async def _hot_read(plain: Plain) -> Response:
    """``read_station``'s plain case, for ``common.hotpath``: a station as JSON, in ``crs``
    when given; ``NotHot`` for anything the route must answer (a code that is not one, an
    unknown station or ``crs``)."""
    code = plain.params["code"]
    if _STATION_CODE.fullmatch(code) is None:
        raise NotHot
    crs = await _crs_query(**plain.arguments(_crs_query))
    return _station_response(
        views.station_out(await valid_station(plain.request, code), plain.principal, crs)
    )


_STATION_CODE = re.compile(STATION_CODE_PATTERN)
HOT_READ = HotRoute(
    template=f"{router.prefix}/{{code}}",
    path=re.compile(re.escape(router.prefix) + r"/(?P<code>[^/]+)"),
    handler=_hot_read,
    query=route_query(_crs_query),
)


@router.patch(
    "/{code}",
    summary="Change a station",
    description="Send `If-Match` with the ETag you read. Only the fields sent change. "
    "Officials inside their subtree may change everything but tier, division and status; "
    "the station's own operator only `operator`.",
    response_model=StationOut,
    responses=problem_responses(
        _NOT_FOUND,
        (
            Forbidden,
            "`role_forbidden`, `outside_scope`, `not_your_station`, `operator_fields_only`",
        ),
        (Conflict, "`station_closed`: a closed station is not edited"),
        (PreconditionFailed, "`stale_version`: the station changed since you read it"),
        (PreconditionRequired, "`if_match_required`"),
        (
            Unprocessable,
            "`validation_failed` (per-field codes as for create), `unknown_parent`, "
            "`wrong_parent`, `outside_china`, `outside_county`, `unknown_crs`",
        ),
    ),
)
async def update_station(
    code: CodePath,
    patch: StationPatch,
    session: SessionDep,
    principal: PrincipalDep,
    crs: CrsQuery,
    if_match: IfMatchHeader = None,
) -> Response:
    row = await service.update_station(session, code, patch, principal, if_match)
    return _station_response(views.station_out(row, principal, crs))


@router.post(
    "/{code}/transitions",
    status_code=201,
    summary="Move a station along its lifecycle",
    description="Admins and officials inside their subtree. Legal moves: "
    "`GET /v1/stations/lifecycle`. `If-Match` is optional and checked when sent; "
    "`Idempotency-Key` makes retries safe.",
    response_model=TransitionResult,
    responses=problem_responses(
        _NOT_FOUND,
        (Forbidden, "`role_forbidden`, `outside_scope`"),
        (
            Conflict,
            "`illegal_transition` (field to, with `from_status`, `to_status`, `allowed`)",
        ),
        (PreconditionFailed, "`stale_version`"),
        (
            Unprocessable,
            "`acceptance_incomplete`: `errors` lists every missing item (code and field: "
            "location, operator.name, operator.phone, company.name, company.credit_code, "
            "services, monthly_reports.YYYY-MM); `reason_required`; "
            "`operating_since_not_applicable`, `future_month` (field operating_since); "
            "`validation_failed`; `idempotency_key_reused`",
        ),
    ),
)
async def transition_station(
    request: Request,
    code: CodePath,
    body: TransitionIn,
    session: SessionDep,
    principal: PrincipalDep,
    crs: CrsQuery,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    # The code starts with the station's division code: authorize before anything else.
    service.authorize_registry_write(principal, code[:12])
    idempotency = await Idempotency.from_request(
        request, session, StationsIdempotencyRecord, subject=principal.subject, key=idempotency_key
    )

    async def render(reference: dict[str, Any]) -> Response:
        """The transition made, with the station as this caller may see it now."""
        transition = await station_lifecycle.get_transition(session, reference["transition"])
        return _transition_response(
            transition, await service.get_station(session, code), principal, crs
        )

    replayed = await idempotency.replay(render)
    if replayed is not None:
        return replayed
    transition, row = await station_lifecycle.transition_station(
        session, code, body, principal, if_match
    )
    response = _transition_response(transition, row, principal, crs)
    await idempotency.remember_reference(
        201, {"transition": transition.id}, headers=response.headers
    )
    return response


def _transition_response(
    transition: StationTransition, row: StationRow, principal: Principal, crs: CRS
) -> JSONResponse:
    result = TransitionResult(
        transition=views.transition_out(transition),
        station=views.station_out(row, principal, crs),
    )
    return JSONResponse(
        result.model_dump(mode="json", by_alias=True),
        status_code=201,
        headers={"ETag": etag(row.station.version)},
    )


@router.get(
    "/{code}/transitions",
    summary="A station's lifecycle history",
    description="Every transition, oldest first, registration included (from null). Who "
    "made each is not public: its operator, officials and platforms over it, admins.",
    response_model=Page[TransitionOut],
    responses=problem_responses(
        _NOT_FOUND,
        (BadRequest, "`invalid_cursor`"),
        (Unauthorized, "`authentication_required`: not a public record"),
        (Forbidden, "`not_your_station`, `outside_scope`, `role_forbidden`"),
    ),
)
async def list_transitions(
    request: Request,
    principal: SignedInDep,
    code: CodePath,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[TransitionOut]:
    transitions = await service.list_transitions(session, code, params, principal)
    return Page[TransitionOut](
        items=[views.transition_out(t) for t in transitions[: params.limit]],
        next=next_link(request, transitions, params, lambda t: [t.id]),
    )
