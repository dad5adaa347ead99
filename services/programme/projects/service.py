"""Rules of a county's projects (docs/adr/0042-project-ledger.md).

- Projects exist only in demonstration counties; codes are ``<county 6 digits>-<NNN>``,
  numbered per county and never reused.
- The county's officials (and those above, admins) write its projects; everyone signed in
  reads them, with the responsible person masked unless they manage the county.
- An accepted or cancelled project is closed: it no longer changes.
- A budget never drops below what was already paid from it.
- Every write records a change event without personal fields, and re-checks the county's
  fund rules (``services.programme.funds``).
"""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.authz import require_division_writer
from common.changefeed import record_change
from common.errors import Conflict, NotFound, Unprocessable
from common.etag import check_if_match
from common.identifiers import mask_name, mask_phone
from common.months import china_today
from common.pagination import PageParams
from services.programme.changes.models import ProgrammeChangeEvent
from services.programme.funds.check import recheck_county
from services.programme.ledger import repository as ledger
from services.programme.ledger.models import (
    FundSource,
    FundUse,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectCategory,
    ProjectStatus,
)
from services.programme.ledger.schemas import SourceAmounts
from services.programme.ledger.service import not_a_demonstration_county
from services.programme.projects import repository
from services.programme.projects.schemas import (
    CompanyOut,
    EvidenceItem,
    MilestoneOut,
    ProjectCreate,
    ProjectOut,
    ProjectPatch,
    ProjectSummary,
    ResponsibleOut,
    StationLinkOut,
)

CLOSED = frozenset({ProjectStatus.ACCEPTED.value, ProjectStatus.CANCELLED.value})


# --- authorization -------------------------------------------------------------------


def authorize_write(principal: Principal, county_code: str) -> None:
    require_division_writer(
        principal, county_code, doing="change the project ledger", doing_zh="修改项目台账"
    )


def manages_county(principal: Principal, county_code: str) -> bool:
    """Admins and the officials over the county see the responsible person in full."""
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.OFFICIAL and principal.covers(county_code)


# --- presentation ----------------------------------------------------------------------


def amounts(central: Decimal, local: Decimal, social: Decimal) -> SourceAmounts:
    return SourceAmounts(
        central=central, local=local, social=social, total=central + local + social
    )


def budget_of(project: Project) -> SourceAmounts:
    return amounts(project.budget_central, project.budget_local, project.budget_social)


def _money(project: Project, paid: repository.Paid) -> tuple[SourceAmounts, ...]:
    budget = budget_of(project)
    done = amounts(paid.central, paid.local, paid.social)
    left = amounts(
        budget.central - done.central, budget.local - done.local, budget.social - done.social
    )
    return budget, done, left


def _company(project: Project) -> CompanyOut | None:
    if project.company_name is None and project.company_credit_code is None:
        return None
    return CompanyOut(name=project.company_name, credit_code=project.company_credit_code)


def _responsible(project: Project, principal: Principal) -> ResponsibleOut | None:
    if project.responsible_name is None and project.responsible_phone is None:
        return None
    sees = manages_county(principal, project.county_code)
    return ResponsibleOut(
        name=project.responsible_name if sees else mask_name(project.responsible_name),
        phone=project.responsible_phone if sees else mask_phone(project.responsible_phone),
        masked=not sees,
    )


def milestone_out(milestone: Milestone) -> MilestoneOut:
    done = milestone.status == MilestoneStatus.DONE.value
    return MilestoneOut(
        id=milestone.id,
        name=milestone.name,
        deadline=milestone.deadline,
        status=MilestoneStatus(milestone.status),
        overdue=not done and milestone.deadline < china_today(),
        completed_on=milestone.completed_on,
        evidence=[EvidenceItem.model_validate(e) for e in milestone.evidence],
        version=milestone.version,
    )


async def project_out(session: AsyncSession, project: Project, principal: Principal) -> ProjectOut:
    paid = (await repository.paid(session, [project.id])).get(project.id, repository.Paid())
    budget, done, left = _money(project, paid)
    per_station = await repository.paid_per_station(session, project.id)
    return ProjectOut(
        code=project.code,
        county_code=project.county_code,
        name=project.name,
        category=ProjectCategory(project.category),
        description=project.description,
        company=_company(project),
        responsible=_responsible(project, principal),
        budget=budget,
        disbursed=done,
        remaining=left,
        uses=[FundUse(u) for u in project.uses],
        status=ProjectStatus(project.status),
        status_reason=project.status_reason,
        milestones=[milestone_out(m) for m in await repository.milestones(session, project.id)],
        stations=[
            StationLinkOut(
                station_code=link.station_code,
                tier=link.tier,
                allocation=link.allocation,
                disbursed=per_station.get(link.station_code, Decimal(0)),
            )
            for link in await repository.stations(session, project.id)
        ],
        training_sessions=await repository.training_sessions(session, project.id),
        version=project.version,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


def feed_payload(project: Project) -> dict[str, object]:
    """A project on the change feed: no responsible person (personal data)."""
    return {
        "code": project.code,
        "county_code": project.county_code,
        "name": project.name,
        "category": project.category,
        "status": project.status,
        "company": {"name": project.company_name, "credit_code": project.company_credit_code},
        "budget": {
            "central": str(project.budget_central),
            "local": str(project.budget_local),
            "social": str(project.budget_social),
        },
        "uses": list(project.uses),
    }


def record_project_change(session: AsyncSession, project: Project, action: str) -> None:
    record_change(
        session,
        ProgrammeChangeEvent,
        topic="project",
        key=project.code,
        action=action,
        version=project.version,
        payload=feed_payload(project),
    )


# --- reads -----------------------------------------------------------------------------


async def get_project(session: AsyncSession, code: str, *, for_update: bool = False) -> Project:
    project = await repository.project(session, code, for_update=for_update)
    if project is None:
        raise NotFound(
            f"no project {code}", detail_zh=f"没有编号为 {code} 的项目", code="project_not_found"
        )
    return project


async def list_projects(
    session: AsyncSession,
    params: PageParams,
    *,
    county_code: str | None,
    under: str | None,
    categories: Sequence[ProjectCategory],
    statuses: Sequence[ProjectStatus],
) -> tuple[Sequence[Project], list[ProjectSummary]]:
    rows = await repository.list_projects(
        session,
        params,
        county_code=county_code,
        under=under,
        categories=[c.value for c in categories],
        statuses=[s.value for s in statuses],
    )
    shown = rows[: params.limit]
    ids = [p.id for p in shown]
    paid = await repository.paid(session, ids)
    counts = await repository.counts(session, ids, china_today())
    summaries = []
    for project in shown:
        budget, done, left = _money(project, paid.get(project.id, repository.Paid()))
        count = counts.get(project.id, repository.Counts())
        summaries.append(
            ProjectSummary(
                code=project.code,
                county_code=project.county_code,
                name=project.name,
                category=ProjectCategory(project.category),
                company=_company(project),
                status=ProjectStatus(project.status),
                budget=budget,
                disbursed=done,
                remaining=left,
                milestones=count.milestones,
                milestones_done=count.done,
                milestones_overdue=count.overdue,
                stations=count.stations,
                version=project.version,
            )
        )
    return rows, summaries


# --- writes ----------------------------------------------------------------------------


def refuse_closed(project: Project) -> None:
    if project.status in CLOSED:
        raise Conflict(
            f"project {project.code} is {project.status} and no longer changes",
            detail_zh=f"项目 {project.code} 已{'验收' if project.status == 'accepted' else '撤销'},不能再修改",
            code="project_closed",
            status=project.status,
        )


async def create_project(
    session: AsyncSession, body: ProjectCreate, principal: Principal
) -> ProjectOut:
    authorize_write(principal, body.county_code)
    county = await ledger.county(session, body.county_code)
    if county is None:
        raise not_a_demonstration_county(body.county_code, field="county_code", location="body")
    await repository.lock_county_projects(session, county.county_code)
    seq = await repository.last_seq(session, county.county_code) + 1
    project = Project(
        code=f"{county.county_code[:6]}-{seq:03d}",
        county_code=county.county_code,
        seq=seq,
        name=body.name,
        category=body.category.value,
        description=body.description,
        company_name=body.company.name if body.company else None,
        company_credit_code=body.company.credit_code if body.company else None,
        responsible_name=body.responsible.name if body.responsible else None,
        responsible_phone=body.responsible.phone if body.responsible else None,
        budget_central=body.budget.central,
        budget_local=body.budget.local,
        budget_social=body.budget.social,
        uses=[u.value for u in body.uses],
        status=ProjectStatus.PLANNED.value,
        version=1,
        created_by=principal.subject,
    )
    session.add(project)
    await session.flush()
    await session.refresh(project)
    record_project_change(session, project, "created")
    await recheck_county(session, county.county_code)
    return await project_out(session, project, principal)


async def update_project(
    session: AsyncSession,
    code: str,
    patch: ProjectPatch,
    principal: Principal,
    if_match: str | None,
) -> ProjectOut:
    project = await get_project(session, code, for_update=True)
    authorize_write(principal, project.county_code)
    check_if_match(if_match, project.version)
    refuse_closed(project)
    fields = patch.model_fields_set
    for name in ("name", "category", "budget", "uses"):
        if name in fields and getattr(patch, name) is None:
            raise Unprocessable(
                f"{name} cannot be removed",
                detail_zh=f"{name} 不能为空",
                code="required_field",
                field=name,
            )
    if patch.category is not None and patch.category.value != project.category:
        linked = await repository.stations(session, project.id)
        sessions = await repository.training_sessions(session, project.id)
        if linked or sessions:
            raise Conflict(
                "unlink the project's stations and training sessions before changing its category",
                detail_zh="项目已关联站点或培训班,不能更改类别",
                code="category_has_links",
                field="category",
            )
        project.category = patch.category.value
    if patch.name is not None:
        project.name = patch.name
    if "description" in fields:
        project.description = patch.description
    if "company" in fields:
        project.company_name = patch.company.name if patch.company else None
        project.company_credit_code = patch.company.credit_code if patch.company else None
    if "responsible" in fields:
        project.responsible_name = patch.responsible.name if patch.responsible else None
        project.responsible_phone = patch.responsible.phone if patch.responsible else None
    if patch.uses is not None:
        project.uses = [u.value for u in patch.uses]
    if patch.budget is not None:
        paid = (await repository.paid(session, [project.id])).get(project.id, repository.Paid())
        for source in FundSource:
            new, done = getattr(patch.budget, source.value), getattr(paid, source.value)
            if new < done:
                raise Unprocessable(
                    f"budget.{source.value}: ¥{new} is less than the ¥{done} already paid",
                    detail_zh=f"budget.{source.value}:预算 {new} 元少于已拨付的 {done} 元",
                    code="budget_below_disbursed",
                    field=f"budget.{source.value}",
                    disbursed=str(done),
                )
        project.budget_central = patch.budget.central
        project.budget_local = patch.budget.local
        project.budget_social = patch.budget.social
    project.version += 1
    await session.flush()
    await session.refresh(project)
    record_project_change(session, project, "updated")
    await recheck_county(session, project.county_code)
    return await project_out(session, project, principal)
