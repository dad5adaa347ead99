"""The training service: sessions, trainees, attendance, outcomes and subsidies.
Run: ``uvicorn services.training.app:create --factory``.
"""

from fastapi import FastAPI

from common.app import create_app
from services.training.base import SCHEMA
from services.training.settings import TrainingSettings


def create(settings: TrainingSettings | None = None) -> FastAPI:
    return create_app(
        settings=settings or TrainingSettings(),
        schema=SCHEMA,
        title="ruralnet training",
        description="E-commerce training sessions, trainees, attendance, outcomes and subsidies.",
        routers=[],
    )
