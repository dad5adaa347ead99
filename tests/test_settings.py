"""Settings: one class per component with its env prefix, refusing development secrets
anywhere but in development, and reading DATABASE_URL in every form it comes in."""

import pytest
from pydantic import ValidationError

from common.settings import (
    DEV_INTERNAL_SECRET,
    async_database_url,
    plain_database_url,
)
from gateway.settings import DEV_JWT_SECRET, GatewaySettings
from services.logistics.settings import LogisticsSettings
from services.stations.settings import StationsSettings
from services.training.settings import TrainingSettings

SERVICE_SETTINGS = (StationsSettings, LogisticsSettings, TrainingSettings, GatewaySettings)
STRONG = "s3cret-with-enough-entropy-0123456789abcdef"


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No secret, environment or database in the environment: the classes' own defaults."""
    for name in ("RURALNET_ENV", "RURALNET_INTERNAL_SECRET", "GATEWAY_JWT_SECRET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("settings_class", SERVICE_SETTINGS)
def test_development_defaults_work_in_development(
    bare_env: pytest.MonkeyPatch, settings_class: type[StationsSettings]
) -> None:
    settings = settings_class()
    assert settings.environment == "development"
    assert settings.internal_secret.get_secret_value() == DEV_INTERNAL_SECRET
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1:54329/ruralnet"
    assert settings.json_logs is False


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize("settings_class", SERVICE_SETTINGS)
def test_the_default_internal_secret_is_refused_elsewhere(
    bare_env: pytest.MonkeyPatch, settings_class: type[StationsSettings], environment: str
) -> None:
    bare_env.setenv("GATEWAY_JWT_SECRET", STRONG)
    bare_env.setenv("RURALNET_ENV", environment)
    with pytest.raises(ValidationError, match="internal_secret still has its development"):
        settings_class()


def test_the_default_user_token_secret_is_refused_in_production(
    bare_env: pytest.MonkeyPatch,
) -> None:
    bare_env.setenv("RURALNET_INTERNAL_SECRET", STRONG)
    with pytest.raises(ValidationError, match="jwt_secret still has its development"):
        GatewaySettings(environment="production")
    bare_env.setenv("GATEWAY_JWT_SECRET", DEV_JWT_SECRET)
    with pytest.raises(ValidationError, match="jwt_secret"):
        GatewaySettings(environment="production")
    bare_env.setenv("GATEWAY_JWT_SECRET", STRONG)
    assert GatewaySettings(environment="production").json_logs is True


@pytest.mark.parametrize("weak", ["", "changeme", "x" * 31])
def test_a_short_secret_is_refused_in_production(bare_env: pytest.MonkeyPatch, weak: str) -> None:
    """An HS256 key anyone can guess is no better than the default."""
    bare_env.setenv("RURALNET_INTERNAL_SECRET", weak)
    with pytest.raises(ValidationError, match="at least 32"):
        StationsSettings(environment="production")
    bare_env.setenv("RURALNET_INTERNAL_SECRET", STRONG)
    bare_env.setenv("GATEWAY_JWT_SECRET", weak)
    with pytest.raises(ValidationError, match="jwt_secret"):
        GatewaySettings(environment="production")


def test_production_with_real_secrets(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("RURALNET_ENV", "production")
    bare_env.setenv("RURALNET_INTERNAL_SECRET", STRONG)
    bare_env.setenv("GATEWAY_JWT_SECRET", STRONG[::-1])
    for settings_class in SERVICE_SETTINGS:
        settings = settings_class()
        assert settings.environment == "production"
        assert settings.internal_secret.get_secret_value() == STRONG
        assert STRONG not in repr(settings)


def test_an_unknown_environment_is_refused(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("RURALNET_ENV", "staging")
    with pytest.raises(ValidationError, match="environment"):
        StationsSettings()


def test_the_prefixed_variable_wins_for_its_component(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("DATABASE_URL", "postgres://shared@db:5432/ruralnet")
    bare_env.setenv("STATIONS_DATABASE_URL", "postgres://stations@db:5432/ruralnet")
    bare_env.setenv("TRAINING_DB_POOL_SIZE", "3")
    assert StationsSettings().database_url == "postgresql+asyncpg://stations@db:5432/ruralnet"
    assert LogisticsSettings().database_url == "postgresql+asyncpg://shared@db:5432/ruralnet"
    assert TrainingSettings().db_pool_size == 3
    assert StationsSettings().db_pool_size == 10


def test_the_gateway_reads_service_urls_from_its_prefix(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("GATEWAY_STATIONS_URL", "http://stations:8001/")
    bare_env.setenv("GATEWAY_LOGISTICS_URL", "http://logistics:8002")
    bare_env.setenv("GATEWAY_UPSTREAM_TIMEOUT", "2.5")
    settings = GatewaySettings()
    assert settings.service_urls() == {
        "stations": "http://stations:8001",
        "logistics": "http://logistics:8002",
        "training": "http://127.0.0.1:8003",
        "programme": "http://127.0.0.1:8004",
    }
    assert settings.upstream_timeout == 2.5
    bare_env.setenv("GATEWAY_TRAINING_URL", "not a url")
    with pytest.raises(ValidationError, match="training_url"):
        GatewaySettings()


@pytest.mark.parametrize(
    ("given", "asyncpg_url", "libpq_url"),
    [
        (
            "postgres://u:p@db:5432/ruralnet",
            "postgresql+asyncpg://u:p@db:5432/ruralnet",
            "postgresql://u:p@db:5432/ruralnet",
        ),
        (
            "postgresql://u@127.0.0.1/ruralnet?sslmode=require",
            "postgresql+asyncpg://u@127.0.0.1/ruralnet?sslmode=require",
            "postgresql://u@127.0.0.1/ruralnet?sslmode=require",
        ),
        (
            "postgresql+asyncpg://u@db/x",
            "postgresql+asyncpg://u@db/x",
            "postgresql://u@db/x",
        ),
    ],
)
def test_database_url_forms_are_normalised(given: str, asyncpg_url: str, libpq_url: str) -> None:
    assert async_database_url(given) == asyncpg_url
    assert plain_database_url(given) == libpq_url
    assert StationsSettings(database_url=given).database_url == asyncpg_url


@pytest.mark.parametrize("given", ["mysql://u@db/x", "sqlite:///ruralnet.db", "db:5432/ruralnet"])
def test_a_database_that_is_not_postgres_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        async_database_url(given)
    with pytest.raises(ValidationError, match="not a PostgreSQL URL"):
        StationsSettings(database_url=given)


def test_a_refused_database_url_does_not_leak_its_password() -> None:
    with pytest.raises(ValidationError) as caught:
        StationsSettings(database_url="mysql://root:hunter2@db/x")
    assert "hunter2" not in str(caught.value)
