"""The shape of an app's routes (path templates and methods), included routers flattened:
what ``OPTIONS`` and a 405 answer in ``Allow``, and which paths the gateway serves itself."""

import re
from dataclasses import dataclass

from fastapi.routing import iter_route_contexts
from starlette.routing import Router, compile_path


@dataclass(frozen=True)
class RouteShape:
    path: str
    pattern: re.Pattern[str]
    methods: frozenset[str] | None  # None: a mount (static files) that answers every method


_SHAPES = "_ruralnet_route_shapes"


def route_shapes(router: Router) -> list[RouteShape]:
    """Every route of ``router`` with its full path; read once, at the first call, when every
    route is in place."""
    shapes: list[RouteShape] | None = getattr(router, _SHAPES, None)
    if shapes is None:
        shapes = []
        for route in iter_route_contexts(router.routes):
            path = route.path
            if isinstance(path, str):
                methods = route.methods
                shapes.append(
                    RouteShape(path, compile_path(path)[0], frozenset(methods) if methods else None)
                )
        setattr(router, _SHAPES, shapes)
    return shapes


def allowed_methods(router: Router, path: str) -> tuple[set[str], str] | None:
    """The methods ``path`` answers (``HEAD`` with ``GET``, always ``OPTIONS``) and the first
    matching route's template; None when no route has this path."""
    allowed: set[str] = set()
    template = ""
    for shape in route_shapes(router):
        if shape.methods and shape.pattern.match(path):
            allowed |= shape.methods
            template = template or shape.path
    if not allowed:
        return None
    if "GET" in allowed:
        allowed.add("HEAD")
    allowed.add("OPTIONS")
    return allowed, template


def allow_header(methods: set[str]) -> str:
    return ", ".join(sorted(methods))
