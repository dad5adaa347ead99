from pydantic_settings import SettingsConfigDict

from common.settings import ComponentSettings


class StationsSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="STATIONS_", extra="ignore")

    component: str = "stations"
