"""The figures of the indicator vocabulary (ADR 0040) for one division and window, asked of
the services that compute them.

The vocabulary says, for each code, the service, the route and the dotted path of the figure
in its answer, and the scale to the code's unit; one call per (service, route) serves every
code on it. How each route takes a division and a window is written here once per route: a
new code on an existing route needs no change in the gateway.
"""

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from common.identifiers import DivisionLevel
from common.indicators import VOCABULARY, IndicatorDefinition
from common.months import add_months, current_month
from gateway.registry.caller import Caller
from gateway.registry.periods import Window
from gateway.registry.schemas import PartError
from gateway.registry.upstream import PartFailed, Upstream

Params = Callable[[str, Window], dict[str, str]]


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _finished_month(window: Window) -> str:
    """The reporting rate's month: the period's last month once it is over, else the last
    finished one (ADR 0008 refuses a running month)."""
    return _month(min(window.last.replace(day=1), add_months(current_month(), -1)))


# (service, path) → the query for a division prefix and a window; flows count the window,
# stocks are read at its last day.
ROUTES: dict[tuple[str, str], Params] = {
    ("stations", "/v1/indicators/network"): lambda p, w: {
        "division": p,
        "month": _finished_month(w),
    },
    ("stations", "/v1/indicators/sales"): lambda p, w: {
        "division": p,
        "from": _month(w.first),
        "to": _month(w.last),
    },
    ("logistics", "/v1/indicators/coverage"): lambda p, w: {
        "division": p,
        "as_of": w.last.isoformat(),
    },
    ("training", "/v1/indicators/training"): lambda p, w: {
        "division": p,
        "from": w.first.isoformat(),
        "to": w.last.isoformat(),
    },
    ("programme", "/v1/indicators/statistics"): lambda p, w: {
        "division": p,
        "period": w.label,
    },
}
# Programme's statistics are recorded per county: nothing to ask below one.
_LOWEST = {"programme": DivisionLevel.COUNTY}
_DEPTH = [
    DivisionLevel.PROVINCE,
    DivisionLevel.PREFECTURE,
    DivisionLevel.COUNTY,
    DivisionLevel.TOWNSHIP,
    DivisionLevel.VILLAGE,
]


def route_of(definition: IndicatorDefinition) -> tuple[str, str]:
    return definition.service.value, definition.route.split(" ", 1)[1].split("?", 1)[0]


def read_figure(body: Mapping[str, Any], definition: IndicatorDefinition) -> Decimal | None:
    """The figure in the code's unit, or None where the service has none (a rate of 0 ÷ 0).

    A figure is a dotted path, or a sum of them written ``a.b.c + .d`` (``.d`` replaces the
    last segment of the path before it); in a sum a missing leaf counts 0 (a status nobody
    is in is absent from the counts)."""
    terms = [t.strip() for t in definition.figure.split("+")]
    if len(terms) == 1:
        value = _dig(body, terms[0].split("."))
        return None if value is None else Decimal(str(value)) * definition.scale
    total = Decimal(0)
    path: list[str] = []
    for term in terms:
        path = [*path[:-1], term[1:]] if term.startswith(".") else term.split(".")
        value = _dig(body, path)
        total += Decimal(str(value)) if value is not None else Decimal(0)
    return total * definition.scale


def _dig(body: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(body, Mapping) or key not in body:
            return None
        body = body[key]
    return body


@dataclass(frozen=True)
class Figures:
    values: dict[str, Decimal | None]
    errors: list[PartError]


async def figures(
    upstream: Upstream,
    caller: Caller,
    prefix: str,
    level: DivisionLevel,
    window: Window,
    codes: list[IndicatorDefinition] | None = None,
    *,
    limit: asyncio.Semaphore,
) -> Figures:
    """Every code of ``codes`` (default the whole vocabulary) for the division ``prefix``."""
    wanted = codes if codes is not None else list(VOCABULARY.values())
    by_route: dict[tuple[str, str], list[IndicatorDefinition]] = {}
    for definition in wanted:
        service, path = route_of(definition)
        lowest = _LOWEST.get(service)
        if lowest is not None and _DEPTH.index(level) > _DEPTH.index(lowest):
            continue
        by_route.setdefault((service, path), []).append(definition)
    errors: list[PartError] = []

    async def ask(route: tuple[str, str]) -> dict[str, Decimal | None]:
        service, path = route
        params = ROUTES.get(route)
        definitions = by_route[route]
        if params is None:
            errors.append(
                PartError(
                    part=f"{prefix} {path}",
                    service=service,
                    status=501,
                    code="route_not_known",
                    detail=f"the registry does not know how to ask {path}",
                )
            )
            return {}
        try:
            async with limit:
                body = await upstream.get(
                    caller, service, path, params(prefix, window), part=f"{prefix} {path}"
                )
        except PartFailed as e:
            errors.append(e.error)
            return {}
        return {d.code.value: read_figure(body, d) for d in definitions}

    found: dict[str, Decimal | None] = {}
    for part in await asyncio.gather(*(ask(route) for route in by_route)):
        found.update(part)
    return Figures(values=found, errors=errors)
