from pydantic import AnyHttpUrl, Field
from pydantic_settings import SettingsConfigDict

from common.settings import ComponentSettings


class ProgrammeSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="PROGRAMME_", extra="ignore")

    component: str = "programme"
    # Stations: its feed keeps the division copy current (docs/adr/0020), and project links
    # to stations are checked against it over HTTP.
    stations_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001")
    # Training: the sessions a training project funds are checked against it over HTTP.
    training_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8003")
    # Timeouts of both clients: a project check asks one record at a time.
    peer_connect_timeout: float = Field(default=2.0, gt=0, le=30)
    peer_timeout: float = Field(default=10.0, gt=0, le=120)
    # Follow the stations feed in this app's lifespan; off only where a test drives the
    # consumer itself.
    follow_stations: bool = True
