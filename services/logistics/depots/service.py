"""Rules of depots (物流配送中心 / 网点; docs/adr/0021-logistics-coverage-and-volumes.md).

- A depot is sent whole under its code: new is ``created``, the same again ``unchanged``,
  anything different ``updated`` (version + 1; everything not sent is cleared).
- Its kind sits on a division of its level: a county distribution centre on the county, a
  township hub on a township, a village pickup point on a village committee; a station it is
  inside is at that very division.
- Its location (``crs`` required with it) lies in its county as the stations registry
  checks a station's (``common.placement``), against logistics' reference copy of the
  boundaries: a point inside another county's boundary is refused (``in_other_county``,
  naming the coordinate system that would fit) unless ``confirm_location``.
- It is run by a carrier or a company; the carriers working out of it (the operator among
  them) are its carriers, two or more being shared delivery (共同配送).
- A carrier writes only depots it runs; officials write depots inside their division.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.errors import NotFound, Problem, Unprocessable
from common.identifiers import DivisionClass, DivisionLevel, county_code
from common.placement import SentPoint, placement_problems
from common.reference import DivisionRef, DivisionRule, division_problem, divisions_by_code
from services.logistics import authz
from services.logistics.carriers.service import CarrierResolver, ResolvedCarrier
from services.logistics.coverage.repository import station_points
from services.logistics.depots import repository
from services.logistics.depots.models import DepotKind, DepotStatus
from services.logistics.depots.schemas import DepotIn, DepotOut, Outcome, PointOut
from services.logistics.reference.models import LogisticsCountyBoundary, LogisticsDivision

TOPIC = "depot"
COORDINATE_DECIMALS = 7  # about 1 cm
KIND_RULES = {
    DepotKind.COUNTY_CENTRE: DivisionRule(
        levels=[DivisionLevel.COUNTY], what="a county centre", what_zh="县级物流配送中心"
    ),
    DepotKind.TOWNSHIP_HUB: DivisionRule(
        levels=[DivisionLevel.TOWNSHIP], what="a township hub", what_zh="乡镇快递网点"
    ),
    DepotKind.VILLAGE_PICKUP: DivisionRule(
        levels=[DivisionLevel.VILLAGE],
        classes=[DivisionClass.VILLAGE_COMMITTEE],
        what="a village pickup point",
        what_zh="村级取件点",
    ),
}


@dataclass
class Submission:
    row: int
    line: int | None
    depot: DepotIn


@dataclass
class SubmissionResult:
    row: int
    line: int | None
    code: str
    outcome: Outcome
    version: int | None = None
    problem: Problem | None = None
    state: tuple[Any, ...] | None = None
    carrier_ids: tuple[int, ...] = ()


def _resolve_all(
    resolver: CarrierResolver, item: DepotIn
) -> tuple[ResolvedCarrier | None, list[ResolvedCarrier]] | Problem:
    operator = None
    if item.operator_carrier is not None:
        found = resolver.resolve(item.operator_carrier, field="operator_carrier")
        if isinstance(found, Problem):
            return found
        operator = found
    carriers = {operator.id: operator} if operator else {}
    for index, name in enumerate(item.carriers):
        found = resolver.resolve(name, field=f"carriers[{index}]")
        if isinstance(found, Problem):
            return found
        carriers[found.id] = found
    if operator is None and item.operator_name is None:
        return Unprocessable(
            "say who runs the depot: operator_carrier, or operator_name (a company)",
            detail_zh="请填写运营方:快递公司(operator_carrier)或运营企业名称(operator_name)",
            code="operator_required",
            field="operator_name",
        )
    return operator, sorted(carriers.values(), key=lambda c: c.id)


def _place_problem(
    item: DepotIn, division: DivisionRef | None, points: dict[str, str]
) -> Problem | None:
    problem = division_problem(item.division_code, division, KIND_RULES[item.kind])
    if problem is not None or item.station_code is None:
        return problem
    if item.station_code[:12] != item.division_code:
        return Unprocessable(
            f"station {item.station_code} is not at {item.division_code}",
            detail_zh=f"站点 {item.station_code} 不在 {item.division_code}",
            code="station_elsewhere",
            field="station_code",
        )
    if item.station_code not in points:
        return Unprocessable(
            f"no station point {item.station_code}",
            detail_zh=f"没有站点 {item.station_code}",
            code="unknown_station",
            field="station_code",
        )
    return None


def _write_problem(
    principal: Principal,
    item: DepotIn,
    operator: ResolvedCarrier | None,
    stored: Any,
) -> Problem | None:
    if principal.role is Role.CARRIER:
        if stored is not None and stored["operator_carrier"] != principal.carrier:
            return authz.not_your_carrier(principal, stored["operator_carrier"] or "a company's")
        if operator is None or operator.code != principal.carrier:
            problem = authz.not_your_carrier(
                principal, operator.code if operator else "a company's"
            )
            problem.field = "operator_carrier"
            return problem
        return None
    for division in (item.division_code, stored["division_code"] if stored else None):
        if division is None:
            continue
        problem = authz.row_write_problem(principal, "", division, place_field="division_code")
        if problem is not None:
            return problem
    return None


def _state(
    item: DepotIn, lon: float | None, lat: float | None, operator: ResolvedCarrier | None
) -> tuple[Any, ...]:
    """What is stored of a depot, in ``repository.STATE_COLUMNS`` order."""
    return (
        str(item.kind), item.name, item.division_code, item.station_code,
        None if lon is None else round(lon, COORDINATE_DECIMALS),
        None if lat is None else round(lat, COORDINATE_DECIMALS),
        item.address, item.area_m2, item.parcels_per_day, operator.id if operator else None,
        item.operator_name, item.operator_credit_code, str(item.status),
    )  # fmt: skip


def _stored_state(row: Any) -> tuple[Any, ...]:
    lon, lat = row["lon"], row["lat"]
    return (
        row["kind"], row["name"], row["division_code"], row["station_code"],
        None if lon is None else round(lon, COORDINATE_DECIMALS),
        None if lat is None else round(lat, COORDINATE_DECIMALS),
        row["address"], row["area_m2"], row["parcels_per_day"], row["operator_carrier_id"],
        row["operator_name"], row["operator_credit_code"], row["status"],
    )  # fmt: skip


async def submit(
    session: AsyncSession,
    principal: Principal,
    submissions: Sequence[Submission],
    *,
    dry_run: bool = False,
) -> list[SubmissionResult]:
    authz.require_writer(principal, "record depots", "登记物流网点")
    resolver = await CarrierResolver.load(session)
    stored = await repository.by_codes(
        session, [s.depot.code for s in submissions], lock=not dry_run
    )
    divisions = await divisions_by_code(
        session, LogisticsDivision, [s.depot.division_code for s in submissions]
    )
    points = await station_points(
        session, [s.depot.station_code for s in submissions if s.depot.station_code]
    )

    results: list[SubmissionResult] = []
    located: list[tuple[SubmissionResult, SentPoint]] = []
    seen: dict[str, int] = {}
    for s in submissions:
        item = s.depot
        result = SubmissionResult(s.row, s.line, item.code, "rejected")
        results.append(result)
        if item.code in seen:
            result.problem = Unprocessable(
                f"row {seen[item.code]} already sends depot {item.code}",
                detail_zh=f"与第 {seen[item.code]} 行重复",
                code="duplicate_row",
                field="code",
                first_row=seen[item.code],
            )
            continue
        seen[item.code] = s.row
        resolved = _resolve_all(resolver, item)
        if isinstance(resolved, Problem):
            result.problem = resolved
            continue
        operator, carriers = resolved
        previous = stored.get(item.code)
        result.problem = _write_problem(principal, item, operator, previous) or _place_problem(
            item, divisions.get(item.division_code), points
        )
        if result.problem is not None:
            continue
        lon = lat = None
        if item.location is not None:
            assert item.crs is not None
            point = SentPoint(
                county_code(item.division_code),
                item.location.lon,
                item.location.lat,
                item.crs,
                item.confirm_location,
            )
            located.append((result, point))
            lon, lat = point.wgs84()
        result.state = _state(item, lon, lat, operator)
        result.carrier_ids = tuple(c.id for c in carriers)

    await _check_counties(session, located)
    for result in results:
        if result.problem is not None or result.state is None:
            continue
        previous = stored.get(result.code)
        if previous is None:
            result.outcome, result.version = "created", 1
        elif (
            _stored_state(previous) == result.state
            and tuple(previous["carrier_ids"]) == result.carrier_ids
        ):
            result.outcome, result.version = "unchanged", previous["version"]
        else:
            result.outcome, result.version = "updated", previous["version"] + 1
    if not dry_run:
        await _write(session, principal, results, stored)
    return results


async def _check_counties(
    session: AsyncSession, located: Sequence[tuple[SubmissionResult, SentPoint]]
) -> None:
    """Every located depot held to the stations registry's rule (``common.placement``)."""
    problems = await placement_problems(
        session,
        [point for _, point in located],
        boundaries=LogisticsCountyBoundary,
        divisions=LogisticsDivision,
        what="depot",
        what_zh="物流网点",
    )
    for (result, _), problem in zip(located, problems, strict=True):
        if problem is not None:
            result.problem, result.state = problem, None


async def _write(
    session: AsyncSession,
    principal: Principal,
    results: Sequence[SubmissionResult],
    stored: dict[str, Any],
) -> None:
    new = [r for r in results if r.outcome == "created"]
    changed = [r for r in results if r.outcome == "updated"]
    if not new and not changed:
        return
    now = await repository.transaction_now(session)
    ids = await repository.new_ids(session, len(new))
    await repository.insert(
        session, ids, [r.code for r in new], [r.state for r in new], principal.subject, now
    )  # type: ignore[misc]
    changed_ids = [stored[r.code]["id"] for r in changed]
    await repository.replace(
        session, changed_ids, [r.state for r in changed], principal.subject, now
    )  # type: ignore[misc]
    await repository.set_carriers(
        session, [*ids, *changed_ids], [r.carrier_ids for r in (*new, *changed)]
    )
    await repository.record_events(
        session,
        [r.code for r in (*changed, *new)],
        ["updated"] * len(changed) + ["created"] * len(new),
    )


# --- reading ---------------------------------------------------------------------------------


def depot_out(row: Any) -> DepotOut:
    location = None if row["lon"] is None else PointOut(lon=row["lon"], lat=row["lat"])
    return DepotOut(
        code=row["code"],
        kind=DepotKind(row["kind"]),
        name=row["name"],
        division_code=row["division_code"],
        station_code=row["station_code"],
        location=location,
        address=row["address"],
        area_m2=row["area_m2"],
        parcels_per_day=row["parcels_per_day"],
        operator_carrier=row["operator_carrier"],
        operator_name=row["operator_name"],
        operator_credit_code=row["operator_credit_code"],
        carriers=list(row["carriers"]),
        shared=len(row["carriers"]) >= 2,
        status=DepotStatus(row["status"]),
        version=row["version"],
        updated_by=row["updated_by"],
        updated_at=row["updated_at"],
    )


def sees(principal: Principal, row: Any) -> bool:
    """Carriers see the depots they run or work out of; others as ``authz.sees``."""
    if principal.role is Role.CARRIER:
        return principal.carrier == row["operator_carrier"] or principal.carrier in row["carriers"]
    return authz.sees(principal, "", row["division_code"])


def depot_not_found(code: str) -> NotFound:
    return NotFound(
        f"no depot {code}",
        detail_zh=f"没有物流网点 {code}",
        code="depot_not_found",
        field="code",
        location="path",
    )


async def get_depot(session: AsyncSession, principal: Principal, code: str) -> DepotOut:
    row = (await repository.by_codes(session, [code], lock=False)).get(code)
    if row is None or not sees(principal, row):
        raise depot_not_found(code)
    return depot_out(row)


async def submit_one(
    session: AsyncSession, principal: Principal, item: DepotIn
) -> tuple[Outcome, DepotOut]:
    [result] = await submit(session, principal, [Submission(1, None, item)])
    if result.problem is not None:
        raise result.problem
    return result.outcome, await get_depot(session, principal, item.code)
