"""Rules of training sessions (培训班).

- A session is planned, then held or cancelled; who changed it and when is kept. Only a
  planned session is edited; a session is held from its first day on (``not_started``);
  one with attendance cannot be cancelled (its people-times happened).
- Dates: ``ends_on`` ≥ ``starts_on``; half-day and one-day sessions are one date, several
  days span more than one (``duration_mismatch``).
- The place is a valid division code; a location says its coordinate system and is stored
  as WGS-84.
- When a session is held it is given the subsidy rate of the policy valid on its date
  (``subsidies.service.pin_rate``): later policy changes never change it.
"""

from datetime import date

from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.changefeed import record_change
from common.coords import CRS, from_wgs84, to_wgs84
from common.errors import Conflict, NotFound, Unprocessable
from common.etag import check_if_match
from services.training import authz, checks, divisions
from services.training.changes.models import TrainingChangeEvent
from services.training.sessions import repository
from services.training.sessions.models import DurationKind, SessionStatus, TrainingSession
from services.training.sessions.schemas import (
    LocationOut,
    OrganiserOut,
    PlaceIn,
    PlaceOut,
    SessionCreate,
    SessionOut,
    SessionPatch,
    StatusOut,
    TransitionIn,
)
from services.training.subsidies import service as subsidies

TOPIC = "session"


def session_not_found(
    session_id: int, *, field: str = "session_id", location: str = "path"
) -> NotFound:
    return NotFound(
        f"no training session {session_id}",
        detail_zh=f"培训班 {session_id} 不存在",
        code="session_not_found",
        field=field,
        location=location,
    )


async def get_session(
    session: AsyncSession, session_id: int, *, lock: bool = False
) -> TrainingSession:
    row = await repository.get(session, session_id, lock=lock)
    if row is None:
        raise session_not_found(session_id)
    return row


def _location(geom: WKBElement | None, crs: CRS) -> LocationOut | None:
    if geom is None:
        return None
    point = to_shape(geom)
    lon, lat = from_wgs84(point.x, point.y, crs)
    return LocationOut(lon=round(lon, 7), lat=round(lat, 7), crs=crs)


def session_out(row: TrainingSession, crs: CRS = CRS.WGS84, *, subjects: bool = True) -> SessionOut:
    """``subjects``: whether to name who created and changed it (never for the public, ADR
    0009: a subject identifies a person)."""
    return SessionOut(
        id=row.id,
        level=row.level,
        topic=row.topic,
        organiser=OrganiserOut(name=row.organiser_name, credit_code=row.organiser_code),
        place=PlaceOut(
            division_code=row.division_code,
            address=row.address,
            location=_location(row.location, crs),
        ),
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        duration_kind=row.duration_kind,
        meals=row.meals,
        computer_practice=row.computer_practice,
        lodging=row.lodging,
        capacity=row.capacity,
        funding_source=row.funding_source,
        status=StatusOut(
            status=row.status,
            changed_by=row.status_changed_by if subjects else None,
            changed_at=row.status_changed_at,
            reason=row.status_reason,
        ),
        version=row.version,
        created_by=row.created_by if subjects else None,
        created_at=row.created_at,
    )


def _check_dates(starts_on: date, ends_on: date, kind: str) -> None:
    if ends_on < starts_on:
        raise Unprocessable(
            f"the session ends ({ends_on}) before it starts ({starts_on})",
            detail_zh=f"结束日期 {ends_on} 早于开始日期 {starts_on}",
            code="ends_before_start",
            field="ends_on",
        )
    several = ends_on > starts_on
    if several != (kind == DurationKind.SEVERAL_DAYS):
        raise Unprocessable(
            f"a {kind} session {'spans several dates' if kind == DurationKind.SEVERAL_DAYS else 'is held on one date'}; "
            f"starts_on {starts_on}, ends_on {ends_on}",
            detail_zh="半天和一天的培训班开始与结束为同一天,多天的培训班结束日期应晚于开始日期",
            code="duration_mismatch",
            field="duration_kind",
        )


def _place(place: PlaceIn) -> tuple[str, WKBElement | None]:
    code = checks.division_code(place.division_code, "place.division_code")
    if place.location is None:
        return code, None
    lon, lat = to_wgs84(place.location.lon, place.location.lat, place.location.crs)
    return code, from_shape(Point(lon, lat), srid=4326)


def _publish(session: AsyncSession, row: TrainingSession, action: str) -> None:
    record_change(
        session,
        TrainingChangeEvent,
        topic=TOPIC,
        key=str(row.id),
        action=action,
        version=row.version,
        payload={
            "id": row.id,
            "level": row.level,
            "division_code": row.division_code,
            "organiser_code": row.organiser_code,
            "starts_on": row.starts_on.isoformat(),
            "ends_on": row.ends_on.isoformat(),
            "duration_kind": row.duration_kind,
            "status": row.status,
        },
    )


async def create_session(
    session: AsyncSession, principal: Principal, body: SessionCreate
) -> TrainingSession:
    division_code, location = _place(body.place)
    organiser_code = checks.credit_code(body.organiser.credit_code, "organiser.credit_code")
    authz.require_session_writer(principal, division_code, organiser_code)
    await divisions.require(session, division_code, divisions.PLACE, "place.division_code")
    _check_dates(body.starts_on, body.ends_on, body.duration_kind)
    row = TrainingSession(
        level=body.level,
        topic=body.topic,
        organiser_name=body.organiser.name,
        organiser_code=organiser_code,
        division_code=division_code,
        address=body.place.address,
        location=location,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        duration_kind=body.duration_kind,
        meals=body.meals,
        computer_practice=body.computer_practice,
        lodging=body.lodging,
        capacity=body.capacity,
        funding_source=body.funding_source,
        status=SessionStatus.PLANNED,
        version=1,
        created_by=principal.subject,
    )
    await repository.add(session, row)
    _publish(session, row, "created")
    return row


def _require_planned(row: TrainingSession, doing: str, doing_zh: str) -> None:
    if row.status != SessionStatus.PLANNED:
        raise Conflict(
            f"session {row.id} is {row.status}; only a planned session can be {doing}",
            detail_zh=f"培训班 {row.id} 状态为{_STATUS_ZH[row.status]},只有计划中的培训班可以{doing_zh}",
            code="session_not_planned",
            field="status",
        )


_STATUS_ZH = {"planned": "计划中", "held": "已举办", "cancelled": "已取消"}


async def update_session(
    session: AsyncSession,
    principal: Principal,
    session_id: int,
    patch: SessionPatch,
    if_match: str | None,
) -> TrainingSession:
    row = await get_session(session, session_id, lock=True)
    authz.require_session_writer(principal, row.division_code, row.organiser_code)
    check_if_match(if_match, row.version)
    _require_planned(row, "changed", "修改")
    changes = patch.model_dump(exclude_unset=True)
    if "place" in changes and patch.place is not None:
        row.division_code, row.location = _place(patch.place)
        row.address = patch.place.address
        await divisions.require(session, row.division_code, divisions.PLACE, "place.division_code")
    if "organiser" in changes and patch.organiser is not None:
        row.organiser_code = checks.credit_code(
            patch.organiser.credit_code, "organiser.credit_code"
        )
        row.organiser_name = patch.organiser.name
    # The changed session must still be one the caller may run.
    authz.require_session_writer(principal, row.division_code, row.organiser_code)
    for name in (
        "level",
        "topic",
        "starts_on",
        "ends_on",
        "duration_kind",
        "meals",
        "computer_practice",
        "lodging",
        "capacity",
        "funding_source",
    ):
        if name in changes and changes[name] is not None:
            setattr(row, name, getattr(patch, name))
    _check_dates(row.starts_on, row.ends_on, row.duration_kind)
    first, last = await repository.attendance_span(session, row.id)
    if first is not None and (first < row.starts_on or (last is not None and last > row.ends_on)):
        raise Conflict(
            f"attendance is recorded from {first} to {last}; the dates must keep it inside",
            detail_zh=f"已有 {first} 至 {last} 的签到记录,修改后的日期必须包含这些日期",
            code="attendance_outside_dates",
            field="starts_on",
        )
    row.version += 1
    await session.flush()
    _publish(session, row, "updated")
    return row


async def transition(
    session: AsyncSession, principal: Principal, session_id: int, body: TransitionIn, *, today: date
) -> TrainingSession:
    row = await get_session(session, session_id, lock=True)
    authz.require_session_writer(principal, row.division_code, row.organiser_code)
    if row.status == body.status:
        return row
    _require_planned(row, body.status, "变更状态")
    if body.status == SessionStatus.HELD and row.starts_on > today:
        raise Conflict(
            f"session {row.id} starts on {row.starts_on}; it can be marked held from then on",
            detail_zh=f"培训班 {row.id} 于 {row.starts_on} 开始,开始后才能标记为已举办",
            code="not_started",
            field="status",
        )
    if body.status == SessionStatus.CANCELLED and await repository.has_attendance(session, row.id):
        raise Conflict(
            f"session {row.id} has attendance; a session people attended cannot be cancelled",
            detail_zh=f"培训班 {row.id} 已有签到记录,不能取消",
            code="session_has_attendance",
            field="status",
        )
    row.status = body.status
    row.status_changed_by = principal.subject
    row.status_changed_at = await subsidies.transaction_now(session)
    row.status_reason = body.reason
    row.version += 1
    await session.flush()
    if row.status == SessionStatus.HELD:
        await subsidies.pin_rate(session, row)
    _publish(session, row, row.status)
    return row
