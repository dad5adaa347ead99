"""Who asks the registry: the principal of the caller's token (the public without one), a
machine's scopes, and what is passed on to the services with each call."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from common.auth import Principal, Role, sign_in_required
from gateway.auth import authenticate
from gateway.identity.dependencies import bearer


@dataclass(frozen=True)
class Caller:
    principal: Principal
    scopes: frozenset[str] | None  # a machine's granted scopes; None for people
    request_id: str
    language: str | None

    @property
    def scope_key(self) -> str:
        """What the services' answers depend on: the role and what it acts on, and a
        machine's scopes — not who the person is, so officials of one county share a
        cached record."""
        p = self.principal
        scopes = ",".join(sorted(self.scopes)) if self.scopes is not None else "-"
        return "|".join(
            [
                p.role.value,
                p.division or "",
                p.station or "",
                p.carrier or "",
                p.organiser or "",
                scopes,
            ]
        )


async def _caller(request: Request, _: Annotated[str | None, Depends(bearer)]) -> Caller:
    principal = authenticate(request)
    request.state.principal = principal
    return Caller(
        principal=principal,
        scopes=getattr(request.state, "scopes", None),
        request_id=request.state.request_id,
        language=request.headers.get("accept-language"),
    )


CallerDep = Annotated[Caller, Depends(_caller)]


async def _signed_in(caller: CallerDep) -> Caller:
    if caller.principal.role is Role.PUBLIC:
        raise sign_in_required("read this", "查看此内容")
    return caller


SignedInCallerDep = Annotated[Caller, Depends(_signed_in)]
