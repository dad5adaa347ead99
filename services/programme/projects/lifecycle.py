"""A project's milestones and lifecycle, and its acceptance (验收).

Shanxi 2017 obliges a county to keep a ledger with "responsible persons and deadlines" for
every project, and "a project whose information is incomplete may not pass acceptance". So
acceptance refuses with *every* missing item at once (as station acceptance does, ADR 0007):
company and credit code, responsible person and phone, a budget, milestones each done with
evidence, the stations of a station project each accepted in the stations service, the
training sessions of a training project each held in the training service, and no
fund-rule breach on the project.
"""

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.changefeed import record_change
from common.errors import Conflict, NotFound, Unprocessable, field_problem
from common.etag import check_if_match
from common.months import china_today
from services.programme.changes.models import ProgrammeChangeEvent
from services.programme.funds.check import project_breaches, recheck_county
from services.programme.ledger import repository as ledger
from services.programme.ledger.models import (
    Milestone,
    MilestoneStatus,
    Project,
    ProjectCategory,
    ProjectStatus,
)
from services.programme.projects import repository
from services.programme.projects.links import TIER_OF_CATEGORY, TIER_ZH
from services.programme.projects.schemas import (
    MilestoneCreate,
    MilestoneOut,
    MilestonePatch,
    ProjectOut,
    TransitionIn,
)
from services.programme.projects.service import (
    authorize_write,
    get_project,
    milestone_out,
    project_out,
    record_project_change,
    refuse_closed,
)
from services.programme.projects.stations import fetch_stations
from services.programme.projects.training import fetch_sessions

P = ProjectStatus
TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    P.PLANNED: frozenset({P.IN_PROGRESS, P.CANCELLED}),
    P.IN_PROGRESS: frozenset({P.COMPLETED, P.CANCELLED}),
    P.COMPLETED: frozenset({P.ACCEPTED, P.IN_PROGRESS}),  # reopened when work remains
    P.ACCEPTED: frozenset(),
    P.CANCELLED: frozenset(),
}
REASON_REQUIRED = frozenset({P.CANCELLED})
STATUS_ZH = {
    P.PLANNED: "计划",
    P.IN_PROGRESS: "实施中",
    P.COMPLETED: "已完成",
    P.ACCEPTED: "已验收",
    P.CANCELLED: "已撤销",
}


# --- milestones ----------------------------------------------------------------------


def _milestone_event(session: AsyncSession, project: Project, milestone: Milestone) -> None:
    record_change(
        session,
        ProgrammeChangeEvent,
        topic="milestone",
        key=f"{project.code}:{milestone.id}",
        action="recorded",
        version=milestone.version,
        payload={
            "project": project.code,
            "county_code": project.county_code,
            "id": milestone.id,
            "name": milestone.name,
            "deadline": milestone.deadline.isoformat(),
            "status": milestone.status,
            "completed_on": milestone.completed_on.isoformat() if milestone.completed_on else None,
            "evidence": len(milestone.evidence),
        },
    )


async def _check_deadline(session: AsyncSession, project: Project, deadline: date) -> None:
    """A milestone lies inside the county's programme: one due before it started is a typo
    (a wrong year) or work the programme did not fund."""
    county = await ledger.county(session, project.county_code)
    assert county is not None  # projects exist only in demonstration counties
    if deadline < county.programme_start:
        raise Unprocessable(
            f"deadline {deadline} is before the programme started on {county.programme_start}",
            detail_zh=f"截止日期 {deadline} 早于示范项目开始日期 {county.programme_start}",
            code="milestone_before_programme",
            field="deadline",
            programme_start=county.programme_start.isoformat(),
        )
    if county.programme_end is not None and deadline > county.programme_end:
        raise Unprocessable(
            f"deadline {deadline} is after the programme ends on {county.programme_end}",
            detail_zh=f"截止日期 {deadline} 晚于示范项目结束日期 {county.programme_end}",
            code="milestone_after_programme",
            field="deadline",
            programme_end=county.programme_end.isoformat(),
        )


async def add_milestone(
    session: AsyncSession, code: str, body: MilestoneCreate, principal: Principal
) -> MilestoneOut:
    project = await get_project(session, code, for_update=True)
    authorize_write(principal, project.county_code)
    refuse_closed(project)
    await _check_deadline(session, project, body.deadline)
    milestone = Milestone(
        project_id=project.id,
        name=body.name,
        deadline=body.deadline,
        status=MilestoneStatus.PENDING.value,
        evidence=[],
        version=1,
    )
    session.add(milestone)
    await session.flush()
    await session.refresh(milestone)
    _milestone_event(session, project, milestone)
    return milestone_out(milestone)


async def update_milestone(
    session: AsyncSession,
    code: str,
    milestone_id: int,
    patch: MilestonePatch,
    principal: Principal,
    if_match: str | None,
) -> MilestoneOut:
    project = await get_project(session, code, for_update=True)
    authorize_write(principal, project.county_code)
    refuse_closed(project)
    milestone = await repository.milestone_for_update(session, project.id, milestone_id)
    if milestone is None:
        raise NotFound(
            f"project {code} has no milestone {milestone_id}",
            detail_zh=f"项目 {code} 没有编号为 {milestone_id} 的里程碑",
            code="milestone_not_found",
        )
    check_if_match(if_match, milestone.version)
    fields = patch.model_fields_set
    for name in ("name", "deadline", "status", "evidence"):
        if name in fields and getattr(patch, name) is None:
            raise Unprocessable(
                f"{name} cannot be removed",
                detail_zh=f"{name} 不能为空",
                code="required_field",
                field=name,
            )
    if patch.name is not None:
        milestone.name = patch.name
    if patch.deadline is not None:
        await _check_deadline(session, project, patch.deadline)
        milestone.deadline = patch.deadline
    if patch.evidence is not None:
        milestone.evidence = [e.model_dump(mode="json") for e in patch.evidence]
    if patch.status is not None:
        milestone.status = patch.status.value
    done = milestone.status == MilestoneStatus.DONE.value
    if done:
        completed = patch.completed_on or milestone.completed_on or china_today()
        if completed > china_today():
            raise Unprocessable(
                f"completed_on {completed} is in the future",
                detail_zh=f"完成日期 {completed} 晚于今天",
                code="future_date",
                field="completed_on",
            )
        milestone.completed_on = completed
    elif "completed_on" in fields and patch.completed_on is not None:
        raise Unprocessable(
            "completed_on goes with status done",
            detail_zh="只有已完成的里程碑才有完成日期",
            code="completed_on_without_done",
            field="completed_on",
        )
    else:
        milestone.completed_on = None
    milestone.version += 1
    await session.flush()
    await session.refresh(milestone)
    _milestone_event(session, project, milestone)
    return milestone_out(milestone)


# --- acceptance ------------------------------------------------------------------------


def _missing(field: str, code: str, detail: str, detail_zh: str) -> dict[str, str]:
    return field_problem(field, code, detail, detail_zh=detail_zh)


async def acceptance_gaps(
    session: AsyncSession,
    stations: httpx.AsyncClient,
    training: httpx.AsyncClient,
    project: Project,
) -> list[dict[str, str]]:
    """Every item that keeps the project from acceptance (empty: complete)."""
    gaps = []
    if not project.company_name:
        gaps.append(_missing("company.name", "missing", "no implementing company", "承办单位名称"))
    if not project.company_credit_code:
        gaps.append(
            _missing(
                "company.credit_code",
                "missing",
                "no company credit code",
                "承办单位统一社会信用代码",
            )
        )
    if not project.responsible_name:
        gaps.append(_missing("responsible.name", "missing", "no responsible person", "项目责任人"))
    if not project.responsible_phone:
        gaps.append(
            _missing("responsible.phone", "missing", "no responsible person's phone", "责任人电话")
        )
    if project.budget_central + project.budget_local + project.budget_social <= 0:
        gaps.append(_missing("budget", "missing", "no budget", "项目预算"))
    milestones = await repository.milestones(session, project.id)
    if not milestones:
        gaps.append(_missing("milestones", "missing", "no milestones", "项目里程碑"))
    for i, m in enumerate(milestones):
        if m.status != MilestoneStatus.DONE.value:
            gaps.append(
                _missing(
                    f"milestones[{i}].status",
                    "milestone_not_done",
                    f"milestone {m.name!r} is not done",
                    f"里程碑「{m.name}」未完成",
                )
            )
        if not m.evidence:
            gaps.append(
                _missing(
                    f"milestones[{i}].evidence",
                    "missing_evidence",
                    f"milestone {m.name!r} has no evidence",
                    f"里程碑「{m.name}」缺少佐证材料",
                )
            )
    category = ProjectCategory(project.category)
    if category in TIER_OF_CATEGORY:
        links = await repository.stations(session, project.id)
        if not links:
            gaps.append(
                _missing(
                    "stations",
                    "missing",
                    "a station project links no stations",
                    f"项目未关联{TIER_ZH[TIER_OF_CATEGORY[category]]}",
                )
            )
        found = await fetch_stations(stations, [link.station_code for link in links])
        for link in links:
            station = found[link.station_code]
            if station is None:
                gaps.append(
                    _missing(
                        f"stations.{link.station_code}",
                        "unknown_station",
                        f"station {link.station_code} no longer exists in stations",
                        f"站点 {link.station_code} 在站点登记中不存在",
                    )
                )
            elif station.status != "accepted":
                gaps.append(
                    _missing(
                        f"stations.{link.station_code}",
                        "station_not_accepted",
                        f"station {link.station_code} ({station.name}) is {station.status}, "
                        "not accepted",
                        f"站点 {link.station_code}({station.name})尚未验收",
                    )
                )
    if category is ProjectCategory.TRAINING:
        ids = await repository.training_sessions(session, project.id)
        if not ids:
            gaps.append(
                _missing("training_sessions", "missing", "no training sessions", "培训班次记录")
            )
        for session_id, held in (await fetch_sessions(training, ids)).items():
            if held is None or held.status != "held":
                state = "no longer exists" if held is None else f"is {held.status}"
                gaps.append(
                    _missing(
                        f"training_sessions.{session_id}",
                        "session_not_held",
                        f"training session {session_id} {state}, not held",
                        f"培训班 {session_id} 尚未举办",
                    )
                )
    for breach in await project_breaches(session, project):
        gaps.append(_missing("funds", "fund_rule_breach", breach.message, breach.message_zh))
    return gaps


async def transition(
    session: AsyncSession,
    stations: httpx.AsyncClient,
    training: httpx.AsyncClient,
    code: str,
    body: TransitionIn,
    principal: Principal,
    if_match: str | None,
) -> ProjectOut:
    project = await get_project(session, code, for_update=True)
    authorize_write(principal, project.county_code)
    if if_match is not None:
        check_if_match(if_match, project.version)
    current, target = ProjectStatus(project.status), body.to
    allowed = TRANSITIONS[current]
    if target not in allowed:
        names = ", ".join(sorted(a.value for a in allowed)) or "nothing (final)"
        raise Conflict(
            f"a {current.value} project cannot become {target.value}; it may become: {names}",
            detail_zh=f"项目状态不能从{STATUS_ZH[current]}变为{STATUS_ZH[target]}",
            code="illegal_transition",
            field="to",
            from_status=current.value,
            to_status=target.value,
            allowed=sorted(a.value for a in allowed),
        )
    if target in REASON_REQUIRED and not body.reason:
        raise Unprocessable(
            "say why the project is cancelled",
            detail_zh="撤销项目须说明原因",
            code="reason_required",
            field="reason",
        )
    if target is P.ACCEPTED:
        gaps = await acceptance_gaps(session, stations, training, project)
        if gaps:
            names_zh = "、".join(g.get("detail_zh", g["field"]) for g in gaps)
            raise Unprocessable(
                f"project {code} is incomplete: {len(gaps)} items keep it from acceptance: "
                + "; ".join(g["detail"] for g in gaps),
                detail_zh=f"项目信息不完整,不能验收:{names_zh}",
                code="acceptance_incomplete",
                errors=gaps,
            )
    project.status = target.value
    project.status_reason = body.reason
    project.version += 1
    await session.flush()
    await session.refresh(project)
    record_project_change(session, project, "transitioned")
    if target is P.CANCELLED:  # a cancelled project's budget no longer counts
        await recheck_county(session, project.county_code)
    return await project_out(session, project, principal)
