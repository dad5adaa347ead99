"""Identity's problems. Answers of the token endpoint are problem details that also carry
RFC 6749 §5.2's ``error`` and ``error_description``, so a stock OAuth2 client reads them
and a person reads ``detail`` (in Chinese when asked)."""

from datetime import datetime
from typing import Any

from common.errors import BadRequest, Forbidden, Problem, Unauthorized
from common.months import CHINA_TZ


class TooManyRequests(Problem):
    status = 429
    code = "too_many_requests"
    title, title_zh = "Too many requests", "请求过于频繁"


def oauth(
    problem: type[Problem],
    error: str,
    detail: str,
    detail_zh: str,
    code: str,
    *,
    headers: dict[str, str] | None = None,
    field: str | None = None,
    **extensions: Any,
) -> Problem:
    return problem(
        detail,
        detail_zh=detail_zh,
        code=code,
        headers=headers,
        field=field,
        error=error,
        error_description=detail,
        **extensions,
    )


def invalid_request(detail: str, detail_zh: str, *, field: str | None = None) -> Problem:
    return oauth(BadRequest, "invalid_request", detail, detail_zh, "invalid_request", field=field)


def invalid_credentials() -> Problem:
    # One answer for an unknown phone and a wrong password: nobody learns who has an account.
    return oauth(
        Unauthorized,
        "invalid_grant",
        "Wrong phone number or password",
        "手机号或密码错误",
        "invalid_credentials",
        headers={"WWW-Authenticate": 'Bearer error="invalid_grant"'},
    )


def account_locked(until: datetime, now: datetime) -> Problem:
    seconds = max(1, int((until - now).total_seconds()) + 1)
    local = until.astimezone(CHINA_TZ)
    return oauth(
        TooManyRequests,
        "invalid_grant",
        f"Too many failed sign-ins; try again after {local:%Y-%m-%d %H:%M} (Beijing time)",
        f"登录失败次数过多,账号已临时锁定,请于北京时间 {local:%Y-%m-%d %H:%M} 后再试",
        "account_locked",
        headers={"Retry-After": str(seconds)},
        unlocks_at=until.isoformat(),
    )


def user_disabled() -> Problem:
    return oauth(
        Forbidden,
        "invalid_grant",
        "This account is disabled; ask whoever manages it",
        "该账号已停用,请联系账号管理员",
        "user_disabled",
    )


def invalid_refresh(code: str, detail: str, detail_zh: str) -> Problem:
    return oauth(BadRequest, "invalid_grant", detail, detail_zh, code, field="refresh_token")


def invalid_client(code: str = "invalid_client", *, basic: bool = True) -> Problem:
    detail, detail_zh = "Client authentication failed", "客户端认证失败"
    if code == "client_disabled":
        detail, detail_zh = "This client is disabled", "该客户端已停用"
    return oauth(
        Unauthorized,
        "invalid_client",
        detail,
        detail_zh,
        code,
        headers={"WWW-Authenticate": 'Basic realm="ruralnet"' if basic else "Bearer"},
    )
