"""Helpers for tests: principals and the headers that carry them."""

from common.auth import Principal, Role, mint_internal_token

INTERNAL_SECRET = "test-internal-secret-0123456789abcdef"
JWT_SECRET = "test-user-token-secret-0123456789abcdef"


def internal_headers(
    role: Role = Role.ADMIN,
    *,
    subject: str = "test",
    division: str | None = None,
    station: str | None = None,
    carrier: str | None = None,
    ttl_seconds: int = 60,
) -> dict[str, str]:
    principal = Principal(
        subject=subject, role=role, division=division, station=station, carrier=carrier
    )
    token = mint_internal_token(principal, secret=INTERNAL_SECRET, ttl_seconds=ttl_seconds)
    return {"Authorization": f"Bearer {token}"}
