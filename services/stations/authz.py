"""Who may do what in the stations service, from the principal in the internal token.

- admins: everything, everywhere;
- officials: write only inside their division subtree (403 outside it);
- operators: edit their own station's operator fields and submit its monthly reports;
- platforms, carriers, other services and the public: read only.
Personal fields (operator name and phone) are shown only to those who manage the station.
"""

from collections.abc import Collection

from common.auth import Principal, Role
from common.errors import Forbidden


def require_role(
    principal: Principal, roles: Collection[Role], *, doing: str, doing_zh: str
) -> None:
    """403 ``role_forbidden`` for a role that may not do this anywhere, before any scope
    (division, station) is looked at; ``doing`` completes "role … may not …"."""
    if principal.role not in roles:
        raise _role_forbidden(principal, doing, doing_zh)


def _role_forbidden(principal: Principal, doing: str, doing_zh: str) -> Forbidden:
    return Forbidden(
        f"role {principal.role} may not {doing}",
        detail_zh=f"角色 {principal.role} 无权{doing_zh}",
        code="role_forbidden",
    )


def require_division_writer(principal: Principal, division_code: str) -> None:
    """Admins, and officials whose subtree holds ``division_code``."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.OFFICIAL:
        if principal.covers(division_code):
            return
        raise Forbidden(
            f"{division_code} is outside your division {principal.division}",
            detail_zh=f"{division_code} 不在您的管辖范围 {principal.division} 内",
            code="outside_scope",
        )
    raise _role_forbidden(principal, "change the registry", "修改登记信息")


def is_station_operator(principal: Principal, station_code: str) -> bool:
    return principal.role is Role.OPERATOR and principal.station == station_code


def manages_station(principal: Principal, station_code: str, division_code: str) -> bool:
    """Admins, officials over its division, and its own operator see personal fields."""
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.OFFICIAL:
        return principal.covers(division_code)
    return is_station_operator(principal, station_code)


def require_report_submitter(principal: Principal, station_code: str, division_code: str) -> None:
    """Monthly reports: the station's operator, or an official/admin over its division."""
    if is_station_operator(principal, station_code):
        return
    if principal.role is Role.OPERATOR:
        raise Forbidden(
            f"operators may report only for their own station ({principal.station})",
            detail_zh="运营人员只能为自己的站点填报",
            code="not_your_station",
        )
    require_division_writer(principal, division_code)
