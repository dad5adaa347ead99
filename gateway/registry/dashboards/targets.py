"""The targets each division is measured against, from the programme service (ADR 0041).

A county: the target sets it adopted (presets included). A prefecture or province: the sets
whose region is it or holds it — a province's own policy, and for a prefecture the
province's as well as its own (ADR 0071). Townships have none.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from common.identifiers import DivisionLevel, division_prefix
from common.pagination import MAX_PAGE_SIZE
from gateway.registry.caller import Caller
from gateway.registry.schemas import PartError
from gateway.registry.upstream import PartFailed, Upstream

# An official's sets are few; this bounds the pages read whatever programme holds.
MAX_SET_PAGES = 20


@dataclass(frozen=True)
class Division:
    code: str  # 12 digits
    name: str
    level: DivisionLevel

    @property
    def prefix(self) -> str:
        return division_prefix(self.code)


async def applicable_sets(
    upstream: Upstream, caller: Caller, divisions: list[Division], *, limit: asyncio.Semaphore
) -> tuple[dict[str, list[dict[str, Any]]], list[PartError]]:
    """Target sets (with their targets) by division code, and what could not be read."""
    found: dict[str, list[dict[str, Any]]] = {d.code: [] for d in divisions}
    errors: list[PartError] = []

    async def adopted(division: Division) -> None:
        try:
            async with limit:
                body = await upstream.get(
                    caller,
                    "programme",
                    f"/v1/counties/{division.code}/targets",
                    part=f"{division.prefix} targets",
                )
        except PartFailed as e:
            errors.append(e.error)
            return
        found[division.code] = [a["target_set"] for a in body["adoptions"]]

    above = [d for d in divisions if d.level in (DivisionLevel.PROVINCE, DivisionLevel.PREFECTURE)]
    counties = [d for d in divisions if d.level is DivisionLevel.COUNTY]
    tasks = [adopted(d) for d in counties]
    if above:
        tasks.append(_regional(upstream, caller, above, found, errors))
    await asyncio.gather(*tasks)
    return found, errors


async def _regional(
    upstream: Upstream,
    caller: Caller,
    divisions: list[Division],
    found: dict[str, list[dict[str, Any]]],
    errors: list[PartError],
) -> None:
    """Every set of the divisions' province, kept for each division its region holds."""
    for province in sorted({d.code[:2] for d in divisions}):
        params: dict[str, Any] = {"under": province, "limit": MAX_PAGE_SIZE}
        for _ in range(MAX_SET_PAGES):
            try:
                page = await upstream.get(
                    caller, "programme", "/v1/target-sets", params, part=f"{province} targets"
                )
            except PartFailed as e:
                errors.append(e.error)
                break
            for target_set in page["items"]:
                region = division_prefix(target_set["region_code"].ljust(12, "0"))
                for division in divisions:
                    if division.code[:2] == province and division.prefix.startswith(region):
                        found[division.code].append(target_set)
            if not page.get("next"):
                break
            params = {**params, "cursor": httpx.URL(page["next"]).params["cursor"]}
