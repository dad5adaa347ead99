from pydantic import AnyHttpUrl, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from common.settings import ComponentSettings
from gateway.identity.settings import IdentitySettings

DEV_JWT_SECRET = "development-only-user-token-secret-change-me"


class GatewaySettings(ComponentSettings, IdentitySettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    component: str = "gateway"
    stations_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001")
    logistics_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8002")
    training_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8003")
    programme_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8004")
    # Signs the tokens people and machines present to the gateway (not the internal ones).
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    upstream_connect_timeout: float = Field(default=2.0, gt=0, le=30)
    upstream_timeout: float = Field(default=30.0, gt=0, le=600)
    upstream_pool_size: int = Field(default=100, ge=1, le=1000)

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
