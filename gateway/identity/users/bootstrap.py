"""The first admin, created from the command line (``ruralnet users create-admin``): before
it nobody can sign in to create anyone."""

from sqlalchemy.ext.asyncio import async_sessionmaker

from common.db import make_engine
from common.errors import Problem
from gateway.identity.audit.service import Origin, record
from gateway.identity.passwords import Passwords, check_password_policy
from gateway.identity.phones import PhoneIndex, mask_phone, normalize_mobile
from gateway.identity.users import repository
from gateway.identity.users.models import User, UserRole
from gateway.settings import GatewaySettings

CLI_ACTOR = "cli:create-admin"


class AdminNotCreated(ValueError):
    """What to tell the person at the terminal."""


async def create_admin(
    settings: GatewaySettings, database_url: str, phone: str, name: str, password: str
) -> int:
    try:
        phone = normalize_mobile(phone)
    except ValueError as e:
        raise AdminNotCreated(f"--phone: {e}") from e
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise AdminNotCreated("--name: 1 to 100 characters")
    try:
        check_password_policy(password, is_phone=lambda digits: digits == phone)
    except Problem as e:
        raise AdminNotCreated(f"password: {e.detail}") from e
    index = PhoneIndex(settings.phone_index_key.get_secret_value())(phone)
    engine = make_engine(database_url, application_name="ruralnet-cli", pool_size=1)
    try:
        maker = async_sessionmaker(engine, expire_on_commit=False)
        async with maker() as session, session.begin():
            if await repository.by_phone_index(session, index) is not None:
                raise AdminNotCreated("an account with this phone number exists already")
            user = await repository.add(
                session,
                User(
                    phone_index=index,
                    phone_masked=mask_phone(phone),
                    display_name=name,
                    role=UserRole.ADMIN.value,
                    password_hash=await Passwords(settings).hash(password),
                    created_by=CLI_ACTOR,
                ),
            )
            record(
                session,
                Origin(CLI_ACTOR, None, None),
                "user_created",
                target=f"user:{user.id}",
                role="admin",
            )
            return user.id
    finally:
        await engine.dispose()


async def has_admin(database_url: str) -> bool:
    engine = make_engine(database_url, application_name="ruralnet-cli", pool_size=1)
    try:
        async with async_sessionmaker(engine)() as session:
            return await repository.any_admin(session)
    finally:
        await engine.dispose()
