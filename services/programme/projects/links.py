"""A project's stations and training sessions, checked against the stations and training
services when linked.

Domain facts behind the checks: township-station projects build 乡镇服务站, village-point
projects 村级服务点, a public service centre project the county centre — a station of another
tier is a data-entry mistake. A project pays only for stations of its own county, and not for
one that is closed; likewise for training sessions held in its county and not cancelled.
"""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import NotFound, Unprocessable
from common.identifiers import county_code
from services.programme.funds.check import recheck_county
from services.programme.ledger.models import (
    Project,
    ProjectCategory,
    ProjectStation,
    ProjectTrainingSession,
)
from services.programme.projects import repository
from services.programme.projects.schemas import ProjectOut, StationLinkIn
from services.programme.projects.service import (
    authorize_write,
    get_project,
    project_out,
    record_project_change,
    refuse_closed,
)
from services.programme.projects.stations import StationRecord, fetch_station
from services.programme.projects.training import fetch_session

TIER_OF_CATEGORY = {
    ProjectCategory.PUBLIC_SERVICE_CENTRE: "county",
    ProjectCategory.TOWNSHIP_STATIONS: "township",
    ProjectCategory.VILLAGE_POINTS: "village",
}
TIER_ZH = {"county": "县级中心", "township": "乡镇服务站", "village": "村级服务点"}


async def _writable(session: AsyncSession, code: str, principal: Principal) -> Project:
    project = await get_project(session, code, for_update=True)
    authorize_write(principal, project.county_code)
    refuse_closed(project)
    return project


async def link_station(
    session: AsyncSession,
    client: httpx.AsyncClient,
    code: str,
    station_code: str,
    body: StationLinkIn,
    principal: Principal,
) -> tuple[ProjectOut, bool]:
    """The project with the station linked, and whether the link is new."""
    project = await _writable(session, code, principal)
    tier = TIER_OF_CATEGORY.get(ProjectCategory(project.category))
    if tier is None:
        raise Unprocessable(
            f"a {project.category} project builds no stations",
            detail_zh="该类别的项目不关联站点",
            code="stations_not_applicable",
            field="category",
        )
    link = await repository.station_link(session, project.id, station_code)
    if link is not None:
        # Checked when it was linked: a new allocation needs no second look at stations.
        if link.allocation == body.allocation:
            return await project_out(session, project, principal), False
        link.allocation = body.allocation
    else:
        station = await _checked_station(client, project, station_code, tier)
        session.add(
            ProjectStation(
                project_id=project.id,
                station_code=station_code,
                tier=station.tier,
                allocation=body.allocation,
                linked_by=principal.subject,
            )
        )
    project.version += 1
    await session.flush()
    await session.refresh(project)
    record_project_change(session, project, "station_linked")
    await recheck_county(session, project.county_code)
    return await project_out(session, project, principal), link is None


async def _checked_station(
    client: httpx.AsyncClient, project: Project, station_code: str, tier: str
) -> StationRecord:
    """The station, if it may be linked to the project (422 with the reason otherwise)."""
    station = await fetch_station(client, station_code)
    if station is None:
        raise Unprocessable(
            f"stations has no station {station_code}",
            detail_zh=f"站点登记中没有 {station_code}",
            code="unknown_station",
            field="station_code",
            location="path",
        )
    if station.county_code != project.county_code:
        raise Unprocessable(
            f"station {station_code} ({station.name}) is in county "
            f"{county_code(station.county_code)}, not in the project's county "
            f"{project.county_code}",
            detail_zh=f"站点 {station_code}({station.name})不在项目所在县 {project.county_code}",
            code="station_in_other_county",
            field="station_code",
            location="path",
            station_county_code=station.county_code,
        )
    if station.tier != tier:
        raise Unprocessable(
            f"a {project.category} project links {tier} stations; {station_code} is a "
            f"{station.tier} station",
            detail_zh=f"该项目应关联{TIER_ZH[tier]};{station_code} 是{TIER_ZH.get(station.tier, station.tier)}",
            code="station_tier_mismatch",
            field="station_code",
            location="path",
        )
    if station.status == "closed":
        raise Unprocessable(
            f"station {station_code} is closed",
            detail_zh=f"站点 {station_code} 已关闭",
            code="station_closed",
            field="station_code",
            location="path",
        )
    return station


async def unlink_station(
    session: AsyncSession, code: str, station_code: str, principal: Principal
) -> ProjectOut:
    project = await _writable(session, code, principal)
    link = await repository.station_link(session, project.id, station_code)
    if link is None:
        raise NotFound(
            f"project {code} does not link station {station_code}",
            detail_zh=f"项目 {code} 未关联站点 {station_code}",
            code="station_link_not_found",
        )
    paid = await repository.paid_per_station(session, project.id)
    if paid.get(station_code):
        raise Unprocessable(
            f"payments name station {station_code}; cancel them before unlinking it",
            detail_zh=f"已有拨付记录指向站点 {station_code},请先撤销这些拨付",
            code="station_has_disbursements",
            field="station_code",
            location="path",
        )
    await session.delete(link)
    project.version += 1
    await session.flush()
    await session.refresh(project)
    record_project_change(session, project, "station_unlinked")
    await recheck_county(session, project.county_code)
    return await project_out(session, project, principal)


async def link_training(
    session: AsyncSession,
    client: httpx.AsyncClient,
    code: str,
    session_id: int,
    principal: Principal,
) -> tuple[ProjectOut, bool]:
    """The project with the session linked, and whether the link is new. A new link is
    checked against the training service: the session exists, is held in the project's
    county and is not cancelled."""
    project = await _writable(session, code, principal)
    if project.category != ProjectCategory.TRAINING.value:
        raise Unprocessable(
            f"only training projects fund training sessions; {code} is {project.category}",
            detail_zh="只有培训类项目可以关联培训班",
            code="training_not_applicable",
            field="category",
        )
    if await repository.training_link(session, project.id, session_id) is not None:
        return await project_out(session, project, principal), False
    found = await fetch_session(client, session_id)
    if found is None:
        raise Unprocessable(
            f"training has no session {session_id}",
            detail_zh=f"培训记录中没有编号为 {session_id} 的培训班",
            code="unknown_training_session",
            field="session_id",
            location="path",
        )
    if county_code(found.division_code) != project.county_code:
        raise Unprocessable(
            f"session {session_id} ({found.topic}) is held in {found.division_code}, outside "
            f"the project's county {project.county_code}",
            detail_zh=f"培训班 {session_id}({found.topic})不在项目所在县 {project.county_code} 举办",
            code="session_in_other_county",
            field="session_id",
            location="path",
            session_division_code=found.division_code,
        )
    if found.status == "cancelled":
        raise Unprocessable(
            f"session {session_id} was cancelled",
            detail_zh=f"培训班 {session_id} 已取消",
            code="session_cancelled",
            field="session_id",
            location="path",
        )
    session.add(
        ProjectTrainingSession(
            project_id=project.id, session_id=session_id, linked_by=principal.subject
        )
    )
    project.version += 1
    await session.flush()
    await session.refresh(project)
    record_project_change(session, project, "training_linked")
    return await project_out(session, project, principal), True


async def unlink_training(
    session: AsyncSession, code: str, session_id: int, principal: Principal
) -> ProjectOut:
    project = await _writable(session, code, principal)
    link = await repository.training_link(session, project.id, session_id)
    if link is None:
        raise NotFound(
            f"project {code} does not fund training session {session_id}",
            detail_zh=f"项目 {code} 未关联培训班 {session_id}",
            code="training_link_not_found",
        )
    await session.delete(link)
    project.version += 1
    await session.flush()
    await session.refresh(project)
    record_project_change(session, project, "training_unlinked")
    return await project_out(session, project, principal)
