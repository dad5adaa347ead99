from pydantic_settings import SettingsConfigDict

from common.settings import ComponentSettings


class ProgrammeSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="PROGRAMME_", extra="ignore")

    component: str = "programme"
