from pydantic_settings import SettingsConfigDict

from common.settings import ComponentSettings


class LogisticsSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="LOGISTICS_", extra="ignore")

    component: str = "logistics"
