from pydantic import AnyHttpUrl
from pydantic_settings import SettingsConfigDict

from common.settings import ComponentSettings


class LogisticsSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="LOGISTICS_", extra="ignore")

    component: str = "logistics"
    # Where the stations feed and reference snapshots are read (docs/adr/0020).
    stations_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001")
    # Follow the stations feed in this app's lifespan; off only where a test drives the
    # consumer itself.
    follow_stations: bool = True
