"""Every model of the gateway, imported so that ``Base.metadata`` is complete."""

from gateway.base import Base
from gateway.identity.audit.models import AuditEvent
from gateway.identity.clients.models import Client, ClientSecret
from gateway.identity.sessions.models import LoginThrottle, RefreshToken, Revocation, UserSession
from gateway.identity.users.models import User
from gateway.registry.exports.models import RegistryExport

__all__ = [
    "AuditEvent",
    "Base",
    "Client",
    "ClientSecret",
    "LoginThrottle",
    "RefreshToken",
    "RegistryExport",
    "Revocation",
    "User",
    "UserSession",
]
