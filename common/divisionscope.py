"""Where an indicator counts: a division's code range, or the whole nation.

A division's codes are a range of the 12-digit code, ``BETWEEN '<prefix>000…' AND
'<prefix>999…'``, which a C-collated code index answers as a range scan. The nation has
statements of its own without that predicate (``variants``), so a cached generic plan made
for counties is never used for the whole country, nor the reverse.
"""

from dataclasses import dataclass

from sqlalchemy import TextClause, text

from common.errors import Unprocessable
from common.identifiers import (
    InvalidDivisionCode,
    division_level,
    division_prefix,
    normalize_division_code,
)


@dataclass(frozen=True)
class Scope:
    """A division's code range, or the whole nation (``prefix`` None)."""

    prefix: str | None

    @property
    def nation(self) -> bool:
        return self.prefix is None

    @property
    def code(self) -> str | None:
        """The division's own code: its prefix padded with zeros (the range's low end)."""
        return None if self.prefix is None else self.prefix.ljust(12, "0")

    def params(self) -> dict[str, str]:
        if self.prefix is None:
            return {}
        return {"lo": self.prefix.ljust(12, "0"), "hi": self.prefix.ljust(12, "9")}


def division_scope(raw: str | None) -> Scope:
    """The code range of a division given by its 12-digit code or its significant prefix
    (``1411``); the nation when absent. 422 ``invalid_division`` for a malformed code. Does
    not look the division up."""
    if raw is None or not raw.strip():
        return Scope(None)
    try:
        code = normalize_division_code(raw)
        division_level(code)
    except InvalidDivisionCode as e:
        raise Unprocessable(
            f"division: {e}; give a code or its prefix, like 1411 or 141124",
            detail_zh="division 应为统计用区划代码或其前缀,例如 1411、141124",
            code="invalid_division",
            field="division",
            location="query",
        ) from e
    return Scope(division_prefix(code))


def variants(
    template: str, scoped: dict[str, str], nation: dict[str, str]
) -> dict[bool, TextClause]:
    """The statement for a scoped division (False) and for the nation (True): ``template``'s
    placeholders filled from ``scoped`` or ``nation``."""
    return {False: text(template.format(**scoped)), True: text(template.format(**nation))}
