"""Gap lists across services, paged without holding a division in memory (ADR 0072).

Each list walks one ordered list of the stations service — its operating or accepted village
points or township stations, or its registered poor villages without a point — a page at a
time, and asks logistics and training about that page's places in one batch call each
(`…/coverage/places`, `…/training/villages`); what fails the checks is a gap, with its
reasons. The registry's cursor holds the stations page's own cursor and the key of the last
place examined, so the next page resumes exactly there, however far the walk went; a
request walks at most ``MAX_SOURCE_PAGES`` source pages, so one without gaps in a province
still answers quickly (with fewer rows and a ``next``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request

from common.errors import Forbidden, ServiceUnavailable, Unauthorized
from common.pagination import PageParams, decode_cursor, invalid_cursor, link_after
from gateway.registry.caller import Caller
from gateway.registry.gaps.schemas import REASON_TEXT, GapKind, GapPage, GapRow, Reason
from gateway.registry.periods import Window
from gateway.registry.upstream import PartFailed, Upstream

# The batch routes take 200 places a call.
BATCH = 200
MAX_SOURCE_PAGES = 10
_ACTIVE = ["operating", "accepted"]


@dataclass(frozen=True)
class Place:
    key: str  # the order of the source list
    division_code: str
    division_name: str | None
    station_code: str | None
    station_name: str | None
    station_status: str | None


def _source(kind: GapKind, prefix: str | None) -> tuple[str, dict[str, Any]]:
    division = {"division": prefix} if prefix else {}
    under = {"under": prefix} if prefix else {}
    if kind is GapKind.POOR_VILLAGES_UNSERVED:
        return "/v1/indicators/gaps/poor_villages", division
    tier = "township" if kind is GapKind.TOWNSHIPS_WITHOUT_COURIER else "village"
    return "/v1/stations", {"tier": tier, "status": _ACTIVE, **under}


def _places(kind: GapKind, items: list[dict[str, Any]]) -> list[Place]:
    if kind is GapKind.POOR_VILLAGES_UNSERVED:
        return [
            Place(
                key=i["code"],
                division_code=i["code"],
                division_name=i["name"],
                station_code=i.get("station_code"),
                station_name=None,
                station_status=i.get("station_status"),
            )
            for i in items
        ]
    return [
        Place(
            key=i["code"],
            division_code=i["division_code"],
            division_name=i.get("division_name"),
            station_code=i["code"],
            station_name=i["name"],
            station_status=i["status"],
        )
        for i in items
    ]


def _cursor(params: PageParams) -> tuple[str | None, str]:
    if params.cursor is None:
        return None, ""
    source, after = decode_cursor(params.cursor, arity=2)
    if not (source is None or isinstance(source, str)) or not isinstance(after, str):
        raise invalid_cursor()
    return source, after


async def _check(
    upstream: Upstream, caller: Caller, kind: GapKind, places: list[Place], window: Window
) -> dict[str, list[Reason]]:
    """The reasons each place of a batch is a gap (none: not a gap)."""
    codes = sorted({p.division_code for p in places})
    if not codes:
        return {}
    joined = ",".join(codes)
    reasons: dict[str, list[Reason]] = {c: [] for c in codes}
    if kind is not GapKind.POINTS_WITHOUT_TRAINED:
        body = await upstream.get(
            caller,
            "logistics",
            "/v1/indicators/coverage/places",
            {"codes": joined, "as_of": window.last.isoformat()},
            part="coverage",
        )
        reason = (
            Reason.NO_COURIER if kind is GapKind.TOWNSHIPS_WITHOUT_COURIER else Reason.NO_CARRIER
        )
        for place in body["places"]:
            if place["carriers"] == 0:
                reasons[place["code"]].append(reason)
    if kind in (GapKind.POINTS_WITHOUT_TRAINED, GapKind.POOR_VILLAGES_UNSERVED):
        body = await upstream.get(
            caller,
            "training",
            "/v1/indicators/training/villages",
            {"codes": joined, "from": window.first.isoformat(), "to": window.last.isoformat()},
            part="training",
        )
        trained = {v["code"] for v in body["villages"]}
        for code in codes:
            if code not in trained:
                reasons[code].append(Reason.NOBODY_TRAINED)
    if kind is GapKind.POOR_VILLAGES_UNSERVED:
        # Every row of the source lacks a point; a gap lacks the other two as well.
        return {
            c: [Reason.NO_OPERATING_POINT, *r] if len(r) == 2 else [] for c, r in reasons.items()
        }
    return reasons


def _row(place: Place, reasons: Sequence[Reason]) -> GapRow:
    return GapRow(
        division_code=place.division_code,
        division_name=place.division_name,
        station_code=place.station_code,
        station_name=place.station_name,
        station_status=place.station_status,
        reasons=list(reasons),
        reason="; ".join(REASON_TEXT[r][0] for r in reasons),
        reason_zh=";".join(REASON_TEXT[r][1] for r in reasons),
    )


async def gap_page(
    request: Request,
    upstream: Upstream,
    caller: Caller,
    kind: GapKind,
    prefix: str | None,
    window: Window,
    params: PageParams,
) -> GapPage:
    rows, next_key = await walk(
        upstream, caller, kind, prefix, window, params.limit, _cursor(params)
    )
    return GapPage(
        kind=kind,
        items=rows,
        next=None if next_key is None else link_after(request, next_key),
    )


async def walk(
    upstream: Upstream,
    caller: Caller,
    kind: GapKind,
    prefix: str | None,
    window: Window,
    limit: int,
    start: tuple[str | None, str] = (None, ""),
    *,
    max_pages: int = MAX_SOURCE_PAGES,
) -> tuple[list[GapRow], list[Any] | None]:
    """Up to ``limit`` gaps from ``start`` (the source page's cursor and the last place
    examined), and the key to go on from (None: the list is done)."""
    source_cursor, after = start
    path, query = _source(kind, prefix)
    rows: list[GapRow] = []
    last_division = ""
    for _ in range(max_pages):
        page_query = {**query, "limit": BATCH}
        if source_cursor is not None:
            page_query["cursor"] = source_cursor
        page = await _source_page(upstream, caller, path, page_query)
        places = [p for p in _places(kind, page["items"]) if p.key > after]
        reasons = await _batch_reasons(upstream, caller, kind, places, window)
        for place in places:
            found = reasons.get(place.division_code) or []
            if found and place.division_code != last_division:
                rows.append(_row(place, found))
                last_division = place.division_code
            after = place.key
            if len(rows) == limit:
                return rows, [source_cursor, after]
        following = page.get("next")
        if not following:
            return rows, None
        source_cursor = httpx.URL(following).params["cursor"]
        after = ""
    return rows, [source_cursor, after]


async def _source_page(
    upstream: Upstream, caller: Caller, path: str, query: dict[str, Any]
) -> dict[str, Any]:
    try:
        page: dict[str, Any] = await upstream.get(caller, "stations", path, query, part="stations")
    except PartFailed as e:
        raise _unavailable(e) from e
    return page


async def _batch_reasons(
    upstream: Upstream, caller: Caller, kind: GapKind, places: list[Place], window: Window
) -> dict[str, list[Reason]]:
    try:
        return await _check(upstream, caller, kind, places, window)
    except PartFailed as e:
        raise _unavailable(e) from e


def _unavailable(e: PartFailed) -> Exception:
    """A gap list cannot be partial: a row left out would read as "no gap". A cursor the
    source refuses was forged (400); a refusal is the caller's (401, 403); anything else
    is the service's trouble (503)."""
    error = e.error
    if error.status == 400:
        return invalid_cursor()
    if error.status == 401:
        return Unauthorized(error.detail, code=error.code, headers={"WWW-Authenticate": "Bearer"})
    if error.status == 403:
        return Forbidden(error.detail, code=error.code)
    return ServiceUnavailable(
        f"the {error.service} service could not answer ({error.code}); retry later",
        detail_zh=f"{error.service} 服务暂时无法回答({error.code}),请稍后重试",
        code="gap_source_unavailable",
        headers={"Retry-After": "5"},
        service=error.service,
        service_code=error.code,
    )
