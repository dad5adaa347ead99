"""A scratch database for the identity benchmarks: the gateway's schema, migrated, and one
account to sign in as."""

import asyncio
import os

from alembic import command

from bench.national import bench_url, sibling_url
from common.migrations import alembic_config
from ruralnet.devdb import Cluster, ensure_database

DATABASE = "ruralnet_bench_identity"
PHONE = "13800138000"
PASSWORD = "bench village phrase 1"


async def prepare(env: dict[str, str]) -> str:
    """The database URL, with the gateway migrated and an admin (``PHONE``/``PASSWORD``)
    created by the real code, hashed with the Argon2 settings in ``env``."""
    from gateway.identity.users.bootstrap import create_admin
    from gateway.settings import GatewaySettings

    if not os.environ.get("BENCH_DATABASE_URL"):
        Cluster().start()  # a no-op when it runs
    url = sibling_url(bench_url(), DATABASE)
    await ensure_database(url, fresh=True)
    config = alembic_config("gateway", url)
    config.attributes["skip_logging"] = True
    await asyncio.to_thread(command.upgrade, config, "head")
    settings = GatewaySettings(
        database_url=url,
        **{
            k.removeprefix("GATEWAY_").lower(): v
            for k, v in env.items()
            if k.startswith("GATEWAY_ARGON2")
        },
    )
    await create_admin(settings, url, PHONE, "bench", PASSWORD)
    return url
