"""Every route of the registry, for the gateway's app."""

from gateway.registry.dashboards.router import router as dashboards_router
from gateway.registry.exports.router import router as exports_router
from gateway.registry.gaps.router import router as gaps_router
from gateway.registry.page.router import router as page_router
from gateway.registry.records.router import router as records_router

routers = [records_router, dashboards_router, gaps_router, exports_router, page_router]
