"""What the registry reads from the gateway's settings (``GATEWAY_REGISTRY_…`` variables)."""

from pydantic import BaseModel, Field


class RegistrySettings(BaseModel):
    """Mixed into ``GatewaySettings``."""

    # Each service call of a composite view: a slow service costs at most this, and the
    # view answers without it (``partial``) rather than making a mobile app wait.
    registry_part_timeout: float = Field(default=3.0, gt=0, le=60)
    # A station's record is kept this long per caller scope: an app re-reading it within
    # the window costs no service call (and a 304 costs no bytes).
    registry_cache_seconds: float = Field(default=15.0, ge=0, le=3600)
    registry_cache_entries: int = Field(default=10_000, ge=0, le=1_000_000)
    # Service calls one composite view makes at once (a prefecture's counties, gap batches).
    registry_fanout: int = Field(default=16, ge=1, le=256)
