"""The authorization matrix's tables: how to exercise every write route of every app.

``tests/test_authz_matrix.py`` finds every POST, PUT, PATCH and DELETE route of every
component in ``ruralnet.runner.COMPONENTS`` from the apps' own route tables, and fails for a
route that has no entry here. Each component has a module ``tests/authz/<component>.py``
with ``ROUTES: dict[tuple[str, str], Write | Forwarded]`` keyed by ``(method, path)`` as the
app declares it (``("PATCH", "/v1/stations/{code}")``).

To join a new route: add a ``Write`` naming the roles that may write there (``allowed``),
a caller it succeeds for (``ok_as``) and a request that caller gets through: path
parameters, a valid body, what must exist first (``setup``, which may return path parameters
such as a new id), and what the write is about
(``division``, ``station``, ``carrier``, ``organiser``) so that callers outside it can be
tried. The matrix then checks, for that request:

- no token → 401 ``token_missing`` with ``WWW-Authenticate``;
- the public → 401 ``authentication_required`` with ``WWW-Authenticate`` (never 403);
- forged, expired and unsigned tokens, and officials and platforms with every malformed
  scope → 401, never a success;
- each role not in ``allowed``, even with the most favourable fields (an official over the
  very division, the operator of the very station) → 403;
- officials and platforms outside ``division``, an operator of another station, another
  carrier or organiser, when their role is allowed → 403 (404 with ``hides=True``; for a bulk
  route ``per_row=True`` also accepts a 200 whose every row is refused with 403/404);
- that no refused request changed any table;
- then that ``ok_as`` gets ``success`` (so the refusals above are about who calls, not about
  a broken example);
- and, through the gateway, that an anonymous write, a forged user token and a malformed
  scope are 401 before any service is reached.

A request is built when the test runs (``body`` and ``path`` may be callables), so dates such
as "the last finished month" are right whenever the suite runs.
"""

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from common.auth import Principal, Role

# Each is refused wherever it appears: the scopes that once got national or multi-county reach.
MALFORMED_SCOPES: list[Any] = [
    None,
    "",
    "1",
    "14110",  # five digits: between prefecture and county
    "1411240",
    "１４１１２４",  # full-width digits
    "١٤١١٢٤",  # Arabic-Indic digits
    "1411241000000",  # 13 digits
    "141124000001",  # a 12-digit code that is no division at a level boundary
    "141124100201",  # a village: nobody administers a single village
    "00",
    "000000000000",
    "140024",  # skips the prefecture
    " 141124",
    "141124\n",
    "14*",
    "NATION",
    "nation ",
    "*",
    141124,
    ["14"],
]

CREDIT_CODE = "91110000802100433B"
OTHER_CREDIT_CODE = "91350100M000100Y43"


@dataclass(frozen=True)
class Context:
    """What a ``setup`` may use: an in-process client per component, the test database."""

    clients: Mapping[str, httpx.AsyncClient]
    db: asyncpg.Pool


# Creates what the write needs; may return path parameters only known then (a new id).
Setup = Callable[[Context], Awaitable[Mapping[str, str] | None]]
Value = Any | Callable[[], Any]


@dataclass(frozen=True)
class Write:
    allowed: frozenset[Role]
    ok_as: Principal
    success: int
    path: Mapping[str, Value] = field(default_factory=dict)
    body: Value = None  # JSON; None sends no body
    headers: Mapping[str, str] = field(default_factory=dict)
    setup: Setup | None = None
    division: str | None = None  # the 12-digit division the write is about
    station: str | None = None  # the station it is about (operators may write their own)
    carrier: str | None = None
    organiser: str | None = None
    hides: bool = False  # outsiders get 404, not 403
    per_row: bool = False  # bulk: outsiders may get 200 with every row refused

    def url(self, template: str, made: Mapping[str, str] | None = None) -> str:
        values = {name: resolve(value) for name, value in self.path.items()}
        # A Starlette convertor (``{upload:path}``) is no format spec.
        return re.sub(r"\{(\w+):\w+\}", r"{\1}", template).format(**values, **(made or {}))

    def json(self) -> Any:
        return resolve(self.body)


@dataclass(frozen=True)
class Forwarded:
    """A gateway route that forwards to the services: it is checked with every service
    write route behind it, through the gateway."""


@dataclass(frozen=True)
class SignIn:
    """A gateway route anyone may call because it is how one signs in (the OAuth2 token
    endpoint): no token is the normal case. Its refusals (wrong credentials, lockout, a
    reused refresh token, a scope not held) are tested in ``tests/identity``."""

    tested_in: str


def resolve(value: Value) -> Any:
    return value() if callable(value) else value


def roles(*names: Role) -> frozenset[Role]:
    return frozenset(names)
