"""Limits: the least an app can do to answer the same request, under the same server."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def _healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def bare_starlette() -> Starlette:
    """The JSON our ``/healthz`` answers, with no middleware, error handlers or logging."""
    return Starlette(routes=[Route("/healthz", _healthz)])
