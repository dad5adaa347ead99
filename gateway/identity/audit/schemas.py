from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEventOut(BaseModel):
    """One event of the audit log."""

    id: int
    at: datetime
    event: str = Field(
        description="`login_succeeded`, `login_failed`, `account_locked`, `login_refused`, "
        "`logout`, `refresh_token_reused`, `sessions_ended`, `user_created`, `user_updated`, "
        "`password_changed`, `password_reset`, `client_created`, `client_updated`, "
        "`client_secret_created`, `client_secret_revoked`, `client_token_issued`, "
        "`client_auth_failed`",
        examples=["login_failed"],
    )
    actor: str = Field(description="who did it: `user:42`, `client:…`, `anonymous`")
    target: str | None = Field(default=None, description="whom it was about", examples=["user:7"])
    division: str | None = Field(
        default=None,
        description="where the target belongs (an official's scope, an "
        "operator's station division)",
        examples=["141124"],
    )
    address: str | None = Field(default=None, description="the client's address")
    request_id: str | None = None
    detail: dict[str, Any] = Field(
        description="codes and changed field names; never a password, secret or phone number "
        "(a phone appears masked)",
        examples=[{"reason": "wrong_password", "phone": "138****8000"}],
    )
