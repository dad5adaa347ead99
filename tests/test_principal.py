"""A principal is strict: a scope is a division code at a level boundary (normalised to its
significant digits), national reach is the admin role or the explicit ``NATION`` scope, each
role carries exactly its own fields — checked where a token is minted and where it is read.

Every write route against every malformed scope is in ``test_authz_matrix.py``.
"""

import ast
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from pydantic import ValidationError

from common.auth import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    NATION,
    ROLE_FIELDS,
    Principal,
    Role,
    encode_principal,
    mint_internal_token,
    normalize_scope,
    verify_internal_token,
)
from common.errors import Unauthorized
from gateway.auth import NotAUserRole, mint_user_token
from tests.authz import MALFORMED_SCOPES
from tests.support import INTERNAL_SECRET, internal_headers

VALID_SCOPES = {
    "14": "14",
    "140000": "14",
    "140000000000": "14",
    "1411": "1411",
    "141100": "1411",
    "141124": "141124",
    "141124000000": "141124",
    "141124100": "141124100",
    "141124100000": "141124100",
    "441900003": "441900003",  # 东莞's townships sit right below the city
    NATION: NATION,
}

CREDIT_CODE = "91110000802100433B"
EXAMPLE_FIELDS: dict[Role, dict[str, str]] = {
    Role.ADMIN: {},
    Role.OFFICIAL: {"division": "141124"},
    Role.OPERATOR: {"station": "141124100201-01"},
    Role.CARRIER: {"carrier": "zhongtong"},
    Role.PLATFORM: {"division": NATION},
    Role.ORGANISER: {"organiser": CREDIT_CODE},
    Role.SERVICE: {},
    Role.PUBLIC: {},
}
ALL_FIELDS = {
    "division": "141124",
    "station": "141124100201-01",
    "carrier": "zhongtong",
    "organiser": CREDIT_CODE,
}


@pytest.mark.parametrize("scope", MALFORMED_SCOPES, ids=repr)
@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.PLATFORM])
def test_a_malformed_scope_makes_no_principal(role: Role, scope: Any) -> None:
    with pytest.raises(ValidationError):
        Principal(subject="user:1", role=role, division=scope)


@pytest.mark.parametrize(("given", "normal"), VALID_SCOPES.items())
def test_a_scope_has_one_form(given: str, normal: str) -> None:
    assert normalize_scope(given) == normal
    principal = Principal(subject="user:1", role=Role.OFFICIAL, division=given)
    assert principal.division == normal
    token = mint_internal_token(principal, secret=INTERNAL_SECRET)
    assert verify_internal_token(token, secret=INTERNAL_SECRET).division == normal


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "sub": "user:1"}
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


@pytest.mark.parametrize("scope", MALFORMED_SCOPES, ids=repr)
@pytest.mark.parametrize("role", ["official", "platform"])
def test_a_token_with_a_malformed_scope_is_invalid(role: str, scope: Any) -> None:
    token = jwt.encode(claims(role=role, div=scope), INTERNAL_SECRET, ALGORITHM)
    with pytest.raises(Unauthorized) as caught:
        verify_internal_token(token, secret=INTERNAL_SECRET)
    assert caught.value.code == "token_invalid"
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_reason_is_said_in_english_and_chinese() -> None:
    token = jwt.encode(claims(role="official", div="14110"), INTERNAL_SECRET, ALGORITHM)
    with pytest.raises(Unauthorized) as caught:
        verify_internal_token(token, secret=INTERNAL_SECRET)
    assert caught.value.detail == (
        "The token is invalid: division scope '14110' is not a division code: give the 2, 4, "
        "6 or 9 significant digits (or the 12-digit code) of a province, prefecture, county "
        "or township, or 'nation'"
    )
    assert (
        caught.value.detail_zh == "令牌无效:管辖范围必须是省、市、县或乡级区划代码,或 nation(全国)"
    )
    token = jwt.encode(claims(role="official"), INTERNAL_SECRET, ALGORITHM)
    with pytest.raises(Unauthorized) as caught:
        verify_internal_token(token, secret=INTERNAL_SECRET)
    assert "role official needs division (or 'nation' for the whole country)" in (
        caught.value.detail
    )


@pytest.mark.parametrize("role", list(Role))
def test_each_role_carries_exactly_its_fields(role: Role) -> None:
    own = EXAMPLE_FIELDS[role]
    principal = Principal(subject="user:1", role=role, **own)
    token = mint_internal_token(principal, secret=INTERNAL_SECRET)
    assert verify_internal_token(token, secret=INTERNAL_SECRET) == principal
    for name in ROLE_FIELDS[role]:
        missing = {k: v for k, v in own.items() if k != name}
        with pytest.raises(ValidationError, match=f"role {role} needs {name}"):
            Principal(subject="user:1", role=role, **missing)
    for name, value in ALL_FIELDS.items():
        if name in ROLE_FIELDS[role]:
            continue
        with pytest.raises(ValidationError, match=f"role {role} carries no {name}"):
            Principal(subject="user:1", role=role, **own, **{name: value})
        claim = {"division": "div", "station": "stn", "carrier": "car", "organiser": "org"}
        forged = claims(role=role.value, **{claim[k]: v for k, v in {**own, name: value}.items()})
        with pytest.raises(Unauthorized):
            verify_internal_token(
                jwt.encode(forged, INTERNAL_SECRET, ALGORITHM), secret=INTERNAL_SECRET
            )


@pytest.mark.parametrize(
    ("role", "field", "value"),
    [
        (Role.OPERATOR, "station", "141124100201"),
        (Role.OPERATOR, "station", "141124100201-1"),
        (Role.OPERATOR, "station", "１41124100201-01"),
        (Role.OPERATOR, "station", "141124100201-01\n"),
        (Role.OPERATOR, "station", "001124100201-01"),
        (Role.CARRIER, "carrier", ""),
        (Role.CARRIER, "carrier", "ZTO"),
        (Role.CARRIER, "carrier", "中通"),
        (Role.ORGANISER, "organiser", "91110000802100433A"),  # wrong check character
        (Role.ORGANISER, "organiser", "91110000802100433b"),  # not the canonical form
        (Role.ORGANISER, "organiser", "9111000080210043"),
    ],
)
def test_station_carrier_and_organiser_must_be_well_formed(
    role: Role, field: str, value: str
) -> None:
    with pytest.raises(ValidationError):
        Principal(subject="user:1", role=role, **{field: value})


@pytest.mark.parametrize("subject", ["", "user:\x00", "a\nb", "x" * 201])
def test_a_subject_is_printable(subject: str) -> None:
    with pytest.raises(ValidationError):
        Principal(subject=subject, role=Role.ADMIN)


def test_minting_checks_again() -> None:
    # model_construct skips validation: the minting functions do not trust it.
    unchecked = Principal.model_construct(subject="user:1", role=Role.OFFICIAL, division="1")
    with pytest.raises(ValidationError):
        mint_internal_token(unchecked, secret=INTERNAL_SECRET)
    with pytest.raises(ValidationError):
        encode_principal(unchecked, secret="s" * 32, issuer="i", audience="a", ttl_seconds=60)


@pytest.mark.parametrize("role", [Role.SERVICE, Role.PUBLIC])
def test_no_user_token_for_services_or_the_public(role: Role) -> None:
    with pytest.raises(NotAUserRole):
        mint_user_token(Principal(subject="x", role=role), secret="s" * 32)


def test_who_covers_what() -> None:
    county = Principal(subject="u", role=Role.OFFICIAL, division="141124000000")
    assert county.covers("141124100201")
    assert not county.covers("141102100200")
    nation = Principal(subject="u", role=Role.PLATFORM, division=NATION)
    assert nation.covers("532801000000")
    assert nation.national
    assert not county.national
    assert Principal(subject="u", role=Role.ADMIN).covers("532801000000")
    for role in (Role.OPERATOR, Role.CARRIER, Role.ORGANISER, Role.PUBLIC):
        principal = Principal(subject="u", role=role, **EXAMPLE_FIELDS[role])
        assert not principal.covers("141124100201"), role
        assert not principal.national


# --- test helpers mint tokens when used ---------------------------------------------------


def test_test_headers_mint_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    headers = internal_headers(Role.ADMIN)
    later = time.time() + 3 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    token = headers["Authorization"].removeprefix("Bearer ")
    issued = jwt.decode(token, options={"verify_signature": False})["iat"]
    assert issued == int(later)
    monkeypatch.setattr(time, "time", lambda: later + 60)
    token = {**headers, "If-Match": '"1"'}["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, options={"verify_signature": False})["iat"] == int(later + 60)


_MINTERS = {"mint_internal_token", "mint_user_token", "encode_principal", "encode"}


def _minted_at_import(tree: ast.Module) -> list[int]:
    """Lines where a module's top level (decorators and defaults included) makes a token."""
    found: list[int] = []

    def visit(node: ast.AST, inside: bool) -> None:
        if isinstance(node, ast.Call) and not inside:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _MINTERS:
                found.append(node.lineno)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for outer in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
                if outer is not None:
                    visit(outer, inside)
            for statement in node.body:
                visit(statement, True)
            return
        if isinstance(node, ast.Lambda):
            visit(node.body, True)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return found


def test_no_test_mints_a_token_at_import() -> None:
    """A token made at collection expires while a long suite runs (60 s internal tokens):
    make it in the test, in a lambda, or with ``internal_headers`` (minted when sent)."""
    offenders = []
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        lines = _minted_at_import(ast.parse(path.read_text(), filename=str(path)))
        offenders += [f"{path.name}:{line}" for line in lines]
    assert offenders == []


def test_the_import_check_sees_what_it_must() -> None:
    source = (
        "import jwt\nTOKEN = jwt.encode({}, 's')\n"
        "@pytest.mark.parametrize('t', [mint_user_token(p, secret='s')])\n"
        "def test(t, when=mint_internal_token(p, secret='s')):\n    mint_internal_token(p)\n"
        "LAZY = lambda: mint_user_token(p, secret='s')\n"
    )
    assert _minted_at_import(ast.parse(source)) == [2, 3, 4]


async def test_anonymous_writes_are_401_with_www_authenticate(
    stations: httpx.AsyncClient,
) -> None:
    public = internal_headers(Role.PUBLIC, subject="anonymous")
    r = await stations.post("/v1/stations", json={}, headers=public | {"Accept-Language": "zh"})
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["code"] == "authentication_required"
    assert r.json()["detail"] == "请先登录再修改数据"
