"""What identity keeps for the life of a gateway process, made in its lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.service_client import service_client
from gateway.identity.passwords import Passwords
from gateway.identity.phones import PhoneIndex
from gateway.identity.tokens import AccessTokens, Revocations, keep_revocations_fresh
from gateway.settings import GatewaySettings


@dataclass
class Identity:
    settings: GatewaySettings
    passwords: Passwords
    phone_index: PhoneIndex
    revocations: Revocations
    access_tokens: AccessTokens
    stations: httpx.AsyncClient
    # Transactions of their own, for what a failing request must still leave (ADR 0060).
    apart: async_sessionmaker[AsyncSession]

    @property
    def jwt_secret(self) -> str:
        return self.settings.jwt_secret.get_secret_value()


def make_identity(
    settings: GatewaySettings,
    sessionmaker: async_sessionmaker[AsyncSession],
    stations: httpx.AsyncClient,
) -> Identity:
    revocations = Revocations()
    return Identity(
        settings=settings,
        passwords=Passwords(settings),
        phone_index=PhoneIndex(settings.phone_index_key.get_secret_value()),
        revocations=revocations,
        access_tokens=AccessTokens(settings.jwt_secret.get_secret_value(), revocations),
        stations=stations,
        apart=sessionmaker,
    )


@asynccontextmanager
async def identity_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: GatewaySettings = app.state.settings
    async with service_client(
        settings.service_urls()["stations"],
        component="gateway",
        secret=settings.internal_secret.get_secret_value(),
        connect_timeout=settings.upstream_connect_timeout,
        read_timeout=10.0,
    ) as stations:
        identity = make_identity(settings, app.state.sessionmaker, stations)
        app.state.identity = identity
        app.state.access_tokens = identity.access_tokens
        async with keep_revocations_fresh(
            identity.revocations, app.state.sessionmaker, settings.revocation_refresh_seconds
        ):
            yield


async def get_identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


IdentityDep = Annotated[Identity, Depends(get_identity)]
