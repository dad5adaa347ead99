"""Alembic environment shared by the sections (stations, logistics, training, programme,
gateway).

The section name picks the component: its metadata, its schema, and a version table inside
that schema. Autogenerate looks only at that schema, so it never proposes to drop PostGIS's
own tables (``public.spatial_ref_sys``, ``tiger``, ``topology``) or another component's.
"""

import asyncio
import importlib
import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from common.migrations import LIBRARY_TABLES
from common.settings import DEV_DATABASE_URL, async_database_url

config = context.config
component = config.config_ini_section
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

MODELS = {
    "stations": "services.stations.models",
    "logistics": "services.logistics.models",
    "training": "services.training.models",
    "programme": "services.programme.models",
    "gateway": "gateway.models",
}
if component not in MODELS:
    raise SystemExit(f"unknown section {component!r}: use --name {' | '.join(MODELS)}")
target_metadata = importlib.import_module(MODELS[component]).Base.metadata
schema = component


def database_url() -> str:
    return async_database_url(
        config.attributes.get("database_url")
        or os.environ.get(f"{component.upper()}_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or DEV_DATABASE_URL
    )


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    if type_ == "schema":
        return name == schema
    return parent_names.get("schema_name", schema) == schema


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table" and (name == "alembic_version" or name in LIBRARY_TABLES.get(schema, ())):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def configure(connection: Connection | None = None, **kwargs: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_name=include_name,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
        **kwargs,
    )


def run_offline() -> None:
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run(connection: Connection) -> None:
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(do_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
