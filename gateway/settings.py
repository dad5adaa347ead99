from typing import Annotated

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from common.settings import FieldKeySettings, PersonalDataSettings
from gateway.identity.settings import IdentitySettings
from gateway.jobs.settings import JobsSettings
from gateway.registry.settings import RegistrySettings

DEV_JWT_SECRET = "development-only-user-token-secret-change-me"


# PersonalDataSettings: ``GATEWAY_FIELD_KEYS`` / ``GATEWAY_FIELD_KEY_ID`` seal the delivery
# signing secrets at rest (ADR 0085), with training's kit (ADR 0030).
class GatewaySettings(PersonalDataSettings, IdentitySettings, RegistrySettings, JobsSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    component: str = "gateway"
    # Where clients reach the gateway: every link handed out (next, Location, instance) is
    # built on it, never on the request's Host. Behind a reverse proxy, its public URL.
    public_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    # Browser origins allowed to call the API (the officials' web front end), comma-separated:
    # GATEWAY_CORS_ORIGINS=https://ec.example.gov.cn,http://localhost:5173
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    stations_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001")
    logistics_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8002")
    training_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8003")
    programme_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8004")
    # Signs the tokens people and machines present to the gateway (not the internal ones).
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    upstream_connect_timeout: float = Field(default=2.0, gt=0, le=30)
    upstream_timeout: float = Field(default=30.0, gt=0, le=600)
    upstream_pool_size: int = Field(default=100, ge=1, le=1000)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @property
    def public_base(self) -> str:
        return str(self.public_url).rstrip("/")

    def secrets(self) -> dict[str, str]:
        return {
            **super().secrets(),
            "jwt_secret": self.jwt_secret.get_secret_value(),
            **self.identity_secrets(),
        }

    def service_urls(self) -> dict[str, str]:
        return {
            "stations": str(self.stations_url).rstrip("/"),
            "logistics": str(self.logistics_url).rstrip("/"),
            "training": str(self.training_url).rstrip("/"),
            "programme": str(self.programme_url).rstrip("/"),
        }


class GatewayFieldKeys(FieldKeySettings):
    """The gateway's field keys alone (``GATEWAY_FIELD_KEYS``), for a migration that seals
    what the gateway stores: the migrate job holds none of the gateway's other secrets."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")
