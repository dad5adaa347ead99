"""The shared indicator vocabulary (``common.indicators``, ADR 0040): complete, and each
figure it names is really in the answer of the route it names."""

import re
import typing

import httpx
from pydantic import BaseModel

from common.indicators import (
    VOCABULARY,
    ComputingService,
    IndicatorCode,
    IndicatorUnit,
    computed_by,
)
from services.programme.statistics.schemas import StatisticsIndicators
from services.stations.indicators.schemas import NetworkIndicators, Sales
from services.training.indicators.schemas import TrainingIndicators

# The answer model of each route of a service the vocabulary names; a service adds its
# routes here when it computes a figure of the vocabulary.
ANSWERS: dict[str, type[BaseModel]] = {
    "GET /v1/indicators/network": NetworkIndicators,
    "GET /v1/indicators/sales": Sales,
    "GET /v1/indicators/training": TrainingIndicators,
    "GET /v1/indicators/statistics": StatisticsIndicators,
}


def _has_path(model: type[BaseModel], path: str) -> bool:
    head, _, rest = path.partition(".")
    field = model.model_fields.get(head)
    if field is None:
        return False
    if not rest:
        return True
    annotation = field.annotation
    if typing.get_origin(annotation) is dict:
        _, _, rest = rest.partition(".")
        annotation = typing.get_args(annotation)[1]
        if not rest:
            return True
        return typing.get_origin(annotation) is dict
    return (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and (_has_path(annotation, rest))
    )


def test_every_code_has_one_definition() -> None:
    assert set(VOCABULARY) == set(IndicatorCode)
    names = [d.name_zh for d in VOCABULARY.values()]
    assert len(names) == len(set(names))


def test_units_and_scales_agree() -> None:
    for definition in VOCABULARY.values():
        rate = definition.figure.endswith((".rate", ".growth"))
        assert (definition.scale == 100) == rate, definition.code
        if definition.unit is IndicatorUnit.PERCENT:
            assert rate, definition.code


def test_the_computed_figures_are_in_their_answers() -> None:
    """Logistics joins when its indicators exist."""
    definitions = [
        d
        for service in (
            ComputingService.STATIONS,
            ComputingService.TRAINING,
            ComputingService.PROGRAMME,
        )
        for d in computed_by(service)
    ]
    for definition in definitions:
        route = definition.route.split("?")[0]
        model = ANSWERS[route]
        # "a.b + .c + d.e + .f": each term, a leading dot continuing the previous path.
        base = ""
        for term in re.split(r"\s*\+\s*", definition.figure):
            path = base.rsplit(".", 1)[0] + term if term.startswith(".") else term
            base = path
            assert _has_path(model, path), (definition.code, path)


async def test_the_vocabulary_is_served_without_a_token(programme: httpx.AsyncClient) -> None:
    r = await programme.get("/v1/indicators")
    assert r.status_code == 200, r.text
    items = {item["code"]: item for item in r.json()["items"]}
    assert set(items) == {c.value for c in IndicatorCode}
    coverage = items["township_station_coverage"]
    assert coverage["service"] == "stations"
    assert coverage["unit"] == "percent"
    assert (coverage["figure"], coverage["scale"]) == ("township_coverage.rate", 100)
