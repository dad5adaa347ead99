"""What the registry keeps for the life of a gateway process, made in its lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from gateway.registry.records.cache import RecordCache
from gateway.registry.upstream import Upstream, registry_upstream
from gateway.settings import GatewaySettings


@dataclass
class Registry:
    upstream: Upstream
    records: RecordCache


@asynccontextmanager
async def registry_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: GatewaySettings = app.state.settings
    async with registry_upstream(app) as upstream:
        app.state.registry = Registry(
            upstream=upstream,
            records=RecordCache(settings.registry_cache_seconds, settings.registry_cache_entries),
        )
        yield


async def _registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(_registry)]
