from pydantic import BaseModel, Field


class TokenResponse(BaseModel):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: str = Field(default="Bearer", examples=["Bearer"])
    expires_in: int = Field(description="seconds", examples=[600])
    refresh_token: str | None = Field(
        default=None, description="people only: good for one use; each use returns a new one"
    )
    scope: str | None = Field(
        default=None, description="machines: the scopes granted, space-separated"
    )
