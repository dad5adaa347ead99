"""Every route of identity, for the gateway's app."""

from gateway.identity.audit.router import router as audit_router
from gateway.identity.clients.router import router as clients_router
from gateway.identity.sessions.router import router as sessions_router
from gateway.identity.users.router import router as users_router

routers = [sessions_router, users_router, clients_router, audit_router]
