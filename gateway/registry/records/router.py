"""``/registry/v1/stations/{code}``: a station's whole record."""

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from pydantic import TypeAdapter

from common.auth import Principal
from common.errors import NotFound, Unprocessable, problem_responses
from common.etag import none_match
from common.hotpath import HotRoute, NotHot, Plain, route_query
from common.identifiers import STATION_CODE, STATION_CODE_PATTERN
from gateway.auth import authenticate
from gateway.registry.caller import Caller, CallerDep
from gateway.registry.context import RegistryDep
from gateway.registry.periods import PeriodDep, period_query, window_for
from gateway.registry.records import service
from gateway.registry.records.cache import etag_of
from gateway.registry.records.schemas import StationRecord

router = APIRouter(prefix="/registry/v1", tags=["registry"])

StationCodePath = Annotated[
    str,
    Path(pattern=STATION_CODE_PATTERN, description="station code", examples=["141124100201-01"]),
]
_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Accept-Language"}


@router.get(
    "/stations/{code}",
    summary="A station's whole record",
    description="The station (stations), its reporting for the last finished month and its "
    "latest report (stations), the carriers that reach it with mode and frequency "
    "(logistics), who was trained in its village in `period` with counts by category and "
    "the residents listed (training), and the projects and payments that fund it "
    "(programme) — each as that service shows it to you, masked as it masks it. The "
    "services are asked in parallel, each with its own time budget: a service that is down, "
    "slow or refuses you leaves its part `null`, `partial: true` and an entry in `errors` "
    "naming the service and its problem code. Answers an `ETag` per caller scope; "
    "`If-None-Match` with it answers 304.",
    response_model=StationRecord,
    responses={
        304: {"description": "not modified since the ETag in If-None-Match"},
        **problem_responses(
            (NotFound, "`station_not_found`"),
            (Unprocessable, "`validation_failed` (code); `invalid_period`, `future_period`"),
        ),
    },
)
async def station_record(
    code: StationCodePath,
    caller: CallerDep,
    registry: RegistryDep,
    window: PeriodDep,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    key = (code, window.label, caller.scope_key, caller.language or "")
    cached = registry.records.get(key)
    if cached is None:
        record = await service.station_record(registry.upstream, caller, code, window)
        body, tag = answer_and_etag(record, caller.scope_key)
        if not record.partial:
            registry.records.put(key, tag, body)
    else:
        body, tag = cached.body, cached.etag
    headers = {"ETag": tag, **_HEADERS}
    if none_match(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


_GENERATED_AT = TypeAdapter(datetime)


def answer_and_etag(record: StationRecord, scope_key: str) -> tuple[bytes, str]:
    """The record's JSON, and its ETag: a hash of the scope and the JSON without
    ``generated_at`` — from one serialisation (a second was a sixth of the gateway's own
    work on a record): ``generated_at`` follows ``code``, the first field, whose value (a
    station code) needs no escaping."""
    rest = record.model_dump_json(exclude={"generated_at"}).encode()
    head = b'{"code":"' + record.code.encode() + b'"'
    body = (
        head
        + b',"generated_at":'
        + _GENERATED_AT.dump_json(record.generated_at)
        + rest[len(head) :]
    )
    return body, etag_of(scope_key, rest)


# The record before FastAPI's routing and dependency resolution (``common.hotpath``): on the
# benchmark they were a seventh of the gateway's CPU for a record (``bench/README.md``,
# registry_views). The plain case only — a signed-in caller's GET with at most ``?period=``,
# no ``If-None-Match`` — through the route's own functions; anything else is the route's.
def hot_authenticate(request: Request, token: str) -> Principal:
    """The caller as the route's ``CallerDep`` finds it (``gateway.auth.authenticate``:
    the access token checked, revocations included; a machine's scopes on the request)."""
    principal = authenticate(request)
    request.state.principal = principal
    return principal


async def _hot_record(plain: Plain) -> Response:
    code = plain.params["code"]
    if STATION_CODE.fullmatch(code) is None:
        raise NotHot
    request = plain.request
    caller = Caller(
        principal=plain.principal,
        scopes=getattr(request.state, "scopes", None),
        request_id=request.state.request_id,
        language=request.headers.get("accept-language"),
    )
    window = window_for(plain.query.get("period"))
    return await station_record(code, caller, request.app.state.registry, window)


HOT_RECORD = HotRoute(
    template=f"{router.prefix}/stations/{{code}}",
    path=re.compile(re.escape(router.prefix) + r"/stations/(?P<code>[^/]+)"),
    handler=_hot_record,
    query=route_query(period_query),
)
