"""Routes every delivery destination (a report target, a webhook subscription) has in the
same shape, made once: rotating its signing secret. Each destination's router says who may
call it (its principal dependency), its path parameter and its refusals."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import SessionDep
from gateway.reports.deliveries import secrets
from gateway.reports.deliveries.schemas import NewSecret, SecretRotation
from gateway.reports.deliveries.secrets import Issued
from gateway.settings import GatewaySettings

Rotate = Callable[
    [AsyncSession, GatewaySettings, Principal, int, timedelta, datetime], Awaitable[Issued]
]


def secret_rotation_route(
    router: APIRouter,
    *,
    path: str,
    name: str,
    id_parameter: str,
    principal: Any,
    rotate: Rotate,
    description: str,
    responses: dict[int | str, dict[str, Any]],
) -> None:
    """``POST {path}`` (``…/{<id_parameter>}/secrets {overlap_hours}``) → 201 with the new
    ``whsec_`` secret, shown this once; ``principal`` is the Annotated dependency that lets
    the caller in, ``rotate`` the destination's own (it checks ownership and locks)."""
    destination_id = Annotated[int, Path(alias=id_parameter, ge=1, le=2**62, examples=[1])]

    @router.post(
        path,
        name=name,
        status_code=201,
        summary="Rotate the signing secret",
        description=description,
        response_model=NewSecret,
        responses=responses,
    )
    async def rotate_secret(
        request: Request,
        owner_id: destination_id,  # type: ignore[valid-type]
        body: SecretRotation,
        session: SessionDep,
        caller: principal,  # type: ignore[valid-type]
    ) -> NewSecret:
        issued = await rotate(
            session, request.app.state.settings, caller, owner_id,
            timedelta(hours=body.overlap_hours), datetime.now(UTC),
        )  # fmt: skip
        return secrets.shown_once(issued)
