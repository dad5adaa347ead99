"""The authorization matrix: every write route of every app, found in the apps' own route
tables, against every kind of caller. What each check means, and how a new route joins, is
in ``tests/authz/__init__.py``; each component's entries are in ``tests/authz/<name>.py``.
"""

import csv
import importlib
import io
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from common.auth import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    NATION,
    SAFE_METHODS,
    Principal,
    Role,
    encode_principal,
)
from common.errors import PROBLEM_JSON
from gateway.auth import USER_AUDIENCE, USER_ISSUER, USER_ROLES
from gateway.identity.scopes import MACHINE_ROLES, needed_scopes, scopes_of_kind
from ruralnet.runner import COMPONENTS
from tests.authz import (
    CREDIT_CODE,
    MALFORMED_SCOPES,
    OTHER_CREDIT_CODE,
    Context,
    Forwarded,
    SignIn,
    Write,
)
from tests.conftest import _mutable_tables
from tests.support import INTERNAL_SECRET, JWT_SECRET, serve

GATEWAY = "gateway"
SERVICES = [c.name for c in COMPONENTS if c.name != GATEWAY]


def _factory(name: str) -> Callable[..., FastAPI]:
    module, _, function = next(c.app for c in COMPONENTS if c.name == name).partition(":")
    return getattr(importlib.import_module(module), function)


def write_routes(app: FastAPI) -> tuple[tuple[str, str], ...]:
    """``(method, path)`` of every write route an app declares."""
    found: list[tuple[str, str]] = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.append(("MOUNT", route.path))  # routes the matrix cannot see: refused
            continue
        for method in sorted((route.methods or set()) - SAFE_METHODS):
            found.append((method, route.path))
    return tuple(found)


@cache
def _routes(name: str) -> tuple[tuple[str, str], ...]:
    # Building an app connects to nothing (its lifespan opens the database), so this can
    # run at collection.
    return write_routes(_factory(name)())


def _table(name: str) -> Mapping[tuple[str, str], Write | Forwarded | SignIn]:
    try:
        module: ModuleType = importlib.import_module(f"tests.authz.{name}")
    except ModuleNotFoundError:
        return {}
    return module.ROUTES


WRITES = [
    pytest.param(name, method, path, id=f"{name} {method} {path}")
    for name in SERVICES
    for method, path in _routes(name)
    if isinstance(_table(name).get((method, path)), Write)
]
GATEWAY_WRITES = [
    pytest.param(method, path, id=f"{GATEWAY} {method} {path}")
    for method, path in _routes(GATEWAY)
    if isinstance(_table(GATEWAY).get((method, path)), Write)
]
THROUGH_GATEWAY = [
    pytest.param(name, method, path, id=f"{name} {method} {path}")
    for name in SERVICES
    for method, path in _routes(name)
    if isinstance(_table(name).get((method, path)), Write)
]


@pytest.mark.parametrize("name", [c.name for c in COMPONENTS])
def test_every_write_route_has_an_entry(name: str) -> None:
    discovered = set(_routes(name))
    listed = set(_table(name))
    missing = sorted(discovered - listed)
    assert not missing, (
        f"write routes of {name} missing from tests/authz/{name}.py (add a Write for each; "
        f"see tests/authz/__init__.py): {missing}"
    )
    assert not sorted(listed - discovered), f"entries for routes {name} no longer has"
    forwarded = {key for key, entry in _table(name).items() if isinstance(entry, Forwarded)}
    assert name == GATEWAY or not forwarded, "only the gateway forwards"
    sign_in = {key for key, entry in _table(name).items() if isinstance(entry, SignIn)}
    assert sign_in <= {("POST", "/auth/token")}, "only the token endpoint is open to everyone"


# --- the doors: internal tokens at a service, user tokens at the gateway ------------------


@dataclass(frozen=True)
class Door:
    secret: str
    issuer: str
    audience: str
    gateway: bool

    def claims(self, **claims: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {"iss": self.issuer, "aud": self.audience, "iat": now, "exp": now + 300}
        return {k: v for k, v in {**base, **claims}.items() if v is not None}

    def token(self, principal: Principal) -> str:
        if self.gateway and principal.role in MACHINE_ROLES:
            # A machine's token at the gateway holds every scope of its kind: the most it
            # can have (the scopes themselves: test_a_machine_token_writes_only_what_its…).
            return self.raw(**_claims_of(principal), scope=_scope(scopes_of_kind(principal.role)))
        return encode_principal(
            principal,
            secret=self.secret,
            issuer=self.issuer,
            audience=self.audience,
            ttl_seconds=300,
        )

    def headers(self, principal: Principal) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(principal)}"}

    def raw(self, secret: str | None = None, algorithm: str = ALGORITHM, **claims: Any) -> str:
        return jwt.encode(
            self.claims(**claims), self.secret if secret is None else secret, algorithm
        )

    def can_carry(self, role: Role) -> bool:
        return role in USER_ROLES if self.gateway else True


SERVICE_DOOR = Door(INTERNAL_SECRET, ISSUER, AUDIENCE, gateway=False)
GATEWAY_DOOR = Door(JWT_SECRET, USER_ISSUER, USER_AUDIENCE, gateway=True)


def _claims_of(principal: Principal) -> dict[str, Any]:
    return {
        "sub": principal.subject,
        "role": principal.role.value,
        "div": principal.division,
        "stn": principal.station,
        "car": principal.carrier,
        "org": principal.organiser,
    }


def unauthenticated(door: Door, write: Write) -> list[tuple[str, dict[str, str], str]]:
    """(who, headers, expected 401 code): callers that must never get past authentication."""
    ok = _claims_of(write.ok_as)
    other = SERVICE_DOOR if door.gateway else GATEWAY_DOOR
    callers: list[tuple[str, dict[str, str], str]] = [
        ("no token", {}, "authentication_required" if door.gateway else "token_missing"),
        ("not bearer", {"Authorization": "Basic dXNlcjpwYXNz"}, ""),
        ("wrong secret", _bearer(door.raw(secret="a-forger-guessing-0123456789abcdef", **ok)), ""),
        ("expired", _bearer(door.raw(iat=int(time.time()) - 600, exp=int(time.time()) - 300, **ok)), "token_expired"),
        ("unsigned", _bearer(jwt.encode(door.claims(**ok), None, "none")), "token_invalid"),
        ("the other kind of token", _bearer(other.raw(**ok)), "token_invalid"),
        ("unknown role", _bearer(door.raw(**{**ok, "role": "emperor"})), "token_invalid"),
    ]  # fmt: skip
    if not door.gateway and Role.PUBLIC not in write.allowed:
        public = Principal(subject="anonymous", role=Role.PUBLIC)
        callers.append(("public", door.headers(public), "authentication_required"))
    for role in ("official", "platform"):
        for scope in MALFORMED_SCOPES:
            token = door.raw(sub="user:scope", role=role, div=scope)
            callers.append((f"{role} scoped {scope!r}", _bearer(token), "token_invalid"))
    return callers


def _scope(scopes: frozenset[str]) -> str:
    return " ".join(sorted(scopes))


_NO_CLAIM = object()


def scope_claims(role: Role, needed: frozenset[str]) -> list[tuple[str, Any, str]]:
    """(who, the token's ``scope`` claim, expected code): machine tokens that must not write
    here although their role and binding may — the claim missing, malformed, or naming
    anything but a scope that grants this write (ADR 0009, 0062)."""
    others = scopes_of_kind(role) - needed
    near = sorted(needed)[0] if needed else "coverage:write"
    return [
        ("no scope claim", _NO_CLAIM, "token_invalid"),
        ("scope null", None, "token_invalid"),
        ("scope as a list", sorted(needed), "token_invalid"),
        ("scope as a number", 1, "token_invalid"),
        ("no scope", "", "insufficient_scope"),
        ("only whitespace", " \t ", "insufficient_scope"),
        ("the kind's other scopes", _scope(others), "insufficient_scope"),
        ("a wildcard", "*", "insufficient_scope"),
        ("a prefix wildcard", near.split(":")[0] + ":*", "insufficient_scope"),
        ("upper case", near.upper(), "insufficient_scope"),
        ("with a NUL", near + "\x00", "insufficient_scope"),
        ("comma-separated", ",".join(sorted(scopes_of_kind(role))), "insufficient_scope"),
    ]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _inside_scope(write: Write) -> str:
    if write.ok_as.division is not None:
        return write.ok_as.division
    return NATION


def _sibling(scope: str) -> str:
    """Another division at the same level: the last digit changed, never to 0 (which could
    make it the parent)."""
    last = int(scope[-1])
    return scope[:-1] + str(last % 9 + 1 if last != 9 else 1)


def favourable(role: Role, write: Write) -> Principal:
    """A caller of ``role`` with the fields that would help it most here."""
    fields: dict[str, str] = {}
    if role in (Role.OFFICIAL, Role.PLATFORM):
        fields["division"] = _inside_scope(write)
    elif role is Role.OPERATOR:
        fields["station"] = write.station or write.ok_as.station or "141124100201-01"
    elif role is Role.CARRIER:
        fields["carrier"] = write.carrier or "zhongtong"
    elif role is Role.ORGANISER:
        fields["organiser"] = write.organiser or CREDIT_CODE
    return Principal(subject=f"{role}:favourable", role=role, **fields)


def outsiders(write: Write) -> list[Principal]:
    """Callers whose role may write here, but not about this division, station, carrier or
    organiser."""
    found: list[Principal] = []
    for role in sorted(write.allowed & {Role.OFFICIAL, Role.PLATFORM}):
        if write.division is None:
            continue
        inside = _inside_scope(write)
        scopes = ["14" if write.division.startswith("53") else "53"]
        if inside != NATION:
            scopes.append(_sibling(inside))
        for scope in scopes:
            outsider = Principal(subject=f"{role}:outside", role=role, division=scope)
            assert not outsider.covers(write.division), (scope, write.division)
            found.append(outsider)
    if Role.OPERATOR in write.allowed and write.station:
        other = write.station[:-2] + ("02" if write.station[-2:] != "02" else "03")
        found.append(Principal(subject="operator:other", role=Role.OPERATOR, station=other))
    if Role.CARRIER in write.allowed and write.carrier:
        other = "yuantong" if write.carrier != "yuantong" else "yunda"
        found.append(Principal(subject="carrier:other", role=Role.CARRIER, carrier=other))
    if Role.ORGANISER in write.allowed and write.organiser:
        other = OTHER_CREDIT_CODE if write.organiser != OTHER_CREDIT_CODE else CREDIT_CODE
        found.append(Principal(subject="organiser:other", role=Role.ORGANISER, organiser=other))
    return found


# --- fixtures -------------------------------------------------------------------------------


async def _in_process(stack: AsyncExitStack, app: FastAPI) -> httpx.AsyncClient:
    manager = await stack.enter_async_context(LifespanManager(app))
    transport = httpx.ASGITransport(app=manager.app)
    return await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://test")
    )


@pytest.fixture(scope="module")
async def services(database_url: str) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """An in-process client on each service (a fresh app each, as the runner starts them)."""
    async with AsyncExitStack() as stack:
        yield {name: await _in_process(stack, _factory(name)()) for name in SERVICES}


@pytest.fixture(scope="module")
async def gateway(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway in process, in front of every service served on a loopback port."""
    from gateway.settings import GatewaySettings

    with ExitStack() as served:
        urls = {f"{name}_url": served.enter_context(serve(_factory(name)())) for name in SERVICES}
        async with AsyncExitStack() as stack:
            app = _factory(GATEWAY)(GatewaySettings(database_url=database_url, **urls))
            yield await _in_process(stack, app)


async def snapshot(db: asyncpg.Pool) -> dict[str, str]:
    """A digest of every table that is not reference data."""
    parts = [
        f"SELECT '{table}' AS name, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
        f"AS digest FROM {table} t"
        for table in _mutable_tables()
    ]
    rows = await db.fetch(" UNION ALL ".join(parts))
    return {row["name"]: row["digest"] for row in rows}


def _row_statuses(response: httpx.Response) -> list[int | None]:
    """The status of each row of a bulk answer (``common.bulk.BulkResult``, or its CSV from
    the registry's ``exports/uploads``): the one the single-item route would have answered
    for a rejected row, None for an accepted one."""
    if response.headers["content-type"].startswith("text/csv"):
        table = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
        return [int(row["HTTP状态"]) if row["结果"] == "拒绝" else None for row in table]
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("results"), list), f"not a bulk answer: {body}"
    return [row["http_status"] if row["status"] == "rejected" else None for row in body["results"]]


async def _send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    write: Write,
    headers: Mapping[str, str],
) -> httpx.Response:
    body = write.json()
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    return await client.request(method, url, headers={**write.headers, **headers}, **kwargs)


def assert_401(response: httpx.Response, code: str, who: str) -> None:
    assert response.status_code == 401, (who, response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM_JSON, who
    assert response.headers["www-authenticate"].startswith("Bearer"), who
    if code:
        assert response.json()["code"] == code, (who, response.text)


def assert_refused(response: httpx.Response, write: Write, who: str, *, outsider: bool) -> None:
    allowed = {403, 404} if outsider and write.hides else {403}
    if outsider and write.per_row and response.status_code == 200:
        statuses = _row_statuses(response)
        assert statuses, who
        assert all(s in {403, 404} for s in statuses), (who, response.text)
        return
    assert response.status_code in allowed, (who, response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM_JSON, who


# --- the matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "method", "path"), WRITES)
async def test_who_may_write(
    name: str,
    method: str,
    path: str,
    services: dict[str, httpx.AsyncClient],
    db: asyncpg.Pool,
) -> None:
    await _who_may_write(name, method, path, services[name], services, db)


@pytest.mark.parametrize(("method", "path"), GATEWAY_WRITES)
async def test_who_may_write_at_the_gateway(
    method: str,
    path: str,
    gateway: httpx.AsyncClient,
    services: dict[str, httpx.AsyncClient],
    db: asyncpg.Pool,
) -> None:
    await _who_may_write(GATEWAY, method, path, gateway, services, db)


async def _who_may_write(
    name: str,
    method: str,
    path: str,
    client: httpx.AsyncClient,
    services: dict[str, httpx.AsyncClient],
    db: asyncpg.Pool,
) -> None:
    write = _table(name)[(method, path)]
    assert isinstance(write, Write)
    door = GATEWAY_DOOR if name == GATEWAY else SERVICE_DOOR
    made = None if write.setup is None else await write.setup(Context(clients=services, db=db))
    url = write.url(path, made)
    before = await snapshot(db)

    for who, headers, code in unauthenticated(door, write):
        assert_401(await _send(client, method, url, write, headers), code, who)
    assert await snapshot(db) == before, "a refused caller changed something"

    for role in sorted(set(Role) - write.allowed - {Role.PUBLIC}):
        if not door.can_carry(role):
            continue
        caller = favourable(role, write)
        r = await _send(client, method, url, write, door.headers(caller))
        assert_refused(r, write, f"role {role}", outsider=False)
        assert await snapshot(db) == before, f"role {role} was refused but changed something"

    for caller in outsiders(write):
        r = await _send(client, method, url, write, door.headers(caller))
        who = f"{caller.role} {caller.division or caller.station or caller.carrier or ''}"
        assert_refused(r, write, who, outsider=True)
        assert await snapshot(db) == before, f"{who} was refused but changed something"

    r = await _send(client, method, url, write, door.headers(write.ok_as))
    assert r.status_code == write.success, ("the example as ok_as", r.text)
    if write.per_row:
        assert all(s is None for s in _row_statuses(r)), r.text


@pytest.mark.parametrize(("name", "method", "path"), THROUGH_GATEWAY)
async def test_the_gateway_lets_no_unauthenticated_write_through(
    name: str,
    method: str,
    path: str,
    gateway: httpx.AsyncClient,
    services: dict[str, httpx.AsyncClient],
    db: asyncpg.Pool,
) -> None:
    write = _table(name)[(method, path)]
    assert isinstance(write, Write)
    made = None if write.setup is None else await write.setup(Context(clients=services, db=db))
    url = f"/{name}{write.url(path, made)}"
    before = await snapshot(db)
    for who, headers, code in unauthenticated(GATEWAY_DOOR, write):
        assert_401(await _send(gateway, method, url, write, headers), code, who)
    service = Principal(subject="service:x", role=Role.SERVICE)
    r = await _send(gateway, method, url, write, _bearer(GATEWAY_DOOR.raw(**_claims_of(service))))
    assert_401(r, "token_invalid", "a user token claiming the service role")
    assert await snapshot(db) == before


MACHINE_WRITES = [
    param
    for param in THROUGH_GATEWAY
    if _table(param.values[0])[(param.values[1], param.values[2])].allowed & MACHINE_ROLES
]


@pytest.mark.parametrize(("name", "method", "path"), MACHINE_WRITES)
async def test_a_machine_token_writes_only_what_its_scopes_grant(
    name: str,
    method: str,
    path: str,
    gateway: httpx.AsyncClient,
    services: dict[str, httpx.AsyncClient],
    db: asyncpg.Pool,
) -> None:
    """Through the gateway, a machine whose role and binding the service accepts writes only
    with a scope that names the write; then the write succeeds."""
    write = _table(name)[(method, path)]
    assert isinstance(write, Write)
    made = None if write.setup is None else await write.setup(Context(clients=services, db=db))
    route = write.url(path, made)
    needed = needed_scopes(name, route, method)
    assert needed, f"no scope grants {method} /{name}{route}, which machines may do"
    machine = (
        write.ok_as
        if write.ok_as.role in MACHINE_ROLES
        else favourable(sorted(write.allowed & MACHINE_ROLES)[0], write)
    )
    claims = _claims_of(machine)
    before = await snapshot(db)
    for who, scope, code in scope_claims(machine.role, needed):
        extra = {} if scope is _NO_CLAIM else {"scope": scope}
        token = jwt.encode(
            {**GATEWAY_DOOR.claims(**claims), **extra}, GATEWAY_DOOR.secret, ALGORITHM
        )
        r = await _send(gateway, method, f"/{name}{route}", write, _bearer(token))
        if code == "token_invalid":
            assert_401(r, code, who)
        else:
            assert r.status_code == 403, (who, r.status_code, r.text)
            assert r.json()["code"] == code, (who, r.text)
            assert r.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')
    assert await snapshot(db) == before, "a machine without the scope changed something"
    if write.ok_as.role in MACHINE_ROLES:
        token = GATEWAY_DOOR.raw(**claims, scope=_scope(needed))
        r = await _send(gateway, method, f"/{name}{route}", write, _bearer(token))
        assert r.status_code == write.success, ("ok_as with just the scope it needs", r.text)


def test_the_matrix_sees_a_new_route() -> None:
    """A route added to an app is discovered: what makes a missing entry fail."""
    from fastapi import APIRouter

    from common.app import create_app
    from services.training.settings import TrainingSettings

    router = APIRouter()

    @router.delete("/v1/sessions/{code}")
    async def drop(code: str) -> None:
        return None

    app = create_app(
        settings=TrainingSettings(), schema="training", title="t", description="", routers=[router]
    )
    assert write_routes(app) == (("DELETE", "/v1/sessions/{code}"),)
