from collections.abc import AsyncIterator

import httpx
import pytest

from common.auth import Principal, Role
from common.db import make_engine, make_sessionmaker
from gateway.auth import mint_user_token
from gateway.jobs import JobContext
from gateway.settings import GatewaySettings
from tests.deliveries.support import FakeClock
from tests.support import JWT_SECRET, app_client

ADMIN = Principal(subject="admin:reports-test", role=Role.ADMIN)
# A platform that never answers times out after this: the bound, not the machine's speed,
# decides (the receiver waits an hour).
HTTP_TIMEOUT = 1.0


@pytest.fixture(scope="session")
def settings(database_url: str) -> GatewaySettings:
    return GatewaySettings(database_url=database_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def ctx(settings: GatewaySettings, clock: FakeClock) -> AsyncIterator[JobContext]:
    engine = make_engine(settings.database_url, application_name="test-deliveries", pool_size=2)
    async with httpx.AsyncClient(timeout=httpx.Timeout(HTTP_TIMEOUT)) as http:
        yield JobContext(settings, make_sessionmaker(engine), http, clock)
    await engine.dispose()


@pytest.fixture(scope="session")
async def gateway(settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.app import create

    app = create(settings)
    async with app_client(app) as client:
        yield client


def headers(principal: Principal = ADMIN, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_user_token(principal, secret=JWT_SECRET)}", **extra}
