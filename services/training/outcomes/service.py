"""Rules of post-training follow-ups (培训后服务, Shanxi 2017: 完善培训后服务机制).

- Only for a trainee who was trained (``not_trained``, 409), not before the first day of
  training (``before_training``) nor in the future (``future_outcome``), 422.
- An online shop names its platform, a station operator the station, online sales the
  amount (``outcome_detail_required``, 422).
- Who: officials of the residence, admins, and the organiser of a session the trainee
  attended (its follow-up visits, 回访).
- The change feed gets kind, date, county and source: never the person or the shop.
"""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.changefeed import record_change
from common.errors import Conflict, Unprocessable
from services.training import authz
from services.training.changes.models import TrainingChangeEvent
from services.training.outcomes import repository
from services.training.outcomes.models import Outcome, OutcomeKind
from services.training.outcomes.schemas import OutcomeIn, OutcomeOut
from services.training.trainees import repository as trainees_repository
from services.training.trainees import service as trainees

TOPIC = "outcome"
_NEEDS = {
    OutcomeKind.ONLINE_SHOP: ("platform", "网店所在平台"),
    OutcomeKind.STATION_OPERATOR: ("station_code", "服务站点编码"),
    OutcomeKind.ONLINE_SALES: ("sales_amount", "网络销售额"),
}


def outcome_out(row: Outcome) -> OutcomeOut:
    return OutcomeOut.model_validate(row, from_attributes=True)


async def record(
    session: AsyncSession, principal: Principal, trainee_id: int, body: OutcomeIn, *, today: date
) -> Outcome:
    trainee = await trainees.get_trainee(session, trainee_id, lock=True)
    authz.require_role(
        principal, authz.SESSION_WRITERS, doing="record outcomes", doing_zh="登记培训后服务"
    )
    if principal.role is Role.ORGANISER:
        _, organisers = await trainees_repository.scope_of(session, trainee.id)
        if principal.organiser not in organisers:
            raise authz.forbidden_personal(principal)
    else:
        authz.require_official(
            principal, trainee.residence_code, doing="record outcomes", doing_zh="登记培训后服务"
        )
    needed = _NEEDS.get(body.kind)
    if needed is not None and getattr(body, needed[0]) is None:
        raise Unprocessable(
            f"a {body.kind} outcome names its {needed[0]}",
            detail_zh=f"请填写{needed[1]}",
            code="outcome_detail_required",
            field=needed[0],
        )
    if body.occurred_on > today:
        raise Unprocessable(
            f"{body.occurred_on} is in the future",
            detail_zh=f"{body.occurred_on} 尚未到来",
            code="future_outcome",
            field="occurred_on",
        )
    first = await repository.first_training_day(session, trainee.id)
    if first is None:
        raise Conflict(
            f"trainee {trainee.id} has attended no session; outcomes follow training",
            detail_zh=f"学员 {trainee.id} 尚未参加培训,不能登记培训后服务",
            code="not_trained",
            field="trainee_id",
            location="path",
        )
    if body.occurred_on < first:
        raise Unprocessable(
            f"{body.occurred_on} is before the trainee's first day of training ({first})",
            detail_zh=f"{body.occurred_on} 早于该学员首次参加培训的日期 {first}",
            code="before_training",
            field="occurred_on",
        )
    row = Outcome(trainee_id=trainee.id, recorded_by=principal.subject, **body.model_dump())
    await repository.add(session, row)
    record_change(
        session,
        TrainingChangeEvent,
        topic=TOPIC,
        key=str(row.id),
        action="recorded",
        version=1,
        payload={
            "id": row.id,
            "kind": row.kind,
            "occurred_on": row.occurred_on.isoformat(),
            "county_code": trainee.residence_code[:6],
            "source": row.source,
        },
    )
    return row
