"""Authorization rules every service applies alike, from the principal in the internal token.

- admins: everything, everywhere;
- officials: write only inside their division subtree (403 ``outside_scope`` elsewhere);
  national designations only from the province up (``require_province_writer``);
- other roles: what each service grants them, checked with ``require_role`` before any scope;
- the public: what is a public record (ADR 0009); anything else is 401 (sign in), not 403.

A service keeps its object-level rules (whose station, whose carrier) in its own ``authz``.
"""

from collections.abc import Collection

from common.auth import Principal, Role, sign_in_required
from common.errors import Forbidden, Problem


def role_forbidden(principal: Principal, doing: str, doing_zh: str) -> Problem:
    """403 ``role_forbidden``; for the public 401 ``authentication_required`` instead, since
    signing in may help (and an anonymous write is never answered 403)."""
    if principal.role is Role.PUBLIC:
        return sign_in_required(doing, doing_zh)
    return Forbidden(
        f"role {principal.role} may not {doing}",
        detail_zh=f"角色 {principal.role} 无权{doing_zh}",
        code="role_forbidden",
    )


def require_role(
    principal: Principal, roles: Collection[Role], *, doing: str, doing_zh: str
) -> None:
    """403 ``role_forbidden`` for a role that may not do this anywhere, before any scope
    (division, station) is looked at; ``doing`` completes "role … may not …"."""
    if principal.role not in roles:
        raise role_forbidden(principal, doing, doing_zh)


def require_division_writer(
    principal: Principal,
    division_code: str,
    *,
    doing: str = "change the registry",
    doing_zh: str = "修改登记信息",
) -> None:
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
    raise role_forbidden(principal, doing, doing_zh)


def require_province_writer(
    principal: Principal,
    division_code: str,
    *,
    doing: str,
    doing_zh: str,
) -> None:
    """Admins, and officials of the province that holds ``division_code`` or of the nation:
    what a province designates for its counties (demonstration counties and their funds),
    which a county must not set for itself."""
    require_division_writer(principal, division_code, doing=doing, doing_zh=doing_zh)
    if (
        principal.role is Role.OFFICIAL
        and not principal.national
        and len(principal.division or "") > 2
    ):
        raise Forbidden(
            f"only province-level officials (or national ones) may {doing}; your division is "
            f"{principal.division}",
            detail_zh=f"只有省级及以上主管部门可以{doing_zh};您的管辖范围是 {principal.division}",
            code="province_level_required",
        )


def require_division_reader(
    principal: Principal, division_code: str | None, *, doing: str, doing_zh: str
) -> None:
    """Reads that are not public records (ADR 0009): admins and services everywhere,
    officials and platforms inside their subtree (``None``, the whole country, needs a
    national one); the public is asked to sign in (401), any other role is refused (403)."""
    if principal.role in (Role.ADMIN, Role.SERVICE):
        return
    if principal.role not in (Role.OFFICIAL, Role.PLATFORM):
        raise role_forbidden(principal, doing, doing_zh)
    if division_code is None:
        if principal.national:
            return
        raise Forbidden(
            f"the whole country is outside your division {principal.division}; name a "
            "division inside it",
            detail_zh=f"全国范围超出您的管辖范围 {principal.division},请指定其下的区划",
            code="outside_scope",
        )
    if not principal.covers(division_code):
        raise Forbidden(
            f"{division_code} is outside your division {principal.division}",
            detail_zh=f"{division_code} 不在您的管辖范围 {principal.division} 内",
            code="outside_scope",
        )


def division_reader_prefix(
    principal: Principal, under: str | None, *, doing: str, doing_zh: str
) -> str | None:
    """The division prefix a list is read under: the one asked for, which must lie inside the
    reader's subtree (``require_division_reader``), or — when none is asked for — the
    reader's own subtree (None: the whole country, for national readers)."""
    readers = (Role.OFFICIAL, Role.PLATFORM)
    if under is None and principal.role in readers and not principal.national:
        return principal.division
    code = None if under is None else under.ljust(12, "0")
    require_division_reader(principal, code, doing=doing, doing_zh=doing_zh)
    return under
