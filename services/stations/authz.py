"""Who may do what in the stations service, beyond the shared rules of ``common.authz``.

- operators: edit their own station's operator fields and submit its monthly reports;
- platforms, carriers, other services and the public: read only.
Personal fields (operator name and phone) are shown only to those who manage the station.
A station's own records — its monthly figures, who submitted them, its transitions — are
read by those who manage it, by platforms over it and by other services (ADR 0009).
"""

from common.auth import Principal, Role
from common.authz import require_division_reader, require_division_writer
from common.errors import Forbidden


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


def require_station_reader(principal: Principal, station_code: str, division_code: str) -> None:
    """A station's records: its operator, and the readers of its division."""
    if is_station_operator(principal, station_code):
        return
    if principal.role is Role.OPERATOR:
        raise Forbidden(
            f"operators may read only their own station's records ({principal.station})",
            detail_zh="运营人员只能查看自己站点的记录",
            code="not_your_station",
        )
    require_division_reader(
        principal, division_code, doing="read this station's records", doing_zh="查看该站点的记录"
    )
