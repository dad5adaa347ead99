"""Who may do what in logistics, beyond ``common.authz`` (docs/adr/0021).

- carriers (an integration's machine credentials, ``Principal.carrier``): read and write
  only their own carrier's coverage, depots and volumes. Another carrier's row is 404 when
  read alone (its existence is that carrier's business) and 403 ``not_your_carrier`` when
  written. They may update their own catalogue record.
- officials: read and write coverage, depots and volumes inside their division subtree;
  platforms read them there. A single row outside the scope is 404, like another
  carrier's.
- admins: everything; only they add carriers and aliases.
- services read everything; operators and training organisers read coverage and depots
  (which carriers reach my point?), not volumes (a carrier's business figures).
- the public reads the carrier catalogue, indicators and gap lists (政务公开).
"""

from common.auth import Principal, Role
from common.authz import require_division_writer, require_role
from common.errors import Forbidden, Problem

WRITERS = frozenset({Role.ADMIN, Role.OFFICIAL, Role.CARRIER})
VOLUME_READERS = frozenset({Role.ADMIN, Role.OFFICIAL, Role.PLATFORM, Role.CARRIER, Role.SERVICE})


def require_writer(principal: Principal, doing: str, doing_zh: str) -> None:
    require_role(principal, WRITERS, doing=doing, doing_zh=doing_zh)


def not_your_carrier(principal: Principal, carrier_code: str) -> Forbidden:
    return Forbidden(
        f"carrier {principal.carrier} may write only its own rows, not {carrier_code}'s",
        detail_zh=f"快递公司 {principal.carrier} 只能提交本公司的数据,不能提交 {carrier_code} 的",
        code="not_your_carrier",
        field="carrier",
    )


def row_write_problem(
    principal: Principal, carrier_code: str, division_code: str, *, place_field: str
) -> Problem | None:
    """Why ``principal`` may not write a row of ``carrier_code`` at ``division_code`` (named
    by the row's ``place_field``)."""
    if principal.role is Role.CARRIER:
        if principal.carrier == carrier_code:
            return None
        return not_your_carrier(principal, carrier_code)
    try:
        require_division_writer(
            principal, division_code, doing="change logistics data", doing_zh="修改物流数据"
        )
    except Forbidden as e:
        return Forbidden(e.detail, detail_zh=e.detail_zh, code=e.code, field=place_field)
    return None


def sees(principal: Principal, carrier_code: str, division_code: str) -> bool:
    """Whether a row of ``carrier_code`` at ``division_code`` is visible to ``principal``."""
    if principal.role is Role.CARRIER:
        return principal.carrier == carrier_code
    if principal.role in (Role.OFFICIAL, Role.PLATFORM):
        return principal.covers(division_code)
    return principal.role is not Role.PUBLIC


def reading_scope(principal: Principal) -> tuple[str | None, str]:
    """What a list shows ``principal``: (its carrier, or None for every carrier; the division
    prefix, '' for the nation)."""
    if principal.role is Role.CARRIER:
        return principal.carrier, ""
    if principal.role in (Role.OFFICIAL, Role.PLATFORM) and not principal.national:
        return None, principal.division or ""
    return None, ""


def require_volume_reader(principal: Principal) -> None:
    require_role(principal, VOLUME_READERS, doing="read parcel volumes", doing_zh="查看快递业务量")
