"""Training indicators on the wire (definitions: docs/adr/0031-training-indicators.md)."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class DivisionOut(BaseModel):
    code: str
    name: str
    level: str


class Counted(BaseModel):
    people_times: int
    persons: int


class VillagesTrained(BaseModel):
    """Village committees (建制村, seq 200–399) with residents trained in the period."""

    count: int = Field(description="village committees with at least one resident trained")
    with_three_or_more: int = Field(description="… with at least three (Jinghong: 1–3 each)")
    of: int = Field(description="current village committees in the division")
    rate: float | None = Field(description="count ÷ of, 0–1; null without village committees")


class OutcomeCounts(BaseModel):
    online_shops: int
    station_operators: int
    employed: int
    businesses_started: int
    online_sales_amount: Decimal


class TrainingIndicators(BaseModel):
    division: DivisionOut | None = Field(description="null: the nation")
    period_from: date
    period_to: date
    people_times: int = Field(description="人次: trainee × session attended in the period")
    person_days: Decimal = Field(description="days attended, a half day counting 0.5")
    persons: int = Field(description="distinct trainees residing in the division")
    poor_household_people_times: int
    poor_household_persons: int = Field(
        description="distinct trainees of registered poor households (a person, not a "
        "household: households are not identified)"
    )
    by_level: dict[str, Counted]
    by_category: dict[str, Counted]
    villages_with_any_trained: int = Field(
        description="village-level units of any class (also residents' committees) with a "
        "trained resident"
    )
    villages_with_trained_person: VillagesTrained
    trained_persons_per_village: float | None = Field(
        description="distinct trained residents of village committees ÷ village committees"
    )
    outcomes: OutcomeCounts = Field(description="follow-ups dated in the period")
    subsidies_due: Decimal = Field(
        description="what held sessions placed in the division and starting in the period earn"
    )


class GapVillage(BaseModel):
    code: str
    name: str


class VillageTrained(BaseModel):
    code: str = Field(examples=["141124100201"])
    people_times: int
    persons: int
    poor_household_people_times: int | None = Field(
        description="people-times of registered poor households' members; null unless you read "
        "the village's trainees, as the categories (it is one of them)"
    )
    by_category: dict[str, Counted] | None = Field(
        description="by trainee category; null unless you read the village's trainees (admins, "
        "officials and platforms over it): in a village of a few hundred people a category "
        "count can point to a person"
    )


class TrainedInVillages(BaseModel):
    period_from: date
    period_to: date
    villages: list[VillageTrained] = Field(
        description="the villages asked for with at least one resident trained in the period, "
        "by code; a village with nobody trained is absent"
    )
