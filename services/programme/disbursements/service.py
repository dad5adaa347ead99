"""Rules of disbursements (资金拨付, docs/adr/0042-project-ledger.md).

- A payment is against one project and one source of its budget, dated inside the
  programme and not in the future, and never more than what is left of that source: the
  project's row is locked while it is checked, so two payments cannot both take the last
  yuan.
- Its voucher number (凭证号) is unique within the county: the same voucher sent twice is a
  409, so a re-sent finance export never counts twice.
- A station named must be one the project links (per-station caps are checked on it).
- Payments are never deleted; a mistaken one is cancelled with a reason and stops counting.
"""

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.changefeed import record_change
from common.errors import Conflict, NotFound, Unprocessable
from common.fields import format_yuan
from common.identifiers import mask_name, names_organisation
from common.months import china_today
from services.programme.changes.models import ProgrammeChangeEvent
from services.programme.disbursements import repository
from services.programme.disbursements.schemas import (
    DisbursementIn,
    DisbursementOut,
    DisbursementResult,
)
from services.programme.funds.check import recheck_county
from services.programme.ledger import repository as ledger
from services.programme.ledger.models import (
    SOURCE_ZH,
    Disbursement,
    FundSource,
    FundUse,
    Project,
    ProjectStatus,
)
from services.programme.ledger.schemas import SourceAmounts
from services.programme.projects import repository as projects
from services.programme.projects.service import amounts, authorize_write, get_project


def disbursement_out(
    row: Disbursement, project_code: str, *, sees_payee: bool = True
) -> DisbursementOut:
    """``sees_payee`` false (a caller who does not manage the county): a payee named as a
    person is masked, as a project's responsible person is; an organisation is not."""
    masked = not sees_payee and not names_organisation(row.payee)
    return DisbursementOut(
        id=row.id,
        project=project_code,
        county_code=row.county_code,
        paid_on=row.paid_on,
        amount=row.amount,
        source=FundSource(row.source),
        payee=mask_name(row.payee) if masked else row.payee,
        payee_masked=masked,
        voucher_number=row.voucher_number,
        use=FundUse(row.use) if row.use else None,
        station_code=row.station_code,
        note=row.note,
        cancelled=row.cancelled,
        cancel_reason=row.cancel_reason,
        version=row.version,
        recorded_at=row.recorded_at,
    )


def _event(session: AsyncSession, row: Disbursement, project_code: str, action: str) -> None:
    # No payee: it may be a person (a village point's operator paid directly).
    record_change(
        session,
        ProgrammeChangeEvent,
        topic="disbursement",
        key=str(row.id),
        action=action,
        version=row.version,
        payload={
            "id": row.id,
            "project": project_code,
            "county_code": row.county_code,
            "paid_on": row.paid_on.isoformat(),
            "amount": str(row.amount),
            "source": row.source,
            "voucher_number": row.voucher_number,
            "use": row.use,
            "station_code": row.station_code,
            "cancelled": row.cancelled,
        },
    )


async def _remaining(session: AsyncSession, project: Project) -> SourceAmounts:
    paid = (await projects.paid(session, [project.id])).get(project.id, projects.Paid())
    return amounts(
        project.budget_central - paid.central,
        project.budget_local - paid.local,
        project.budget_social - paid.social,
    )


async def record(
    session: AsyncSession,
    code: str,
    body: DisbursementIn,
    principal: Principal,
    *,
    recheck: bool = True,
) -> DisbursementResult:
    """Record a payment; ``recheck=False`` leaves the fund check to the caller (an upload
    checks the county once, after its last row)."""
    project = await get_project(session, code, for_update=True)
    authorize_write(principal, project.county_code)
    if project.status == ProjectStatus.CANCELLED.value:
        raise Conflict(
            f"project {code} is cancelled; nothing more is paid from it",
            detail_zh=f"项目 {code} 已撤销,不能再拨付资金",
            code="project_cancelled",
        )
    county = await ledger.county(session, project.county_code)
    assert county is not None
    if body.paid_on > china_today():
        raise Unprocessable(
            f"paid_on {body.paid_on} is in the future",
            detail_zh=f"拨付日期 {body.paid_on} 晚于今天",
            code="future_date",
            field="paid_on",
        )
    if body.paid_on < county.programme_start:
        raise Unprocessable(
            f"paid_on {body.paid_on} is before the programme started on {county.programme_start}",
            detail_zh=f"拨付日期 {body.paid_on} 早于示范项目开始日期 {county.programme_start}",
            code="before_programme",
            field="paid_on",
        )
    if (
        body.station_code is not None
        and await projects.station_link(session, project.id, body.station_code) is None
    ):
        raise Unprocessable(
            f"project {code} does not link station {body.station_code}; link it first",
            detail_zh=f"项目 {code} 未关联站点 {body.station_code}",
            code="station_not_in_project",
            field="station_code",
        )
    remaining = await _remaining(session, project)
    left: Decimal = getattr(remaining, body.source.value)
    if body.amount > left:
        raise Unprocessable(
            f"amount {format_yuan(body.amount)} is more than the {format_yuan(left)} left of "
            f"project {code}'s {body.source.value} budget",
            detail_zh=f"拨付金额 {format_yuan(body.amount)} 超过项目 {code} "
            f"{SOURCE_ZH[body.source]}剩余预算 {format_yuan(left)}",
            code="over_remaining_budget",
            field="amount",
            remaining=str(left),
        )
    if await repository.by_voucher(session, project.county_code, body.voucher_number):
        raise Conflict(
            f"voucher {body.voucher_number} is recorded already in this county",
            detail_zh=f"凭证号 {body.voucher_number} 已登记",
            code="voucher_exists",
            field="voucher_number",
        )
    row = Disbursement(
        project_id=project.id,
        county_code=project.county_code,
        paid_on=body.paid_on,
        amount=body.amount,
        source=body.source.value,
        payee=body.payee,
        voucher_number=body.voucher_number,
        use=body.use.value if body.use else None,
        station_code=body.station_code,
        note=body.note,
        version=1,
        recorded_by=principal.subject,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    _event(session, row, project.code, "recorded")
    if recheck:
        await recheck_county(session, project.county_code)
    return DisbursementResult(
        disbursement=disbursement_out(row, project.code),
        project_remaining=await _remaining(session, project),
    )


async def result(session: AsyncSession, disbursement_id: int) -> DisbursementResult:
    """A recorded payment as it is now, with what is left of its project (the replay of a
    retried ``record``: its idempotency record keeps only the id, since a payee may be a
    person, ADR 0016)."""
    row = await session.get(Disbursement, disbursement_id)
    assert row is not None  # payments are cancelled, never deleted
    project = await session.get(Project, row.project_id)
    assert project is not None
    return DisbursementResult(
        disbursement=disbursement_out(row, project.code),
        project_remaining=await _remaining(session, project),
    )


async def cancel(
    session: AsyncSession, disbursement_id: int, reason: str, principal: Principal
) -> DisbursementResult:
    row = await repository.for_update(session, disbursement_id)
    if row is None:
        raise NotFound(
            f"no disbursement {disbursement_id}",
            detail_zh=f"没有编号为 {disbursement_id} 的拨付记录",
            code="disbursement_not_found",
        )
    authorize_write(principal, row.county_code)
    project = await session.get(Project, row.project_id)
    assert project is not None
    if row.cancelled:
        raise Conflict(
            f"disbursement {disbursement_id} is cancelled already",
            detail_zh="该拨付记录已撤销",
            code="already_cancelled",
        )
    row.cancelled = True
    row.cancel_reason = reason
    row.version += 1
    await session.flush()
    await session.refresh(row)
    _event(session, row, project.code, "cancelled")
    await recheck_county(session, row.county_code)
    return DisbursementResult(
        disbursement=disbursement_out(row, project.code),
        project_remaining=await _remaining(session, project),
    )
