"""What a machine client's scopes let it do, checked at the gateway as it forwards (ADR 0062).

A machine's role and binding (its carrier code, division or credit code) decide what it may
touch, as the services enforce for everyone; its scopes narrow that further to what the
integration was set up for. A write needs a granted scope that names it; a read that a
scope names (feeds, reports) needs that scope; other reads (public registries) need none.
People carry no scopes: their role decides.
"""

import re
from dataclasses import dataclass

from common.auth import Role
from common.errors import Forbidden

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _pattern(glob: str) -> re.Pattern[str]:
    """``/v1/stations/*/reports`` and below: ``*`` is one path segment."""
    return re.compile("^" + re.escape(glob).replace(r"\*", "[^/]+") + "(/.*)?$")


@dataclass(frozen=True)
class Scope:
    name: str
    description: str
    roles: frozenset[Role]  # which kinds of client may hold it
    writes: tuple[tuple[str, re.Pattern[str]], ...] = ()
    reads: tuple[tuple[str, re.Pattern[str]], ...] = ()


def _on(service: str, *globs: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((service, _pattern(g)) for g in globs)


SCOPES: dict[str, Scope] = {
    s.name: s
    for s in (
        Scope(
            "coverage:write",
            "push depots and township/village coverage, and keep the company's own carrier "
            "record (logistics companies)",
            frozenset({Role.CARRIER}),
            writes=_on("logistics", "/v1/coverage", "/v1/depots", "/v1/carriers/*"),
        ),
        Scope(
            "volumes:write",
            "push daily parcel volumes (logistics companies)",
            frozenset({Role.CARRIER}),
            writes=_on("logistics", "/v1/volumes"),
        ),
        Scope(
            "training:write",
            "record training sessions and attendance (training organisers)",
            frozenset({Role.ORGANISER}),
            writes=_on("training", "/v1/sessions", "/v1/attendance", "/v1/trainees"),
        ),
        Scope(
            "reports:read",
            "read indicators, monthly reports and report documents (platforms, MOFCOM)",
            frozenset({Role.PLATFORM, Role.ORGANISER, Role.CARRIER}),
            reads=(
                *_on(
                    "stations",
                    "/v1/indicators",
                    "/v1/reports",
                    "/v1/stations/*/reports",
                    "/v1/record-parts",  # a station's reports among the rest (ADR 0076)
                ),
                *_on("logistics", "/v1/indicators"),
                *_on("training", "/v1/indicators", "/v1/record-parts"),
                *_on("programme", "/v1/counties"),
                *_on("reports", ""),
            ),
        ),
        Scope(
            "feeds:read",
            "follow the change feeds (platforms, logistics companies)",
            frozenset({Role.PLATFORM, Role.CARRIER}),
            reads=(
                *(
                    (service, _pattern("/v1/changes"))
                    for service in ("stations", "logistics", "training", "programme")
                ),
                *_on("feeds", ""),
            ),
        ),
        Scope(
            "webhooks:manage",
            "manage the platform's own webhook subscriptions to the change feeds (platforms)",
            frozenset({Role.PLATFORM}),
            writes=_on("feeds", "/v1/subscriptions"),
            reads=_on("feeds", "/v1/subscriptions"),
        ),
    )
}


# The kinds of machine client; their tokens always say which scopes they hold (a token of
# one of these roles without a ``scope`` claim is malformed, never "every scope").
MACHINE_ROLES = frozenset({Role.CARRIER, Role.PLATFORM, Role.ORGANISER})


def scopes_of_kind(role: Role) -> frozenset[str]:
    """Every scope a client of this kind may hold (what a development token gets)."""
    return frozenset(s.name for s in SCOPES.values() if role in s.roles)


def needed_scopes(service: str, path: str, method: str) -> frozenset[str] | None:
    """The scopes any one of which allows this request (None: no scope is needed)."""
    if method.upper() in _WRITES:
        found = {
            s.name
            for s in SCOPES.values()
            for svc, p in s.writes
            if svc == service and p.match(path)
        }
        return frozenset(found)
    found = {
        s.name for s in SCOPES.values() for svc, p in s.reads if svc == service and p.match(path)
    }
    return frozenset(found) or None


def require_scope(granted: frozenset[str] | None, service: str, path: str, method: str) -> None:
    """403 ``insufficient_scope`` (RFC 6750 §3.1) for a machine token without the scope."""
    if granted is None:
        return
    needed = needed_scopes(service, path, method)
    if needed is None or needed & granted:
        return
    wanted = " ".join(sorted(needed)) or "(none grants this)"
    raise Forbidden(
        f"this client's token lacks the scope for {method} /{service}{path}: needs {wanted}",
        detail_zh=f"该客户端令牌没有访问此接口所需的权限范围:{wanted}",
        code="insufficient_scope",
        headers={
            "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(sorted(needed))}"'
        },
    )
