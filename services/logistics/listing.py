"""What a list shows its caller: the carrier and division filters it asked for, narrowed to
what the caller may see (``authz.reading_scope``)."""

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import Problem, Unprocessable
from common.identifiers import InvalidDivisionCode, division_prefix
from services.logistics import authz
from services.logistics.carriers.service import CarrierResolver


async def visible(
    session: AsyncSession, principal: Principal, *, carrier: str | None, division: str | None
) -> tuple[int | None, str] | None:
    """(carrier id or None for all, division prefix) of the rows to list; None when the
    caller may see none of what it asked for (a carrier asking for another's rows)."""
    own, scope = authz.reading_scope(principal)
    names = [name for name in (own, carrier) if name is not None]
    if not names:
        # Every carrier: no name to resolve, no read of the carriers' table (a station's
        # record asks this once per record).
        return None, narrowest(scope, division)
    resolver = await CarrierResolver.load(session)
    carrier_id = None
    for name in names:
        found = resolver.resolve(name, field="carrier")
        if isinstance(found, Problem):
            found.errors = [{**e, "location": "query"} for e in found.errors]
            raise found
        if carrier_id is not None and carrier_id != found.id:
            return None
        carrier_id = found.id
    return carrier_id, narrowest(scope, division)


def significant_digits(division: str) -> str:
    """A division query as the prefix of the codes under it: ``141102000000`` is ``141102``;
    a shorter prefix (``1411``) is taken as it is."""
    if len(division) != 12:
        return division
    try:
        return division_prefix(division)
    except InvalidDivisionCode as e:
        raise Unprocessable(
            str(e),
            detail_zh=f"{division} 不是有效的统计用区划代码",
            code="invalid_division_code",
            field="division",
            location="query",
        ) from e


def narrowest(scope: str, division: str | None) -> str:
    """The prefix a list covers: the caller's scope, narrowed by the division asked for;
    a division outside the scope shows nothing (it is not the caller's)."""
    if division is None:
        return scope
    division = significant_digits(division)
    if division.startswith(scope):
        return division
    if scope.startswith(division):
        return scope
    return "\x00"  # matches no code
