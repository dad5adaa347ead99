"""Who calls logistics, with a carrier named by our code.

A carrier's credentials may name it by an aggregator's code (the gateway's machine clients
take kuaidi100 codes such as ``zhongtong``, DESIGN.md's outline speaks of them too); every
rule here compares our codes. So the principal of a carrier is read through the alias table
once per request; one naming no carrier we know stays as it is and matches nothing.
"""

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, PrincipalDep, Role, SignedInDep
from common.db import SessionDep
from services.logistics.carriers.service import CarrierResolver, ResolvedCarrier


async def canonical(principal: Principal, session: AsyncSession) -> Principal:
    if principal.role is not Role.CARRIER or principal.carrier is None:
        return principal
    found = (await CarrierResolver.load(session)).resolve(principal.carrier)
    if isinstance(found, ResolvedCarrier) and found.code != principal.carrier:
        return principal.model_copy(update={"carrier": found.code})
    return principal


async def _caller(principal: PrincipalDep, session: SessionDep) -> Principal:
    return await canonical(principal, session)


async def _signed_in_caller(principal: SignedInDep, session: SessionDep) -> Principal:
    return await canonical(principal, session)


CallerDep = Annotated[Principal, Depends(_caller)]
SignedInCallerDep = Annotated[Principal, Depends(_signed_in_caller)]
