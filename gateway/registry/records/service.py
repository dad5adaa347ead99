"""A station's whole record: the station (stations), its reporting (stations), the carriers
that reach it (logistics), who was trained in its village (training) and what funds it
(programme), fetched in parallel, each call with its own time budget.

Every call needs only the code (its first 12 digits are the station's division), so none
waits for another. Only the station itself is essential: stations answering 404 makes the
record 404; any other missing part leaves it ``null`` with an entry in ``errors``.
"""

import asyncio
from collections.abc import Awaitable
from datetime import UTC, date, datetime
from typing import Any

from common.errors import NotFound
from common.identifiers import DivisionLevel, division_level, division_prefix
from common.months import add_months, current_month
from gateway.registry.caller import Caller
from gateway.registry.periods import Window
from gateway.registry.records.schemas import (
    ReportingStatus,
    ResidentTrainees,
    StationRecord,
    TrainedResidents,
)
from gateway.registry.schemas import PartError
from gateway.registry.upstream import PartFailed, Upstream

# Residents listed in a record; the rest are a page of the trainees list away.
TRAINEES_SHOWN = 20
_ACTIVE = ("operating", "accepted")


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
    level = division_level(division)
    month = add_months(current_month(), -1)
    errors: list[PartError] = []
    station_call = upstream.get(caller, "stations", f"/v1/stations/{code}", part="station")
    reports_call = upstream.get(
        caller,
        "stations",
        f"/v1/stations/{code}/reports",
        {"from": add_months(month, -11).strftime("%Y-%m"), "to": month.strftime("%Y-%m")},
        part="reporting",
    )
    period = {"from": window.first.isoformat(), "to": window.last.isoformat()}
    if level is DivisionLevel.VILLAGE:
        training_call = upstream.get(
            caller,
            "training",
            "/v1/indicators/training/villages",
            {"codes": division, **period},
            part="training",
        )
        trainees_call: Awaitable[Any] = upstream.get(
            caller,
            "training",
            "/v1/trainees",
            {"division": division, "limit": TRAINEES_SHOWN},
            part="trainees",
        )
    else:
        training_call = upstream.get(
            caller,
            "training",
            "/v1/indicators/training",
            {"division": division_prefix(division), **period},
            part="training",
        )
        trainees_call = asyncio.sleep(0, result=None)
    (station, station_error), reports, carriers, training, trainees, funding = await asyncio.gather(
        _outcome(station_call),
        _part(errors, reports_call),
        _part(
            errors,
            upstream.get(caller, "logistics", f"/v1/points/{code}/carriers", part="carriers"),
        ),
        _part(errors, training_call),
        _part(errors, trainees_call),
        _part(
            errors,
            upstream.get(caller, "programme", f"/v1/stations/{code}/funding", part="funding"),
        ),
    )
    if station_error is not None:
        if station_error.status == 404:
            raise station_not_found(code)
        errors.append(station_error)
    return StationRecord(
        code=code,
        generated_at=datetime.now(UTC),
        partial=bool(errors),
        errors=sorted(errors, key=lambda e: e.part),
        station=station,
        reporting=None if reports is None else _reporting(station, reports["items"], month),
        carriers=carriers,
        training=None if training is None else _training(division, level, window, training),
        trainees=None
        if trainees is None
        else ResidentTrainees(items=trainees["items"], more=trainees.get("next") is not None),
        funding=funding,
    )


async def _outcome(call: Awaitable[Any]) -> tuple[Any, PartError | None]:
    try:
        return await call, None
    except PartFailed as e:
        return None, e.error


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


def _training(
    division: str, level: DivisionLevel, window: Window, body: dict[str, Any]
) -> TrainedResidents:
    if level is DivisionLevel.VILLAGE:
        found = body["villages"][0] if body["villages"] else None
        figures = found or {"people_times": 0, "persons": 0, "poor_household_people_times": 0}
        # A village nobody was trained in has no categories to hide.
        by_category = found["by_category"] if found else {}
    else:
        figures = body
        by_category = body["by_category"]
    return TrainedResidents(
        division_code=division,
        period_from=window.first,
        period_to=window.last,
        people_times=figures["people_times"],
        persons=figures["persons"],
        poor_household_people_times=figures["poor_household_people_times"],
        by_category=by_category,
    )
