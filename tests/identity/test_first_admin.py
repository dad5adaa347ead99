"""``ruralnet users create-admin``: the first admin, before anyone can sign in."""

import asyncpg
import pytest
from typer.testing import CliRunner

from ruralnet.cli import _say_how_to_create_the_first_admin, app


def test_create_admin_makes_an_account_that_can_sign_in(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _say_how_to_create_the_first_admin(database_url)
    assert "ruralnet users create-admin" in capsys.readouterr().out
    monkeypatch.setenv("RURALNET_ADMIN_PASSWORD", "first admin phrase 1")
    runner = CliRunner()
    args = ["users", "create-admin", "--phone", "13800009999", "--name", "系统管理员"]
    created = runner.invoke(app, args)
    assert created.exit_code == 0, created.output
    assert "admin user:" in created.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "exists already" in again.output
    monkeypatch.setenv("RURALNET_ADMIN_PASSWORD", "12345678")
    weak = runner.invoke(app, [*args[:3], "13800009998", *args[4:]])
    assert weak.exit_code == 2
    assert "common" in weak.output
    bad_phone = runner.invoke(app, [*args[:3], "12345", *args[4:]])
    assert bad_phone.exit_code == 2
    assert "--phone" in bad_phone.output
    assert "13800009999" not in created.output + again.output
    _say_how_to_create_the_first_admin(database_url)
    assert capsys.readouterr().out == ""


async def test_the_admin_is_in_the_database_without_its_phone(
    db: asyncpg.Pool, database_url: str
) -> None:
    from gateway.identity.users.bootstrap import create_admin
    from gateway.settings import GatewaySettings

    user_id = await create_admin(
        GatewaySettings(database_url=database_url), database_url, "13800009997", "管理员",
        "first admin phrase 2",
    )  # fmt: skip
    row = await db.fetchrow("SELECT * FROM gateway.user_account WHERE id = $1", user_id)
    assert row["role"] == "admin"
    assert row["created_by"] == "cli:create-admin"
    assert "13800009997" not in str(dict(row))
    assert row["phone_masked"] == "138****9997"
    assert row["password_hash"].startswith("$argon2id$")


def test_the_default_phone_index_key_is_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from gateway.identity.settings import DEV_PHONE_INDEX_KEY
    from gateway.settings import GatewaySettings

    monkeypatch.setenv("GATEWAY_PHONE_INDEX_KEY", DEV_PHONE_INDEX_KEY)
    with pytest.raises(ValidationError, match="phone_index_key still has its development"):
        GatewaySettings(environment="production")
    monkeypatch.setenv("GATEWAY_PHONE_INDEX_KEY", "short")
    with pytest.raises(ValidationError, match="phone_index_key must be at least 32"):
        GatewaySettings(environment="production")
