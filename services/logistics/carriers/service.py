"""Rules of the carrier catalogue.

- Our code is stable and never reused; aggregator codes (kuaidi100, kdniao) are aliases.
  An upload may name a carrier by any of them, whatever the case: each lower-cased key
  names at most one carrier (checked whenever a code or alias is added).
- Admins add carriers and set kind, activity and aliases; a carrier's integration updates
  the rest of its own record. Every change is versioned (``If-Match``) and on the feed.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.authz import require_role
from common.changefeed import record_change
from common.errors import Conflict, Forbidden, NotFound, Problem, Unprocessable
from common.etag import check_if_match
from common.pagination import PageParams
from services.logistics.carriers import repository
from services.logistics.carriers.models import AliasScheme, Carrier, CarrierAlias, CarrierKind
from services.logistics.carriers.schemas import (
    ADMIN_FIELDS,
    CarrierCreate,
    CarrierOut,
    CarrierPatch,
)
from services.logistics.changes.models import LogisticsChangeEvent

TOPIC = "carrier"


def carrier_not_found(code: str, *, location: str = "path") -> NotFound:
    return NotFound(
        f"no carrier {code}",
        detail_zh=f"没有快递公司 {code}",
        code="carrier_not_found",
        field="code",
        location=location,
    )


async def get_carrier(session: AsyncSession, code: str) -> Carrier:
    carrier = await repository.by_code(session, code)
    if carrier is None:
        raise carrier_not_found(code)
    return carrier


async def carrier_out(session: AsyncSession, carrier: Carrier) -> CarrierOut:
    [out] = await carriers_out(session, [carrier])
    return out


async def carriers_out(session: AsyncSession, carriers: Sequence[Carrier]) -> list[CarrierOut]:
    by_carrier: dict[int, dict[AliasScheme, list[str]]] = defaultdict(dict)
    for alias in await repository.aliases_of(session, [c.id for c in carriers]):
        by_carrier[alias.carrier_id].setdefault(AliasScheme(alias.scheme), []).append(alias.alias)
    return [
        CarrierOut(
            code=c.code,
            name_zh=c.name_zh,
            name_en=c.name_en,
            kind=CarrierKind(c.kind),
            credit_code=c.credit_code,
            service_phone=c.service_phone,
            website=c.website,
            active=c.active,
            aliases=by_carrier.get(c.id, {}),
            version=c.version,
            updated_at=c.updated_at,
        )
        for c in carriers
    ]


async def list_carriers(
    session: AsyncSession, params: PageParams, *, kind: CarrierKind | None, active: bool | None
) -> list[Carrier]:
    return await repository.list_carriers(
        session, params, kind=str(kind) if kind else None, active=active
    )


# --- resolving what an upload names ----------------------------------------------------------


@dataclass(frozen=True)
class ResolvedCarrier:
    id: int
    code: str


class CarrierResolver:
    """Our codes and every alias, read once per request, resolving names without a query."""

    def __init__(self, table: Iterable[tuple[str, int, str, bool]]) -> None:
        self._keys = {key: (cid, code, active) for key, cid, code, active in table}
        # An upload names the same few carriers 100,000 times: each answer is made once.
        self._answers: dict[tuple[str, str], ResolvedCarrier | Problem] = {}

    @classmethod
    async def load(cls, session: AsyncSession) -> "CarrierResolver":
        return cls(await repository.resolution_table(session))

    def resolve(self, name: str, *, field: str = "carrier") -> ResolvedCarrier | Problem:
        known = self._answers.get((name, field))
        if known is None:
            known = self._answers[(name, field)] = self._resolve(name, field)
        return known

    def _resolve(self, name: str, field: str) -> ResolvedCarrier | Problem:
        found = self._keys.get(name.strip().lower())
        if found is None:
            return Unprocessable(
                f"unknown carrier {name!r}: use our code (GET /v1/carriers) or a kuaidi100 "
                "or kdniao code",
                detail_zh=f"未知的快递公司 {name!r}:请使用本系统代码或快递100、快递鸟的公司编码",
                code="unknown_carrier",
                field=field,
            )
        cid, code, active = found
        if not active:
            return Unprocessable(
                f"carrier {code} is no longer active",
                detail_zh=f"快递公司 {code} 已停用",
                code="carrier_inactive",
                field=field,
            )
        return ResolvedCarrier(cid, code)

    def code_of(self, carrier_id: int) -> str:
        return next(code for cid, code, _ in self._keys.values() if cid == carrier_id)


# --- writing ---------------------------------------------------------------------------------


def _alias_rows(carrier_id: int, aliases: dict[AliasScheme, list[str]]) -> list[CarrierAlias]:
    rows: dict[tuple[str, str], CarrierAlias] = {}
    for scheme, names in aliases.items():
        for name in names:
            key = (str(scheme), name.lower())
            rows[key] = CarrierAlias(
                scheme=str(scheme), alias_key=name.lower(), alias=name, carrier_id=carrier_id
            )
    return list(rows.values())


async def _require_free(session: AsyncSession, keys: Sequence[str], *, besides: int | None) -> None:
    taken = await repository.keys_taken(session, sorted(set(keys)), besides=besides)
    if taken:
        names = ", ".join(f"{key} ({code})" for key, code in taken)
        raise Conflict(
            f"already naming another carrier: {names}",
            detail_zh=f"以下代码已用于其他快递公司:{names}",
            code="carrier_code_taken",
            field="aliases",
            taken=[key for key, _ in taken],
        )


def _publish(session: AsyncSession, out: CarrierOut, action: str) -> None:
    record_change(
        session,
        LogisticsChangeEvent,
        topic=TOPIC,
        key=out.code,
        action=action,
        version=out.version,
        payload=out.model_dump(mode="json"),
    )


async def create_carrier(
    session: AsyncSession, principal: Principal, body: CarrierCreate
) -> CarrierOut:
    require_role(principal, {Role.ADMIN}, doing="add carriers", doing_zh="新增快递公司")
    await repository.lock_catalogue(session)
    names = [name.lower() for names in body.aliases.values() for name in names]
    await _require_free(session, [body.code, *names], besides=None)
    carrier = Carrier(
        code=body.code,
        name_zh=body.name_zh,
        name_en=body.name_en,
        kind=str(body.kind),
        credit_code=body.credit_code,
        service_phone=body.service_phone,
        website=body.website,
        active=True,
        bundled=False,
        version=1,
        updated_by=principal.subject,
    )
    await repository.add(session, carrier)
    await repository.replace_aliases(session, carrier.id, _alias_rows(carrier.id, body.aliases))
    await session.refresh(carrier)
    out = await carrier_out(session, carrier)
    _publish(session, out, "created")
    return out


def _authorize_update(principal: Principal, carrier: Carrier, patch: CarrierPatch) -> None:
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.CARRIER and principal.carrier == carrier.code:
        admin_only = sorted(ADMIN_FIELDS & patch.model_fields_set)
        if admin_only:
            raise Forbidden(
                f"only admins change {', '.join(admin_only)}",
                detail_zh=f"只有管理员可以修改 {', '.join(admin_only)}",
                code="admin_only_fields",
                field=admin_only[0],
            )
        return
    if principal.role is Role.CARRIER:
        raise Forbidden(
            f"carrier {principal.carrier} may change only its own record",
            detail_zh=f"快递公司 {principal.carrier} 只能修改本公司的信息",
            code="not_your_carrier",
        )
    require_role(principal, {Role.ADMIN}, doing="change carriers", doing_zh="修改快递公司信息")


async def update_carrier(
    session: AsyncSession,
    principal: Principal,
    code: str,
    patch: CarrierPatch,
    if_match: str | None,
) -> CarrierOut:
    carrier = await repository.by_code(session, code, lock=True)
    if carrier is None:
        raise carrier_not_found(code)
    _authorize_update(principal, carrier, patch)
    check_if_match(if_match, carrier.version)
    changes = patch.model_dump(exclude_unset=True)
    aliases = changes.pop("aliases", None)
    for name in ("name_zh", "name_en", "kind", "active"):
        if name in changes and changes[name] is None:
            raise Unprocessable(
                f"{name} cannot be emptied",
                detail_zh=f"{name} 不能为空",
                code="required",
                field=name,
            )
    for name, value in changes.items():
        setattr(carrier, name, str(value) if name == "kind" else value)
    if aliases is not None:
        await repository.lock_catalogue(session)
        parsed = (
            {AliasScheme(s): list(v) for s, v in patch.aliases.items()} if patch.aliases else {}
        )
        await _require_free(
            session, [n.lower() for names in parsed.values() for n in names], besides=carrier.id
        )
        await repository.replace_aliases(session, carrier.id, _alias_rows(carrier.id, parsed))
    carrier.version += 1
    carrier.updated_by = principal.subject
    carrier.updated_at = func.now()
    await session.flush()
    await session.refresh(carrier)
    out = await carrier_out(session, carrier)
    _publish(session, out, "updated")
    return out
