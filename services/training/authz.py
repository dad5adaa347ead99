"""Who may do what with training data.

- sessions: admins; officials whose subtree holds the session's place; the organiser (by
  its credit code) for its own sessions;
- trainees' personal fields (name, phone, ID number) are shown in clear to the trainee's
  scope only: admins, officials of the residence or of the place of a session attended,
  and the organiser of a session attended; masked for everyone else;
- a person's rights (export everything, erase): admins and officials of the residence;
- subsidy policies: admins and officials whose subtree holds the policy's region.
"""

from collections.abc import Iterable

from common.auth import Principal, Role
from common.authz import require_division_writer, require_role, role_forbidden
from common.errors import Forbidden

SESSION_WRITERS = frozenset({Role.ADMIN, Role.OFFICIAL, Role.ORGANISER})
PERSONAL_READERS = frozenset({Role.ADMIN, Role.OFFICIAL, Role.ORGANISER})
OFFICIALS = frozenset({Role.ADMIN, Role.OFFICIAL})


def require_session_writer(principal: Principal, division_code: str, organiser_code: str) -> None:
    require_role(principal, SESSION_WRITERS, doing="run training sessions", doing_zh="管理培训班")
    if principal.role is Role.ORGANISER:
        if principal.organiser is None or principal.organiser != organiser_code:
            raise Forbidden(
                "organisers manage their own sessions only",
                detail_zh="承办企业只能管理本企业承办的培训班",
                code="not_your_session",
                field="organiser.credit_code",
            )
        return
    require_division_writer(
        principal, division_code, doing="run training sessions", doing_zh="管理培训班"
    )


def require_official(
    principal: Principal, division_code: str, *, doing: str, doing_zh: str
) -> None:
    require_role(principal, OFFICIALS, doing=doing, doing_zh=doing_zh)
    require_division_writer(principal, division_code, doing=doing, doing_zh=doing_zh)


def require_personal_reader(principal: Principal) -> None:
    require_role(
        principal, PERSONAL_READERS, doing="read trainees' records", doing_zh="查看学员信息"
    )


def in_scope(
    principal: Principal,
    residence_code: str,
    session_places: Iterable[str] = (),
    session_organisers: Iterable[str] = (),
) -> bool:
    """Whether the principal may see this trainee's personal fields in clear."""
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.OFFICIAL and principal.division:
        return principal.covers(residence_code) or any(
            principal.covers(place) for place in session_places
        )
    if principal.role is Role.ORGANISER and principal.organiser:
        return principal.organiser in set(session_organisers)
    return False


def forbidden_personal(principal: Principal) -> Forbidden:
    return role_forbidden(principal, "read trainees' records", "查看学员信息")
