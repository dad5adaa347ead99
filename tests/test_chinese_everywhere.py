"""Item 18 of the hardening issue, for every app at once: each message our own code writes
for a client has its Chinese beside it, so ``Accept-Language: zh`` never falls back to
English or to the bare "取值无效". The source is read rather than run, so a check added
tomorrow in any service is held to it the day it lands; the generated requests
(``tests/gateway/test_fuzz.py``) check the answers themselves."""

import ast
from pathlib import Path

import pytest

from common import errors

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    path for folder in ("common", "services", "gateway") for path in (ROOT / folder).rglob("*.py")
)
# Where the pydantic error is built from both languages, and the token claims' own checks
# (their message reaches a client only inside a 401 that says it in Chinese itself).
OWN_ERROR_FACTORIES = {"common/errors.py", "common/auth.py"}


def _trees() -> dict[str, ast.Module]:
    return {str(p.relative_to(ROOT)): ast.parse(p.read_text(), filename=str(p)) for p in SOURCES}


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _problem_classes(trees: dict[str, ast.Module]) -> set[str]:
    """``Problem`` and every subclass of it in the code, however deep."""
    names = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.Problem)
    }
    grown = True
    while grown:
        grown = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    }
                    if bases & names:
                        names.add(node.name)
                        grown = True
    return names


def _written_here(node: ast.expr) -> bool:
    """A message written at the call (a literal or an f-string), not one passed through
    (a service's problem relayed in the language the caller asked it in)."""
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _untranslated(trees: dict[str, ast.Module]) -> list[str]:
    problems = _problem_classes(trees) | {"field_problem"}
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node)
            keywords = {k.arg for k in node.keywords}
            if None in keywords:  # **kwargs: whatever they hold
                continue
            if name in problems:
                detail = node.args[2 if name == "field_problem" else 0 :]
                if detail and _written_here(detail[0]) and "detail_zh" not in keywords:
                    found.append(f"{path}:{node.lineno} {name}(…) without detail_zh")
            elif name == "PydanticCustomError" and path not in OWN_ERROR_FACTORIES:
                found.append(f"{path}:{node.lineno} PydanticCustomError: use common.errors.invalid")
            elif name in ("invalid", "InvalidValue"):
                given = len(node.args) + len(node.keywords)
                if given < 3 and not any(isinstance(a, ast.Starred) for a in node.args):
                    found.append(f"{path}:{node.lineno} {name}(…) without its Chinese message")
    return found


def test_every_message_written_for_a_client_has_its_chinese() -> None:
    assert _untranslated(_trees()) == []


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('raise NotFound("no such station", code="unknown_station")', True),
        ('raise NotFound(f"no {code}", detail_zh=f"没有 {code}")', False),
        ("raise Forbidden(error.detail, code=error.code)", False),
        ('field_problem("phone", "invalid_phone", "not a mobile number")', True),
        ('field_problem("phone", "invalid_phone", "not a mobile", detail_zh="不是手机号")', False),
        ('raise PydanticCustomError("invalid_code", "not a code")', True),
        ('raise invalid("invalid_code", "not a code")', True),
        ('raise invalid("invalid_code", *messages(value))', False),
        ("class Gone(NotFound):\n    pass\nraise Gone('gone')", True),
    ],
)
def test_the_check_sees_what_it_must(source: str, flagged: bool) -> None:
    assert bool(_untranslated({"services/example.py": ast.parse(source)})) is flagged


def _chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_every_status_the_handlers_name_has_a_chinese_title() -> None:
    for status, (_, _, title_zh) in errors._HTTP_CODES.items():
        assert _chinese(title_zh), status
    for name, value in vars(errors).items():
        if isinstance(value, type) and issubclass(value, errors.Problem):
            assert _chinese(value.title_zh), name
