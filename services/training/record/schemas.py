"""The training part of a village station's record, on the wire."""

from datetime import date

from pydantic import BaseModel, Field

from common.recordparts import Refusal
from services.training.indicators.schemas import VillageTrained
from services.training.trainees.schemas import TraineeOut


class VillageRecordPart(BaseModel):
    code: str = Field(examples=["141124100201"])
    period_from: date
    period_to: date
    trained: VillageTrained | None = Field(
        description="as `GET /v1/indicators/training/villages?codes={code}` counts the "
        "village to you; null when nobody resident there was trained in the period"
    )
    trainees: list[TraineeOut] | None = Field(
        description="the first residents as `GET /v1/trainees?division={code}` lists them to "
        "you; null when that route refuses you (see `refused`)"
    )
    more_trainees: bool = Field(description="more residents than listed")
    refused: dict[str, Refusal] = Field(
        description="`trainees`: why they are not listed, as their own route would refuse you"
    )
