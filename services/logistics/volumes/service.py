"""Rules of daily parcel volumes (see docs/adr/0021-logistics-coverage-and-volumes.md).

- One row per carrier, place and day (China time); the place is a station point, or a
  township (镇, 乡, township-like) where no point reports — exactly one of the two.
- The same figures again change nothing (``unchanged``); other figures are a new revision
  (``updated``), every revision kept, like monthly reports.
- Not for a day still to come (``future_day``); figures are non-negative, at most 200,000
  parcels and 2,000 t a day at one place, weight only with parcels and at most 1 t a parcel
  (``implausible_weight``: grams sent as kilograms).
- Carriers send their own rows, officials inside their division (``authz``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import NotFound, Problem, Unprocessable
from common.identifiers import DivisionLevel
from common.months import china_today
from common.reference import DivisionRef, division_problem, divisions_by_code
from services.logistics import authz
from services.logistics.carriers.service import CarrierResolver, ResolvedCarrier
from services.logistics.coverage.service import CLASS_RULES
from services.logistics.reference.models import LogisticsDivision
from services.logistics.volumes import repository
from services.logistics.volumes.models import FIGURES, ParcelVolume, ParcelVolumeRevision
from services.logistics.volumes.schemas import (
    Outcome,
    VolumeIn,
    VolumeOut,
    VolumeRevisionOut,
    VolumeRevisions,
)

TOPIC = "parcel_volume"
MAX_KG_PER_PARCEL = 1000  # less-than-truckload freight included


@dataclass
class Submission:
    row: int
    line: int | None
    volume: VolumeIn


@dataclass
class SubmissionResult:
    row: int
    line: int | None
    carrier: str | None
    place_code: str | None
    day: date
    outcome: Outcome
    revision: int | None = None
    volume_id: int | None = None
    problem: Problem | None = None


def _figures(item: VolumeIn) -> tuple[int, Decimal, int, Decimal]:
    return (
        item.outbound_parcels,
        item.outbound_weight_kg,
        item.inbound_parcels,
        item.inbound_weight_kg,
    )


def _figure_problem(item: VolumeIn, today: date) -> Problem | None:
    if item.day > today:
        return Unprocessable(
            f"{item.day} is still to come (today is {today} in China)",
            detail_zh=f"{item.day} 尚未到来(今天是 {today})",
            code="future_day",
            field="day",
        )
    for direction, parcels, kg in (
        ("outbound", item.outbound_parcels, item.outbound_weight_kg),
        ("inbound", item.inbound_parcels, item.inbound_weight_kg),
    ):
        if (kg > 0 and parcels == 0) or (parcels and kg / parcels > MAX_KG_PER_PARCEL):
            return Unprocessable(
                f"{kg} kg in {parcels} {direction} parcels is not a plausible weight "
                f"(at most {MAX_KG_PER_PARCEL} kg a parcel): grams sent as kilograms?",
                detail_zh=f"{parcels} 件 {kg} 公斤不合常理(每件最多 {MAX_KG_PER_PARCEL} 公斤):是否把克当成了公斤?",
                code="implausible_weight",
                field=f"{direction}_weight_kg",
            )
    return None


def _place(
    item: VolumeIn, divisions: dict[str, DivisionRef], points: dict[str, str]
) -> tuple[str, str] | Problem:
    """(place code, division code) of the row, or why it has no place we know."""
    if (item.station_code is None) == (item.township_code is None):
        return Unprocessable(
            "give either station_code (a station point) or township_code (a township "
            "without a reporting point), not both or neither",
            detail_zh="请填写站点编码或乡镇代码之一(不能都填,也不能都不填)",
            code="one_place_required",
            field="station_code",
        )
    if item.station_code is not None:
        division = points.get(item.station_code)
        if division is None:
            return Unprocessable(
                f"no station point {item.station_code} (registered in the last minute? it "
                "reaches logistics from the stations feed within seconds)",
                detail_zh=f"没有站点 {item.station_code}(若刚登记,数秒后会同步到物流服务)",
                code="unknown_station",
                field="station_code",
            )
        return item.station_code, division
    code = item.township_code
    assert code is not None
    rule = CLASS_RULES[DivisionLevel.TOWNSHIP]
    problem = division_problem(code, divisions.get(code), rule, field="township_code")
    return problem if problem is not None else (code, code)


async def submit(
    session: AsyncSession,
    principal: Principal,
    submissions: Sequence[Submission],
    *,
    dry_run: bool = False,
) -> list[SubmissionResult]:
    authz.require_writer(principal, "send parcel volumes", "提交快递业务量")
    today = china_today()
    resolver = await CarrierResolver.load(session)
    resolved = [resolver.resolve(s.volume.carrier) for s in submissions]
    carriers = sorted({r.id for r in resolved if isinstance(r, ResolvedCarrier)})
    if carriers and not dry_run:
        await repository.lock_carriers(session, carriers)
    divisions = await divisions_by_code(
        session,
        LogisticsDivision,
        [s.volume.township_code for s in submissions if s.volume.township_code],
    )
    points = await repository.station_points(
        session, [s.volume.station_code for s in submissions if s.volume.station_code]
    )

    results: list[SubmissionResult] = []
    placed: list[tuple[SubmissionResult, Submission, ResolvedCarrier, str, str]] = []
    for s, carrier in zip(submissions, resolved, strict=True):
        item = s.volume
        result = SubmissionResult(s.row, s.line, item.carrier, None, item.day, "rejected")
        results.append(result)
        if not isinstance(carrier, ResolvedCarrier):
            result.problem = carrier
            continue
        result.carrier = carrier.code
        place = _place(item, divisions, points)
        if isinstance(place, Problem):
            result.problem = place
            continue
        result.place_code, division = place
        place_field = "station_code" if item.station_code else "township_code"
        result.problem = authz.row_write_problem(
            principal, carrier.code, division, place_field=place_field
        ) or _figure_problem(item, today)
        if result.problem is None:
            placed.append((result, s, carrier, place[0], division))

    stored = await repository.current(
        session, [(c.id, p, s.volume.day) for _, s, c, p, _ in placed]
    )
    seen: dict[
        tuple[int, str, date], tuple[int, tuple[int, Decimal, int, Decimal], int | None]
    ] = {}
    inserts: list[tuple[SubmissionResult, Submission, ResolvedCarrier, str, str]] = []
    revisions: dict[int, tuple[SubmissionResult, Submission]] = {}
    for result, s, carrier, place_code, division in placed:
        key = (carrier.id, place_code, s.volume.day)
        figures = _figures(s.volume)
        if key in seen:
            first_row = seen[key][0]
            result.problem = Unprocessable(
                f"row {first_row} already sends {carrier.code} at {place_code} on {s.volume.day}",
                detail_zh=f"与第 {first_row} 行重复",
                code="duplicate_row",
                field="day",
                first_row=first_row,
            )
            continue
        record = stored.get(key)
        seen[key] = (s.row, figures, record["id"] if record else None)
        if record is None:
            result.outcome, result.revision = "created", 1
            inserts.append((result, s, carrier, place_code, division))
        elif tuple(record[f] for f in FIGURES) == figures:
            result.outcome, result.revision, result.volume_id = (
                "unchanged",
                record["revision"],
                record["id"],
            )
        else:
            result.outcome, result.revision, result.volume_id = (
                "updated",
                record["revision"] + 1,
                record["id"],
            )
            revisions[record["id"]] = (result, s)
    if not dry_run:
        await _write(session, principal, inserts, revisions)
    return results


async def _write(
    session: AsyncSession,
    principal: Principal,
    inserts: Sequence[tuple[SubmissionResult, Submission, ResolvedCarrier, str, str]],
    revisions: dict[int, tuple[SubmissionResult, Submission]],
) -> None:
    if not inserts and not revisions:
        return
    now = await repository.transaction_now(session)
    ids = await repository.new_ids(session, len(inserts))
    records = []
    for new_id, (result, s, carrier, place_code, division) in zip(ids, inserts, strict=True):
        result.volume_id = new_id
        item = s.volume
        records.append(
            (new_id, carrier.id, item.day, place_code, item.station_code, item.township_code,
             division, *_figures(item), 1, principal.subject, now)
        )  # fmt: skip
    await repository.insert(session, records)
    await repository.revise(
        session,
        [(vid, r.revision, *_figures(s.volume)) for vid, (r, s) in revisions.items()],
        principal.subject,
        now,
    )
    history = [
        (r.volume_id, 1, *_figures(s.volume), principal.subject, now) for r, s, *_ in inserts
    ]
    history += [
        (vid, r.revision, *_figures(s.volume), principal.subject, now)
        for vid, (r, s) in revisions.items()
    ]
    await repository.add_revisions(session, history)
    changed = [(vid, "revised") for vid in revisions] + [
        (r.volume_id, "created") for r, *_ in inserts
    ]
    await repository.record_events(session, [i for i, _ in changed], [a for _, a in changed])  # type: ignore[misc]


# --- reading ---------------------------------------------------------------------------------


def volume_out(row: ParcelVolume, carrier_code: str) -> VolumeOut:
    return VolumeOut(
        id=row.id,
        carrier=carrier_code,
        day=row.day,
        place_code=row.place_code,
        station_code=row.station_code,
        township_code=row.township_code,
        division_code=row.division_code,
        revision=row.revision,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        **{name: getattr(row, name) for name in FIGURES},
    )


def volume_not_found(volume_id: int) -> NotFound:
    return NotFound(
        f"no parcel volume {volume_id}",
        detail_zh=f"没有快递业务量记录 {volume_id}",
        code="volume_not_found",
        field="volume_id",
        location="path",
    )


async def get_volume(
    session: AsyncSession, principal: Principal, volume_id: int
) -> VolumeRevisions:
    authz.require_volume_reader(principal)
    found = await repository.row_by_id(session, volume_id)
    if found is None or not authz.sees(principal, found[1], found[0].division_code):
        raise volume_not_found(volume_id)
    history = await repository.revisions(session, volume_id)
    return VolumeRevisions(
        volume=volume_out(*found),
        revisions=[_revision_out(r) for r in history],
    )


def _revision_out(row: ParcelVolumeRevision) -> VolumeRevisionOut:
    return VolumeRevisionOut(
        revision=row.revision,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        **{name: getattr(row, name) for name in FIGURES},
    )


async def submit_one(
    session: AsyncSession, principal: Principal, item: VolumeIn
) -> tuple[Outcome, VolumeRevisions]:
    [result] = await submit(session, principal, [Submission(1, None, item)])
    if result.problem is not None:
        raise result.problem
    assert result.volume_id is not None
    return result.outcome, await get_volume(session, principal, result.volume_id)
