"""The stations service: divisions, the three-tier station registry, monthly reports,
network indicators and the change feed. Run: ``uvicorn services.stations.app:create --factory``.
"""

from fastapi import FastAPI

from common.app import create_app
from services.stations.base import SCHEMA
from services.stations.settings import StationsSettings


def create(settings: StationsSettings | None = None) -> FastAPI:
    return create_app(
        settings=settings or StationsSettings(),
        schema=SCHEMA,
        title="ruralnet stations",
        description="Administrative divisions and the county–township–village station registry.",
        routers=[],
    )
