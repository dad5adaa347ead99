"""Every model of the gateway, imported so that ``Base.metadata`` is complete."""

from gateway.base import Base
from gateway.feeds.subscriptions.models import FeedFollower, WebhookEvent, WebhookSubscription
from gateway.identity.audit.models import AuditEvent
from gateway.identity.clients.models import Client, ClientSecret
from gateway.identity.sessions.models import LoginThrottle, RefreshToken, Revocation, UserSession
from gateway.identity.users.models import User
from gateway.registry.exports.models import RegistryExport
from gateway.reports.deliveries.models import Attempt, Delivery, SigningSecret
from gateway.reports.documents.models import ReportRevision
from gateway.reports.targets.models import DeliveryTarget

__all__ = [
    "Attempt",
    "AuditEvent",
    "Base",
    "Client",
    "ClientSecret",
    "Delivery",
    "DeliveryTarget",
    "FeedFollower",
    "LoginThrottle",
    "RefreshToken",
    "RegistryExport",
    "ReportRevision",
    "Revocation",
    "SigningSecret",
    "User",
    "UserSession",
    "WebhookEvent",
    "WebhookSubscription",
]
