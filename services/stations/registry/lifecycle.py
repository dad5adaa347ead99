"""The station lifecycle and acceptance (验收): allowed transitions, the gaps acceptance lists."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.coords import outside_china
from common.errors import (
    Conflict,
    InvalidValue,
    Unprocessable,
    field_problem,
)
from common.etag import check_if_match
from common.identifiers import (
    county_code,
    normalize_credit_code,
)
from common.months import CHINA_TZ, add_months, china_today
from common.placement import (
    COUNTY_TOLERANCE_M,
    county_distances_m,
    county_name,
    outside_county_problem,
)
from services.stations.divisions.models import CountyBoundary, Division
from services.stations.registry import repository
from services.stations.registry.models import (
    Station,
    StationStatus,
    StationTransition,
)
from services.stations.registry.placement import hierarchy_prefix, realign_parents
from services.stations.registry.repository import StationRow
from services.stations.registry.schemas import (
    TransitionIn,
)
from services.stations.registry.service import get_station, locked_station
from services.stations.registry.views import publish, wgs84_point

S = StationStatus
# The lifecycle. suspended → accepted only resumes a station suspended while accepted
# (acceptance is not re-checked); one suspended while operating resumes as operating and is
# accepted later. closed is final: a village committee may then get a new point.
TRANSITIONS: dict[StationStatus, frozenset[StationStatus]] = {
    S.PLANNED: frozenset({S.BUILDING, S.CLOSED}),
    S.BUILDING: frozenset({S.OPERATING, S.CLOSED}),
    S.OPERATING: frozenset({S.ACCEPTED, S.SUSPENDED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.SUSPENDED, S.CLOSED}),
    S.SUSPENDED: frozenset({S.OPERATING, S.ACCEPTED, S.CLOSED}),
    S.CLOSED: frozenset(),
}
REASON_REQUIRED = frozenset({S.SUSPENDED, S.CLOSED})
_ORDER = list(StationStatus)


# --- lifecycle ------------------------------------------------------------------------------


def _suspended_from(history: Sequence[StationTransition]) -> StationStatus | None:
    for transition in reversed(history):
        if transition.to_status == StationStatus.SUSPENDED:
            return StationStatus(transition.from_status) if transition.from_status else None
    return None


def allowed_next(
    current: StationStatus, history: Sequence[StationTransition]
) -> list[StationStatus]:
    allowed = set(TRANSITIONS[current])
    if current is S.SUSPENDED and _suspended_from(history) is not S.ACCEPTED:
        allowed.discard(S.ACCEPTED)
    return sorted(allowed, key=_ORDER.index)


def required_report_months(
    operating_since: date | None, history: Sequence[StationTransition], today: date
) -> list[date]:
    """Months that need a monthly report before acceptance: every month from the month it
    began operating up to the last completed month (the current month is never required),
    except months it spent wholly suspended."""
    if operating_since is None:
        return []
    last = add_months(today.replace(day=1), -1)
    suspensions: list[tuple[datetime, datetime | None]] = []
    for index, transition in enumerate(history):
        if transition.to_status == StationStatus.SUSPENDED:
            ended = history[index + 1].at if index + 1 < len(history) else None
            suspensions.append((transition.at, ended))
    months = []
    month = operating_since.replace(day=1)
    while month <= last:
        start = datetime(month.year, month.month, 1, tzinfo=CHINA_TZ)
        following = add_months(month, 1)
        end = datetime(following.year, following.month, 1, tzinfo=CHINA_TZ)
        if not any(s <= start and (e is None or e >= end) for s, e in suspensions):
            months.append(month)
        month = following
    return months


# What acceptance asks for, in the words of the officials who check it (验收).
_ACCEPTANCE_ITEMS = {
    "location": ("the location", "站点位置"),
    "operator.name": ("the operator's name", "站长姓名"),
    "operator.phone": ("the operator's phone", "站长电话"),
    "company.name": ("the operating company", "承办企业"),
    "company.credit_code": ("the company's credit code", "承办企业统一社会信用代码"),
    "services": ("the services offered", "服务项目"),
}


def acceptance_item(field: str) -> tuple[str, str]:
    """An acceptance gap's field as words: ("the operator's phone", "站长电话"),
    ("the monthly report for 2026-03", "2026年3月月报")."""
    if field.startswith("monthly_reports."):
        month = date.fromisoformat(field.removeprefix("monthly_reports.") + "-01")
        return f"the monthly report for {month:%Y-%m}", f"{month.year}年{month.month}月月报"
    return _ACCEPTANCE_ITEMS.get(field, (field, field))


async def acceptance_gaps(
    session: AsyncSession, station: Station, history: Sequence[StationTransition]
) -> list[dict[str, str]]:
    """Everything acceptance (验收) needs that the station lacks: one item per gap."""

    def gap(field: str, code: str, detail: str, detail_zh: str) -> dict[str, str]:
        return field_problem(field, code, detail, detail_zh=detail_zh, location="station")

    gaps = []
    point = wgs84_point(station.location)
    if point is None:
        gaps.append(gap("location", "missing_location", "no location", "未填写站点位置"))
    else:
        county = county_code(station.division_code)
        [distance] = await county_distances_m(session, CountyBoundary, [(county, *point)])
        if distance is None and outside_china(*point):
            gaps.append(
                gap(
                    "location", "outside_china", "the location is outside China", "位置不在中国境内"
                )
            )
        elif distance is not None and distance > COUNTY_TOLERANCE_M:
            name = await county_name(session, Division, county)
            problem = outside_county_problem(county, name, distance, what="station", what_zh="站点")
            gaps.append(gap("location", "outside_county", problem.detail, problem.detail_zh or ""))
    if not station.operator_name:
        gaps.append(
            gap("operator.name", "missing_operator_name", "no operator name", "未填写站长姓名")
        )
    if not station.operator_phone:
        gaps.append(
            gap("operator.phone", "missing_operator_phone", "no operator phone", "未填写站长电话")
        )
    if not station.company_name:
        gaps.append(
            gap("company.name", "missing_company_name", "no operating company", "未填写承办企业")
        )
    if not station.company_credit_code:
        gaps.append(
            gap(
                "company.credit_code",
                "missing_company_credit_code",
                "no unified social credit code of the operating company",
                "未填写承办企业统一社会信用代码",
            )
        )
    else:
        try:
            normalize_credit_code(station.company_credit_code)
        except InvalidValue as e:
            gaps.append(gap("company.credit_code", e.code, e.message, e.message_zh))
    if not station.services:
        gaps.append(gap("services", "missing_services", "offers no service", "未填写服务项目"))
    months = required_report_months(station.operating_since, history, china_today())
    if months:
        reported = await repository.reported_months(session, station.id, months[0], months[-1])
        for month in months:
            if month not in reported:
                gaps.append(
                    gap(
                        f"monthly_reports.{month:%Y-%m}",
                        "missing_monthly_report",
                        f"no monthly report for {month:%Y-%m}",
                        f"缺少 {month.year}年{month.month}月的月度报表",
                    )
                )
    return gaps


async def transition_station(
    session: AsyncSession,
    code: str,
    body: TransitionIn,
    principal: Principal,
    if_match: str | None,
) -> tuple[StationTransition, StationRow]:
    """Move a station along its lifecycle; the caller has been authorized. ``If-Match`` is
    optional here (a transition names its start state), checked when sent."""
    row = await locked_station(session, code)
    station = row.station
    if if_match is not None:
        check_if_match(if_match, station.version)
    current, target = StationStatus(station.status), body.to
    history = await repository.transitions(session, station.id)
    allowed = allowed_next(current, history)
    if target not in allowed:
        names = ", ".join(a.value for a in allowed) or "nothing (closed is final)"
        hint = ""
        if current is S.SUSPENDED and target is S.ACCEPTED:
            hint = "; it was suspended while operating: resume to operating, then accept"
        raise Conflict(
            f"a {current.value} station cannot become {target.value}; from {current.value} "
            f"it may become: {names}{hint}",
            detail_zh=f"站点状态不能从 {current.value} 变为 {target.value}",
            code="illegal_transition",
            field="to",
            from_status=current.value,
            to_status=target.value,
            allowed=[a.value for a in allowed],
        )
    if target in REASON_REQUIRED and not body.reason:
        raise Unprocessable(
            f"say why the station is {target.value}",
            detail_zh="暂停或关闭站点须说明原因",
            code="reason_required",
            field="reason",
        )
    today = china_today()
    first_operation = target is S.OPERATING and station.operating_since is None
    if body.operating_since is not None:
        if not first_operation:
            raise Unprocessable(
                "operating_since is set once, with the first transition to operating",
                detail_zh="operating_since 只能在首次转为运营时填写",
                code="operating_since_not_applicable",
                field="operating_since",
            )
        if body.operating_since.replace(day=1) > today.replace(day=1):
            raise Unprocessable(
                f"{body.operating_since:%Y-%m} is in the future",
                detail_zh=f"{body.operating_since:%Y-%m} 是未来的月份",
                code="future_month",
                field="operating_since",
            )
    if target is S.ACCEPTED and current is S.OPERATING:
        gaps = await acceptance_gaps(session, station, history)
        if gaps:
            items = [acceptance_item(g["field"]) for g in gaps]
            raise Unprocessable(
                f"acceptance refused: {len(gaps)} item{'s' if len(gaps) != 1 else ''} missing "
                "or wrong: " + ", ".join(en for en, _ in items),
                detail_zh=f"验收未通过,{len(gaps)} 项缺失或不符:"
                + "、".join(zh for _, zh in items),
                code="acceptance_incomplete",
                errors=gaps,
            )
    if first_operation:
        station.operating_since = (body.operating_since or today).replace(day=1)
    station.status = target.value
    station.version += 1
    transition = StationTransition(
        station_id=station.id,
        from_status=current.value,
        to_status=target.value,
        reason=body.reason,
        actor=principal.subject,
    )
    session.add(transition)
    await session.flush()
    if target is S.CLOSED:
        prefix = hierarchy_prefix(station)
        if prefix is not None:
            await realign_parents(session, prefix)
    await session.refresh(transition)
    row = await get_station(session, code)
    publish(session, station, row.parent_code, "transitioned")
    return transition, row


async def get_transition(session: AsyncSession, transition_id: int) -> StationTransition:
    """A transition by id (an idempotent replay renders the one it made)."""
    transition = await repository.transition(session, transition_id)
    assert transition is not None, "transitions are never deleted"
    return transition


def lifecycle_rules() -> list[tuple[StationStatus, list[StationStatus]]]:
    return [(status, sorted(TRANSITIONS[status], key=_ORDER.index)) for status in StationStatus]
