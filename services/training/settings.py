from pydantic_settings import SettingsConfigDict

from common.settings import ComponentSettings


class TrainingSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="TRAINING_", extra="ignore")

    component: str = "training"
