from pydantic import AnyHttpUrl, Field
from pydantic_settings import SettingsConfigDict

from common.settings import PersonalDataSettings


class TrainingSettings(PersonalDataSettings):
    """``TRAINING_FIELD_KEYS`` / ``TRAINING_FIELD_KEY_ID`` hold the keys of trainees' ID
    numbers (see ``PersonalDataSettings``)."""

    model_config = SettingsConfigDict(env_prefix="TRAINING_", extra="ignore")

    component: str = "training"
    # Stations: its feed keeps the division copy current (docs/adr/0020).
    stations_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001")
    # Follow the stations feed in this app's lifespan; off only where a test drives the
    # consumer itself.
    follow_stations: bool = True
    # A county's sign-in sheets for a year fit one upload.
    bulk_max_rows: int = Field(default=200_000, ge=1, le=1_000_000)
