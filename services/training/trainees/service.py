"""Rules of trainees (学员) and their personal data (PIPL; ADR 0030).

- The resident ID number is checked by its check digit and birth date; an unknown
  birthplace code is only a warning. Sex and birth year come from the number.
- One person, one record: a second registration of an ID number is 409 ``trainee_exists``
  naming the existing trainee (found by the blind index, under every key of the ring).
- The residence is a village-level division code.
- Name, phone and ID number are in clear for the trainee's scope only (``authz.in_scope``),
  masked for everyone else; the ID number is decrypted only for that scope.
- Export gives everything held about the person; erasure removes every personal field and
  keeps residence and categories, so people-times and distinct persons stay as they were.
"""

from datetime import datetime

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.errors import Conflict, NotFound
from common.etag import check_if_match
from common.fieldcrypt import FieldCipher, FieldCryptoError
from common.identifiers import ResidentId, mask_name, mask_phone, mask_resident_id
from common.logging import get_logger
from services.training import authz, checks, divisions
from services.training.attendance.repository import raw_connection
from services.training.base import ID_NUMBER_CONTEXT
from services.training.tallies import repository as tallies
from services.training.trainees import repository
from services.training.trainees.models import Trainee
from services.training.trainees.schemas import (
    AttendanceItem,
    ErasureOut,
    OutcomeItem,
    SubsidyItem,
    TraineeExport,
    TraineeIn,
    TraineeOut,
    TraineePatch,
)

KEPT_AFTER_ERASURE = [
    "residence_code",
    "categories",
    "attendance (anonymous)",
    "outcome kinds and dates",
]


def cipher(request: Request) -> FieldCipher:
    return request.app.state.field_cipher


def trainee_not_found(
    trainee_id: int, *, field: str = "trainee_id", location: str = "path"
) -> NotFound:
    return NotFound(
        f"no trainee {trainee_id}",
        detail_zh=f"学员 {trainee_id} 不存在",
        code="trainee_not_found",
        field=field,
        location=location,
    )


def exists_problem(existing_id: int, field: str = "id_number") -> Conflict:
    return Conflict(
        f"this ID number is already registered as trainee {existing_id}; one person has one "
        "record: use that trainee",
        detail_zh=f"该身份证号码已登记为学员 {existing_id},同一人只登记一次",
        code="trainee_exists",
        field=field,
        existing_trainee_id=existing_id,
    )


def encrypted_fields(fields: FieldCipher, rid: ResidentId) -> dict[str, object]:
    return {
        "id_number_cipher": fields.encrypt(rid.number, context=ID_NUMBER_CONTEXT),
        "id_number_index": fields.blind_index(rid.number, context=ID_NUMBER_CONTEXT),
        "id_number_mask": mask_resident_id(rid.number),
        "key_id": fields.current_key_id,
        "sex": rid.sex,
        "birth_date": rid.birth_date,
        "birth_year": rid.birth_date.year,
    }


log = get_logger(__name__)
UNREADABLE_ID_NUMBER = {
    "code": "id_number_unreadable",
    "field": "id_number",
    "detail": "the stored ID number cannot be decrypted with the configured keys "
    "(TRAINING_FIELD_KEYS); it is shown masked",
    "detail_zh": "已存身份证号无法用当前配置的密钥解密,仅显示脱敏号码",
}


def require_lister(principal: Principal, prefix: str) -> None:
    """Who may list the trainees residing under ``prefix``: admins, officials over it."""
    if principal.role is not Role.ADMIN:
        authz.require_official(
            principal, prefix.ljust(12, "0"), doing="list trainees", doing_zh="查看学员名单"
        )


def trainee_out(
    row: Trainee,
    *,
    clear: bool,
    fields: FieldCipher | None = None,
    warnings: list[dict[str, str]] | None = None,
) -> TraineeOut:
    erased = row.erased_at is not None
    id_number = row.id_number_mask
    if clear and fields is not None and row.id_number_cipher is not None:
        try:
            id_number = fields.decrypt(row.id_number_cipher, context=ID_NUMBER_CONTEXT)
        except FieldCryptoError as e:
            # A key taken out of TRAINING_FIELD_KEYS before a rotation finished, or a value
            # that does not authenticate: the record is still shown, masked, and said so.
            log.error("trainee id number cannot be decrypted", trainee=row.id, error=str(e))
            warnings = [*(warnings or []), UNREADABLE_ID_NUMBER]
    return TraineeOut(
        id=row.id,
        masked=not clear,
        id_number=id_number,
        name=row.name if clear else mask_name(row.name),
        phone=row.phone if clear else mask_phone(row.phone),
        sex=row.sex if clear else None,
        birth_year=row.birth_year if clear else None,
        residence_code=row.residence_code,
        categories=row.categories,
        version=row.version,
        created_at=row.created_at,
        erased=erased,
        warnings=warnings,
    )


async def get_trainee(session: AsyncSession, trainee_id: int, *, lock: bool = False) -> Trainee:
    row = await repository.get(session, trainee_id, lock=lock)
    if row is None:
        raise trainee_not_found(trainee_id)
    return row


async def sees_in_clear(session: AsyncSession, principal: Principal, row: Trainee) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.OFFICIAL and authz.in_scope(principal, row.residence_code):
        return True
    places, organisers = await repository.scope_of(session, row.id)
    return authz.in_scope(principal, row.residence_code, places, organisers)


async def find_by_number(session: AsyncSession, fields: FieldCipher, number: str) -> Trainee | None:
    return await repository.by_index(
        session, fields.blind_indexes(number, context=ID_NUMBER_CONTEXT)
    )


async def register(
    session: AsyncSession, principal: Principal, fields: FieldCipher, body: TraineeIn
) -> tuple[Trainee, list[dict[str, str]]]:
    rid = checks.resident_id(body.id_number)
    residence = checks.village_code(body.residence_code, "residence_code")
    authz.require_official(principal, residence, doing="register trainees", doing_zh="登记学员")
    await divisions.require(session, residence, divisions.RESIDENCE, "residence_code")
    phone = checks.phone(body.phone) if body.phone else None
    await repository.lock_index(session, fields.blind_index(rid.number, context=ID_NUMBER_CONTEXT))
    existing = await find_by_number(session, fields, rid.number)
    if existing is not None:
        raise exists_problem(existing.id)
    row = Trainee(
        **encrypted_fields(fields, rid),
        name=body.name,
        phone=phone,
        residence_code=residence,
        categories=sorted({str(c) for c in body.categories}),
        version=1,
        created_by=principal.subject,
    )
    await repository.add(session, row)
    warnings = []
    if not rid.birthplace_known:
        warnings.append(
            {
                "code": "unknown_birthplace",
                "field": "id_number",
                "detail": "the birthplace code of this ID number is not in the list of its "
                "birth year (a retired county code?); the number was accepted",
            }
        )
    return row, warnings


def _require_erasable(row: Trainee) -> None:
    if row.erased_at is not None:
        raise Conflict(
            f"trainee {row.id} was erased; nothing personal is held any more",
            detail_zh=f"学员 {row.id} 的个人信息已删除",
            code="trainee_erased",
            field="trainee_id",
            location="path",
        )


async def update_trainee(
    session: AsyncSession,
    principal: Principal,
    trainee_id: int,
    patch: TraineePatch,
    if_match: str | None,
) -> Trainee:
    row = await get_trainee(session, trainee_id, lock=True)
    authz.require_official(
        principal, row.residence_code, doing="change trainees", doing_zh="修改学员信息"
    )
    check_if_match(if_match, row.version)
    _require_erasable(row)
    changes = patch.model_dump(exclude_unset=True)
    residence = row.residence_code
    if changes.get("residence_code") is not None:
        residence = checks.village_code(patch.residence_code or "", "residence_code")
        await divisions.require(session, residence, divisions.RESIDENCE, "residence_code")
        authz.require_official(
            principal, residence, doing="change trainees", doing_zh="修改学员信息"
        )
    categories = row.categories
    if patch.categories is not None:
        categories = sorted({str(c) for c in patch.categories})
    phone = row.phone
    if "phone" in changes:
        phone = checks.phone(patch.phone) if patch.phone else None
    counted = (residence, list(categories)) != (row.residence_code, list(row.categories))
    if counted:  # out of the roll-ups under what they counted, back in under the new
        await tallies.withdraw(await raw_connection(session), [row.id])
    row.residence_code = residence
    row.categories = categories
    row.phone = phone
    if changes.get("name") is not None:
        row.name = patch.name
    row.version += 1
    row.updated_at = await _now(session)
    await session.flush()
    if counted:
        await tallies.deposit(await raw_connection(session), [row.id])
    return row


async def _now(session: AsyncSession) -> datetime:
    from services.training.subsidies.repository import transaction_now

    return await transaction_now(session)


async def export(
    session: AsyncSession, principal: Principal, fields: FieldCipher, trainee_id: int
) -> TraineeExport:
    row = await get_trainee(session, trainee_id)
    authz.require_official(
        principal, row.residence_code, doing="export a trainee's data", doing_zh="导出学员信息"
    )
    outcomes = await repository.outcomes_of(session, row.id)
    return TraineeExport(
        trainee=trainee_out(row, clear=True, fields=fields),
        birth_date=row.birth_date,
        created_by=row.created_by,
        updated_at=row.updated_at,
        attendance=[
            AttendanceItem(
                session_id=a.session_id,
                day=a.day,
                part=a.part,
                recorded_by=a.recorded_by,
                recorded_at=a.recorded_at,
            )
            for a in await repository.attendance_of(session, row.id)
        ],
        outcomes=[
            OutcomeItem(
                id=o.id,
                kind=o.kind,
                occurred_on=o.occurred_on,
                source=o.source,
                details={
                    k: v
                    for k, v in {
                        "platform": o.platform,
                        "shop_name": o.shop_name,
                        "shop_url": o.shop_url,
                        "station_code": o.station_code,
                        "employer": o.employer,
                        "sales_amount": str(o.sales_amount) if o.sales_amount is not None else None,
                        "note": o.note,
                        "recorded_by": o.recorded_by,
                    }.items()
                    if v is not None
                },
            )
            for o in outcomes
        ],
        subsidies=[
            SubsidyItem(session_id=r.session_id, amount=r.amount)
            for r in await repository.subsidies_of(session, row.id)
        ],
        exported_at=await _now(session),
    )


async def erase(session: AsyncSession, principal: Principal, trainee_id: int) -> ErasureOut:
    row = await get_trainee(session, trainee_id, lock=True)
    authz.require_official(
        principal, row.residence_code, doing="erase a trainee", doing_zh="删除学员信息"
    )
    _require_erasable(row)
    await repository.erase(session, row, principal.subject)
    assert row.erased_at is not None
    return ErasureOut(id=row.id, erased_at=row.erased_at, kept=KEPT_AFTER_ERASURE)


async def register_from_sign_in(
    session: AsyncSession, principal: Principal, fields: FieldCipher, body: TraineeIn
) -> tuple[Trainee, list[dict[str, str]]]:
    """A person new at a sign-in, registered by whoever may record the attendance (the
    session's organiser too): the rules of ``register`` less the residence scope."""
    rid = checks.resident_id(body.id_number, "trainee.id_number")
    residence = checks.village_code(body.residence_code, "trainee.residence_code")
    await divisions.require(session, residence, divisions.RESIDENCE, "trainee.residence_code")
    phone = checks.phone(body.phone, "trainee.phone") if body.phone else None
    await repository.lock_index(session, fields.blind_index(rid.number, context=ID_NUMBER_CONTEXT))
    existing = await find_by_number(session, fields, rid.number)
    if existing is not None:
        return existing, []
    row = Trainee(
        **encrypted_fields(fields, rid),
        name=body.name,
        phone=phone,
        residence_code=residence,
        categories=sorted({str(c) for c in body.categories}),
        version=1,
        created_by=principal.subject,
    )
    await repository.add(session, row)
    return row, []
