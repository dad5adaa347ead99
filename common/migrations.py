"""Where the Alembic configuration lives, and the head each component expects."""

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "migrations" / "alembic.ini"
COMPONENTS = ("stations", "logistics", "training", "programme", "gateway")
# Tables a library owns inside a component's schema: made by that component's migrations but
# absent from its models (the gateway's job queue, ADR 0080). Autogenerate leaves them alone;
# tests empty them between tests like any table a test writes.
LIBRARY_TABLES: dict[str, frozenset[str]] = {
    "gateway": frozenset({"pgqueuer", "pgqueuer_log", "pgqueuer_schedules", "pgqueuer_statistics"})
}


def alembic_config(component: str, database_url: str | None = None) -> Config:
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}; one of {', '.join(COMPONENTS)}")
    config = Config(str(ALEMBIC_INI), ini_section=component)
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


@cache
def migration_head(component: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(component)).get_current_head()
