"""Settings: one pydantic-settings class per component, each with its own env prefix.

Variables every component reads alike have one shared name and may be overridden per
component with its prefix: ``DATABASE_URL`` (``STATIONS_DATABASE_URL`` wins for stations),
``RURALNET_ENV`` and ``RURALNET_INTERNAL_SECRET``.
"""

import os
from typing import TYPE_CHECKING, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from common.fieldcrypt import FieldCipher

DEV_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:54329/ruralnet"
DEV_INTERNAL_SECRET = "development-only-internal-secret-change-me"
DEV_FIELD_KEY_ID = "dev"
DEV_FIELD_KEY = "development-only-field-encryption-key-change-me"

MIN_SECRET_LENGTH = 32

Environment = Literal["development", "test", "production"]


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def async_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` URLs as SQLAlchemy's asyncpg dialect wants them."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('://')[0]}://…")


def plain_database_url(url: str) -> str:
    """The same URL for libpq and raw asyncpg (no SQLAlchemy dialect suffix)."""
    return "postgresql://" + async_database_url(url)[len("postgresql+asyncpg://") :]


class ComponentSettings(BaseSettings):
    """Base of every component's settings; subclasses set ``env_prefix``."""

    # A refused value (a database URL with its password) is not repeated in the error.
    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    component: str = "ruralnet"
    environment: Environment = Field(
        default_factory=lambda: _env("RURALNET_ENV", "development")  # type: ignore[arg-type,return-value]
    )
    database_url: str = Field(default_factory=lambda: _env("DATABASE_URL", DEV_DATABASE_URL))
    db_pool_size: int = Field(default=10, ge=1, le=100)
    internal_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(_env("RURALNET_INTERNAL_SECRET", DEV_INTERNAL_SECRET))
    )
    # Lifetime of the signed token the gateway hands to services for one request.
    internal_token_ttl_seconds: int = Field(default=60, ge=5, le=3600)
    log_json: bool | None = None

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str) -> str:
        return async_database_url(value)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.environment != "development":
            for name, value in self.secrets().items():
                if value.startswith("development-only"):
                    raise ValueError(
                        f"{name} still has its development default; set it for "
                        f"environment={self.environment}"
                    )
                # An HS256 key that can be guessed signs tokens as well as the real one.
                if len(value) < MIN_SECRET_LENGTH:
                    raise ValueError(
                        f"{name} must be at least {MIN_SECRET_LENGTH} characters for "
                        f"environment={self.environment}"
                    )
        return self

    def secrets(self) -> dict[str, str]:
        return {"internal_secret": self.internal_secret.get_secret_value()}

    @property
    def public_base(self) -> str:
        """The URL clients reach this component's paths under, when it is an entrance of its
        own (the gateway's ``GATEWAY_PUBLIC_URL``); "" for a service, which learns its
        public base from the gateway on each request (``common.links``)."""
        return ""

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment != "development"


class FieldKeySettings(BaseSettings):
    """A field key ring (``common.fieldcrypt``, ADR 0030) from ``<PREFIX>_FIELD_KEYS``, a
    JSON object of key id → secret (≥ 32 characters, e.g. ``openssl rand -base64 32``)
    holding every key still needed to read old rows, and ``<PREFIX>_FIELD_KEY_ID``, the
    current one, which encrypts and indexes new values. Alone (a migration that seals
    values), or in a component's settings through :class:`PersonalDataSettings`.
    """

    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    field_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEV_FIELD_KEY_ID: SecretStr(DEV_FIELD_KEY)}
    )
    field_key_id: str = DEV_FIELD_KEY_ID

    @model_validator(mode="after")
    def _current_key_in_ring(self) -> Self:
        if self.field_key_id not in self.field_keys:
            raise ValueError(
                f"field_key_id {self.field_key_id!r} is not one of field_keys "
                f"({', '.join(self.field_keys) or 'none'})"
            )
        return self

    def field_cipher(self) -> "FieldCipher":
        from common.fieldcrypt import FieldCipher

        return FieldCipher(
            {k: v.get_secret_value() for k, v in self.field_keys.items()}, self.field_key_id
        )


class PersonalDataSettings(ComponentSettings, FieldKeySettings):
    """A component that stores values encrypted (personal data, ADR 0030; the gateway's
    signing secrets, ADR 0085): its key ring, refused at its default outside development."""

    def secrets(self) -> dict[str, str]:
        return {
            **super().secrets(),
            **{f"field_keys[{k}]": v.get_secret_value() for k, v in self.field_keys.items()},
        }
