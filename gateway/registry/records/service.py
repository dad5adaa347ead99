"""A station's whole record: the station and its reporting (stations), the carriers that
reach it (logistics), who was trained in its village (training) and what funds it
(programme), fetched in parallel, one call per service, each with its own time budget.

Every call needs only the code (its first 12 digits are the station's division), so none
waits for another. Stations and training answer their whole part in one read (ADR 0076); a
piece of it the caller may not have comes back as a refusal, reported as a refused call
was. Only the station itself is essential: stations answering 404 makes the record 404; any
other missing part leaves it ``null`` with an entry in ``errors``.
"""

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from common.errors import NotFound
from common.identifiers import (
    DivisionLevel,
    InvalidDivisionCode,
    division_level,
    division_prefix,
)
from gateway.registry.caller import Caller
from gateway.registry.periods import Window
from gateway.registry.records.schemas import (
    ReportingStatus,
    ResidentTrainees,
    StationRecord,
    TrainedResidents,
)
from gateway.registry.schemas import PartError
from gateway.registry.upstream import PartFailed, Upstream, scope_refusal

_ACTIVE = ("operating", "accepted")
_NOBODY = {"people_times": 0, "persons": 0, "poor_household_people_times": 0}
# The routes whose answers each part read stands for: a machine's scopes are those routes'.
_VILLAGES = "/v1/indicators/training/villages"
_TRAINEES = "/v1/trainees"


async def _part(errors: list[PartError], call: Awaitable[Any]) -> Any:
    try:
        return await call
    except PartFailed as e:
        errors.append(e.error)
        return None


def station_not_found(code: str) -> NotFound:
    return NotFound(
        f"no station {code}",
        detail_zh=f"没有编号为 {code} 的站点",
        code="station_not_found",
        field="code",
        location="path",
    )


async def station_record(
    upstream: Upstream, caller: Caller, code: str, window: Window
) -> StationRecord:
    division = code[:12]
    try:
        level = division_level(division)
    except InvalidDivisionCode:
        # A place that skips a level (a county under prefecture 00) is no division: no
        # station has such a code.
        raise station_not_found(code) from None
    errors: list[PartError] = []
    (stations, stations_errors), carriers, training, funding = await asyncio.gather(
        _stations_part(upstream, caller, code),
        _part(
            errors,
            upstream.get(caller, "logistics", f"/v1/points/{code}/carriers", part="carriers"),
        ),
        _training_part(upstream, caller, division, level, window),
        _part(
            errors,
            upstream.get(caller, "programme", f"/v1/stations/{code}/funding", part="funding"),
        ),
    )
    if stations is None and stations_errors[0].code == "station_not_found":
        raise station_not_found(code)
    trained, trainees, training_errors = training
    errors += stations_errors + training_errors
    station = reporting = None
    if stations is not None:
        station = stations["station"]
        if stations["reports"] is not None:
            month = date.fromisoformat(f"{stations['month']}-01")
            reporting = _reporting(station, stations["reports"], month)
    return StationRecord(
        code=code,
        generated_at=datetime.now(UTC),
        partial=bool(errors),
        errors=sorted(errors, key=lambda e: e.part),
        station=station,
        reporting=reporting,
        carriers=carriers,
        training=trained,
        trainees=trainees,
        funding=funding,
    )


def _for_parts(error: PartError, parts: Iterable[str]) -> list[PartError]:
    """One call's failure as the failure of each part it stood for."""
    return [error.model_copy(update={"part": part}) for part in parts]


def _refused(service: str, body: Mapping[str, Any], parts: Mapping[str, str]) -> list[PartError]:
    """The pieces a part read refused the caller (``parts``: its piece → the record's part)."""
    return [
        PartError(part=parts[piece], service=service, **refusal)
        for piece, refusal in body["refused"].items()
    ]


async def _stations_part(
    upstream: Upstream, caller: Caller, code: str
) -> tuple[dict[str, Any] | None, list[PartError]]:
    """The station, the last finished month and its reports in one read; a failed call is
    the failure of both parts (a 404 first: the station is not there)."""
    try:
        body = await upstream.get(
            caller,
            "stations",
            f"/v1/record-parts/stations/{code}",
            part="station",
            scoped_as=f"/v1/stations/{code}",
        )
    except PartFailed as e:
        return None, _for_parts(e.error, ("station", "reporting"))
    scoped = scope_refusal(caller, "stations", f"/v1/stations/{code}/reports", "reporting")
    if scoped is not None:
        body["reports"] = None
        return body, [scoped]
    return body, _refused("stations", body, {"reports": "reporting"})


async def _training_part(
    upstream: Upstream, caller: Caller, division: str, level: DivisionLevel, window: Window
) -> tuple[TrainedResidents | None, ResidentTrainees | None, list[PartError]]:
    """Who was trained from the station's place in the period, and for a village point the
    residents listed: one call either way."""
    period = {"from": window.first.isoformat(), "to": window.last.isoformat()}
    if level is not DivisionLevel.VILLAGE:
        try:
            body = await upstream.get(
                caller,
                "training",
                "/v1/indicators/training",
                {"division": division_prefix(division), **period},
                part="training",
            )
        except PartFailed as e:
            return None, None, [e.error]
        return _trained(division, window, body, body["by_category"]), None, []
    counts_scoped = scope_refusal(caller, "training", _VILLAGES, "training")
    trainees_scoped = scope_refusal(caller, "training", _TRAINEES, "trainees")
    scoped = [e for e in (counts_scoped, trainees_scoped) if e is not None]
    if len(scoped) == 2:
        return None, None, scoped
    try:
        body = await upstream.get(
            caller,
            "training",
            f"/v1/record-parts/villages/{division}",
            {"interval": f"{period['from']}/{period['to']}"},
            part="training",
            scoped_as=_TRAINEES if counts_scoped else _VILLAGES,
        )
    except PartFailed as e:
        return None, None, _for_parts(e.error, ("training", "trainees"))
    errors = scoped
    trained = trainees = None
    if counts_scoped is None:
        found = body["trained"]
        # A village nobody was trained in has no categories to hide.
        trained = _trained(
            division, window, found or _NOBODY, found["by_category"] if found else {}
        )
    if trainees_scoped is None:
        errors += _refused("training", body, {"trainees": "trainees"})
        if body["trainees"] is not None:
            trainees = ResidentTrainees(items=body["trainees"], more=body["more_trainees"])
    return trained, trainees, errors


def _reporting(
    station: dict[str, Any] | None, reports: list[dict[str, Any]], month: date
) -> ReportingStatus:
    label = month.strftime("%Y-%m")
    latest = reports[-1] if reports else None
    if latest is not None and latest["month"] == label:
        state = "reported"
    elif station is not None and _expected(station, month):
        state = "overdue"
    else:
        state = "not_expected"
    return ReportingStatus(month=label, state=state, latest=latest)


def _expected(station: dict[str, Any], month: date) -> bool:
    """ADR 0008: operating or accepted now, and operating since the month or before."""
    since = station.get("operating_since")
    return station["status"] in _ACTIVE and (since is None or date.fromisoformat(since) <= month)


def _trained(
    division: str,
    window: Window,
    figures: Mapping[str, Any],
    by_category: dict[str, dict[str, int]] | None,
) -> TrainedResidents:
    return TrainedResidents(
        division_code=division,
        period_from=window.first,
        period_to=window.last,
        people_times=figures["people_times"],
        persons=figures["persons"],
        poor_household_people_times=figures["poor_household_people_times"],
        by_category=by_category,
    )
