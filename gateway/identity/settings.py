"""What identity reads from the gateway's settings (``GATEWAY_…`` variables)."""

from pydantic import BaseModel, Field, SecretStr

DEV_PHONE_INDEX_KEY = "development-only-phone-index-key-change-me"


class IdentitySettings(BaseModel):
    """Mixed into ``GatewaySettings``: token lifetimes, the Argon2 cost, the phone index key."""

    # Minutes: a stolen access token is worth little, and revocation (ADR 0060) covers the rest.
    access_token_ttl_seconds: int = Field(default=600, ge=60, le=3600)
    # Machines ask again with their secret; no refresh tokens for them (RFC 6749 §4.4.3).
    client_token_ttl_seconds: int = Field(default=1800, ge=60, le=3600)
    # A village operator who opens the app once a fortnight stays signed in.
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)
    # OWASP's Argon2id minimum (19 MiB, t=2, p=1); raising any of them rehashes each
    # password at its next successful login (bench/benchmarks/login.py shows what each costs).
    argon2_memory_kib: int = Field(default=19_456, ge=8_192, le=1_048_576)
    argon2_time_cost: int = Field(default=2, ge=1, le=10)
    argon2_parallelism: int = Field(default=1, ge=1, le=8)
    # Keys the phone index (HMAC-SHA256): phones are looked up, never stored in clear.
    phone_index_key: SecretStr = SecretStr(DEV_PHONE_INDEX_KEY)
    # How often each gateway process reloads the revocation list (ADR 0060).
    revocation_refresh_seconds: float = Field(default=2.0, gt=0, le=3600)

    def identity_secrets(self) -> dict[str, str]:
        return {"phone_index_key": self.phone_index_key.get_secret_value()}
