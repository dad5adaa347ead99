"""Rules of courier coverage (see docs/adr/0021-logistics-coverage-and-volumes.md).

- A period is one carrier serving one township (镇, 乡, township-like; not 街道) or one
  village committee, optionally at its village point, with a mode and weekly frequencies
  (0–14), from ``valid_from`` (default today, China time) to ``valid_to`` (inclusive).
- Periods of one carrier and place never overlap. Sending a row compares it with the
  latest period it touches: the same service again is ``unchanged`` (or, with another end
  date, ends or extends that period: ``updated``); a different service from a later day
  closes that period the day before and opens a new one; from the same first day it
  supersedes it (a correction, kept in the history). A row reaching into an earlier,
  closed period is refused (``overlapping_validity``): uploads do not rewrite history.
- Source follows the writer: a carrier's rows are ``carrier_upload``, officials' and
  admins' ``official_survey``. Carriers write only their own rows (``not_your_carrier``),
  officials only inside their division (``outside_scope``).
The single endpoint and each row of an upload go through the same code.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.errors import Conflict, NotFound, Problem, Unprocessable
from common.identifiers import DivisionClass, DivisionLevel
from common.months import china_today
from common.pagination import PageParams
from common.reference import DivisionRef, DivisionRule, division_problem
from services.logistics import authz, listing
from services.logistics.carriers.service import CarrierResolver, ResolvedCarrier
from services.logistics.coverage import repository
from services.logistics.coverage.models import Coverage, CoverageMode, CoverageSource
from services.logistics.coverage.repository import CoverageFilter
from services.logistics.coverage.schemas import (
    CoverageIn,
    CoverageOut,
    Outcome,
)

TOPIC = "coverage"
PLACE_RULE = DivisionRule(
    levels=[DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE], what="coverage", what_zh="覆盖记录"
)
# Coverage targets count townships that are not 街道 (urban sub-districts) and village
# committees (村委会, NBS sequence 200–399): the rural places the programme is about.
CLASS_RULES = {
    DivisionLevel.TOWNSHIP: DivisionRule(
        levels=[DivisionLevel.TOWNSHIP],
        classes=[DivisionClass.TOWN, DivisionClass.TOWNSHIP, DivisionClass.TOWNSHIP_LIKE],
        what="coverage",
        what_zh="乡镇覆盖记录",
    ),
    DivisionLevel.VILLAGE: DivisionRule(
        levels=[DivisionLevel.VILLAGE],
        classes=[DivisionClass.VILLAGE_COMMITTEE],
        what="coverage",
        what_zh="村级覆盖记录",
    ),
}
_FOREVER = date.max


def source_of(principal: Principal) -> CoverageSource:
    if principal.role is Role.CARRIER:
        return CoverageSource.CARRIER_UPLOAD
    return CoverageSource.OFFICIAL_SURVEY


@dataclass
class Period:
    """A period of one carrier at one place as it will be after this request."""

    id: int | None
    carrier_id: int
    division_code: str
    station_code: str | None
    mode: str
    pickups: int
    deliveries: int
    valid_from: date
    valid_to: date | None
    stored_valid_to: date | None = None  # what the database holds, for stored periods
    superseded: bool = False
    row: int | None = None  # the row of this request that made it (new periods)

    @property
    def new(self) -> bool:
        return self.row is not None

    def same_service(self, other: CoverageIn) -> bool:
        return (
            self.station_code == other.station_code
            and self.mode == str(other.mode)
            and self.pickups == other.pickups_per_week
            and self.deliveries == other.deliveries_per_week
        )

    def overlaps(self, start: date, end: date | None) -> bool:
        return self.valid_from <= (end or _FOREVER) and start <= (self.valid_to or _FOREVER)


@dataclass
class Submission:
    row: int
    line: int | None
    coverage: CoverageIn


@dataclass
class SubmissionResult:
    row: int
    line: int | None
    carrier: str | None
    division_code: str | None
    outcome: Outcome
    period: Period | None = None
    problem: Problem | None = None
    settled_id: int | None = None  # the period an unchanged row left as it is

    @property
    def coverage_id(self) -> int | None:
        """The period the row created or left current (None on a dry run's new ones)."""
        return self.period.id if self.period is not None else self.settled_id


@dataclass
class _Plan:
    """What a request writes: new periods, stored periods whose end moved, corrections."""

    inserts: list[Period] = field(default_factory=list)
    closed: dict[int, Period] = field(default_factory=dict)
    superseded: dict[int, Period] = field(default_factory=dict)


def _overlap_problem(period: Period, start: date) -> Unprocessable:
    until = period.valid_to.isoformat() if period.valid_to else "open"
    return Unprocessable(
        f"the period from {start} overlaps this carrier's earlier period "
        f"{period.valid_from}–{until} here, which a later one follows; periods of the past "
        "are not rewritten",
        detail_zh=f"自 {start} 起的覆盖期与该快递公司在此地已有的 {period.valid_from} 至 "
        f"{until} 的覆盖期重叠,历史覆盖期不能改写",
        code="overlapping_validity",
        field="valid_from",
        conflicting_period={
            "id": period.id,
            "valid_from": str(period.valid_from),
            "valid_to": period.valid_to and str(period.valid_to),
        },
    )


def _apply(
    periods: list[Period], row: int, item: CoverageIn, carrier_id: int, plan: _Plan
) -> tuple[Outcome, Period] | Problem:
    """Judge one row against the periods of its carrier and place (in memory, in order of
    the request's rows) and plan its writes."""
    start = item.valid_from
    assert start is not None
    if not periods:  # the usual case of a first upload
        return "created", _open(periods, row, item, carrier_id, plan)
    clashing = [p for p in periods if not p.superseded and p.overlaps(start, item.valid_to)]
    latest = next((p for p in reversed(periods) if not p.superseded), None)
    if not clashing:
        return "created", _open(periods, row, item, carrier_id, plan)
    if clashing != [latest] or latest is None or start < latest.valid_from:
        return _overlap_problem(clashing[0], start)
    if latest.same_service(item):
        if item.valid_to == latest.valid_to:
            return "unchanged", latest
        latest.valid_to = item.valid_to
        if not latest.new:
            plan.closed[latest.id] = latest  # type: ignore[index]
        return "updated", latest
    if start > latest.valid_from:
        latest.valid_to = start - timedelta(days=1)
        if not latest.new:
            plan.closed[latest.id] = latest  # type: ignore[index]
    else:
        latest.superseded = True
        if not latest.new:
            plan.superseded[latest.id] = latest  # type: ignore[index]
    return "updated", _open(periods, row, item, carrier_id, plan)


def _open(
    periods: list[Period], row: int, item: CoverageIn, carrier_id: int, plan: _Plan
) -> Period:
    assert item.valid_from is not None
    period = Period(
        id=None,
        carrier_id=carrier_id,
        division_code=item.division_code,
        station_code=item.station_code,
        mode=str(item.mode),
        pickups=item.pickups_per_week,
        deliveries=item.deliveries_per_week,
        valid_from=item.valid_from,
        valid_to=item.valid_to,
        row=row,
    )
    periods.append(period)
    if len(periods) > 1:  # most places of an upload have no period before this one
        periods.sort(key=lambda p: p.valid_from)
    plan.inserts.append(period)
    return period


def _place_problem(
    item: CoverageIn, division: DivisionRef | None, points: dict[str, str]
) -> Problem | None:
    problem = division_problem(item.division_code, division, PLACE_RULE)
    if problem is not None or division is None:
        return problem
    level = DivisionLevel(division.level)
    problem = division_problem(item.division_code, division, CLASS_RULES[level])
    if problem is not None or item.station_code is None:
        return problem
    station = item.station_code
    if station[:12] != item.division_code:
        return Unprocessable(
            f"station {station} is not in {item.division_code} ({division.name})",
            detail_zh=f"站点 {station} 不在 {item.division_code}({division.name})",
            code="station_elsewhere",
            field="station_code",
        )
    status = points.get(station)
    if status is None:
        return Unprocessable(
            f"no station point {station} (registered in the last minute? it reaches logistics "
            "from the stations feed within seconds)",
            detail_zh=f"没有站点 {station}(若刚登记,数秒后会同步到物流服务)",
            code="unknown_station",
            field="station_code",
        )
    if status == "closed":
        return Conflict(
            f"station {station} is closed",
            detail_zh=f"站点 {station} 已关闭",
            code="station_closed",
            field="station_code",
        )
    return None


def _sent(item: CoverageIn | None) -> repository.Sent | None:
    if item is None:
        return None
    assert item.valid_from is not None
    return repository.Sent(
        item.station_code,
        str(item.mode),
        item.pickups_per_week,
        item.deliveries_per_week,
        item.valid_from,
        item.valid_to,
    )


def _period_problem(item: CoverageIn) -> Problem | None:
    assert item.valid_from is not None
    if item.valid_to is not None and item.valid_to < item.valid_from:
        return Unprocessable(
            f"valid_to ({item.valid_to}) is before valid_from ({item.valid_from})",
            detail_zh=f"截止日期 {item.valid_to} 早于起始日期 {item.valid_from}",
            code="valid_to_before_valid_from",
            field="valid_to",
        )
    return None


async def submit(
    session: AsyncSession,
    principal: Principal,
    submissions: Sequence[Submission],
    *,
    dry_run: bool = False,
) -> list[SubmissionResult]:
    """Judge each row on its own and, unless ``dry_run``, write those that pass."""
    authz.require_writer(principal, "record coverage", "提交覆盖数据")
    today = china_today()
    resolver = await CarrierResolver.load(session)
    resolved: list[ResolvedCarrier | Problem] = []
    for s in submissions:
        if s.coverage.valid_from is None:
            s.coverage.valid_from = today
        resolved.append(resolver.resolve(s.coverage.carrier))
    carriers = sorted({r.id for r in resolved if isinstance(r, ResolvedCarrier)})
    if carriers and not dry_run:
        await repository.lock_carriers(session, carriers)
    points = await repository.station_points(
        session, [s.coverage.station_code for s in submissions if s.coverage.station_code]
    )
    # Each (carrier, place) once, with the row that names it when only one does.
    named: dict[tuple[int, str], CoverageIn | None] = {}
    for s, r in zip(submissions, resolved, strict=True):
        if isinstance(r, ResolvedCarrier):
            key = (r.id, s.coverage.division_code)
            named[key] = None if key in named else s.coverage
    keys = list(named)
    # Only the codes the place rules refuse come back, and those a station is checked in;
    # only the places with periods, and of those only the ids of the ones a lone row
    # leaves as they are.
    divisions: dict[str, DivisionRef | None] = {}
    settled: dict[tuple[int, str], int] = {}
    unsettled: list[tuple[int, str]] = []
    for rec in await repository.places(
        session,
        keys,
        [_sent(c) for c in named.values()],
        CLASS_RULES.values(),
        wanted=[s.coverage.division_code for s in submissions if s.coverage.station_code],
    ):
        key = keys[rec["n"] - 1]
        if rec["judged"]:
            divisions[key[1]] = (
                None if rec["code"] is None else DivisionRef(*(rec[f] for f in DivisionRef._fields))
            )
        if rec["settled"] is not None:
            settled[key] = rec["settled"]
        elif rec["periods"]:
            unsettled.append(key)
    history: dict[tuple[int, str], list[Period]] = defaultdict(list)
    for rec in await repository.periods_of(session, unsettled):
        history[(rec["carrier_id"], rec["division_code"])].append(
            Period(
                id=rec["id"],
                carrier_id=rec["carrier_id"],
                division_code=rec["division_code"],
                station_code=rec["station_code"],
                mode=rec["mode"],
                pickups=rec["pickups_per_week"],
                deliveries=rec["deliveries_per_week"],
                valid_from=rec["valid_from"],
                valid_to=rec["valid_to"],
                stored_valid_to=rec["valid_to"],
            )
        )

    plan = _Plan()
    results: list[SubmissionResult] = []
    for s, carrier in zip(submissions, resolved, strict=True):
        item = s.coverage
        result = SubmissionResult(s.row, s.line, item.carrier, item.division_code, "rejected")
        results.append(result)
        if not isinstance(carrier, ResolvedCarrier):
            result.problem = carrier
            continue
        result.carrier = carrier.code
        result.problem = (
            authz.row_write_problem(
                principal, carrier.code, item.division_code, place_field="division_code"
            )
            or _period_problem(item)
            or (
                _place_problem(item, divisions.get(item.division_code), points)
                if item.division_code in divisions or item.station_code is not None
                else None
            )
        )
        if result.problem is not None:
            continue
        key = (carrier.id, item.division_code)
        if key in settled:  # the one row of its place, judged unchanged by the query
            result.outcome, result.settled_id = "unchanged", settled[key]
            continue
        judged = _apply(history[key], s.row, item, carrier.id, plan)
        if isinstance(judged, Problem):
            result.problem = judged
        else:
            result.outcome, result.period = judged
    if not dry_run:
        codes = {r.id: r.code for r in resolved if isinstance(r, ResolvedCarrier)}
        await _write(session, principal, plan, codes)
    return results


async def _write(
    session: AsyncSession, principal: Principal, plan: _Plan, carriers: dict[int, str]
) -> None:
    """``carriers``: the code of each carrier id written."""
    if not (plan.inserts or plan.closed or plan.superseded):
        return
    now = await repository.transaction_now(session)
    source = str(source_of(principal))
    for period, new_id in zip(
        plan.inserts, await repository.new_ids(session, len(plan.inserts)), strict=True
    ):
        period.id = new_id
    closed = [
        p for p in plan.closed.values() if not p.superseded and p.valid_to != p.stored_valid_to
    ]
    superseded = list(plan.superseded.values())
    await repository.close(session, [p.id for p in closed], [p.valid_to for p in closed])  # type: ignore[misc]
    await repository.supersede(session, [p.id for p in superseded], now)  # type: ignore[misc]
    await repository.insert(
        session,
        [
            (
                p.id, p.carrier_id, p.division_code, p.station_code, p.mode, p.pickups,
                p.deliveries, p.valid_from, p.valid_to, source, principal.subject, now,
                now if p.superseded else None, 2 if p.superseded else 1,
            )
            for p in plan.inserts
        ],
    )  # fmt: skip
    # What ends comes before what replaces it, as a consumer would apply them.
    changed = [(p.id, "closed") for p in closed] + [(p.id, "superseded") for p in superseded]
    await repository.record_events(session, [i for i, _ in changed], [a for _, a in changed])  # type: ignore[misc]
    # The new periods' events from the rows just copied (what the query above would build
    # from the table: the same payload), copied too.
    await repository.copy_events(
        session,
        [
            (TOPIC, str(p.id), "created", 2 if p.superseded else 1, {
                "id": p.id, "carrier": carriers[p.carrier_id], "division_code": p.division_code,
                "station_code": p.station_code, "mode": p.mode, "pickups_per_week": p.pickups,
                "deliveries_per_week": p.deliveries, "valid_from": p.valid_from,
                "valid_to": p.valid_to, "source": source, "superseded": p.superseded,
            })
            for p in plan.inserts
        ],
    )  # fmt: skip


# --- reading ---------------------------------------------------------------------------------


def coverage_out(row: Coverage, carrier_code: str, division_name: str | None) -> CoverageOut:
    return CoverageOut(
        id=row.id,
        carrier=carrier_code,
        division_code=row.division_code,
        division_name=division_name,
        level="village" if row.division_code[9:] != "000" else "township",
        station_code=row.station_code,
        mode=CoverageMode(row.mode),
        pickups_per_week=row.pickups_per_week,
        deliveries_per_week=row.deliveries_per_week,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        source=CoverageSource(row.source),
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        superseded_at=row.superseded_at,
        version=row.version,
    )


def coverage_not_found(coverage_id: int) -> NotFound:
    return NotFound(
        f"no coverage period {coverage_id}",
        detail_zh=f"没有覆盖记录 {coverage_id}",
        code="coverage_not_found",
        field="coverage_id",
        location="path",
    )


async def get_coverage(
    session: AsyncSession, principal: Principal, coverage_id: int
) -> CoverageOut:
    """Another carrier's period, or one outside an official's scope, is not found: its
    existence is not this caller's business."""
    found = await repository.row_by_id(session, coverage_id)
    if found is None or not authz.sees(principal, found[1], found[0].division_code):
        raise coverage_not_found(coverage_id)
    return coverage_out(*found)


async def list_coverage(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    carrier: str | None,
    division: str | None,
    as_of: date | None,
    history: bool,
    station_code: str | None,
) -> list[tuple[Coverage, str, str | None]]:
    visible = await listing.visible(session, principal, carrier=carrier, division=division)
    if visible is None:
        return []
    carrier_id, prefix = visible
    where = CoverageFilter(
        carrier_id=carrier_id,
        prefix=prefix,
        as_of=as_of or china_today(),
        history=history,
        station_code=station_code,
    )
    return await repository.list_rows(session, where, params)


async def submit_one(
    session: AsyncSession, principal: Principal, item: CoverageIn
) -> tuple[Outcome, CoverageOut]:
    [result] = await submit(session, principal, [Submission(1, None, item)])
    if result.problem is not None:
        raise result.problem
    assert result.coverage_id is not None
    return result.outcome, await get_coverage(session, principal, result.coverage_id)
