"""``/docs`` (Swagger UI) and ``/redoc`` with their scripts, stylesheet and icon served by
the app itself.

FastAPI's own page loads them from a CDN, which an intranet (a county commerce bureau's
network, a provincial government cloud) cannot reach. The files come from the
``fastapi-offline`` package, which ships a current Swagger UI build; nothing is fetched at
run time: Swagger UI's online validator badge (a call to swagger.io) is switched off, ReDoc
loads no web fonts, and the one CDN address inside the ReDoc build (Redocly's logo, an image
that hides itself when it cannot load) is taken out of the script as it is served.
"""

import re
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/assets"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
ASSETS = Path(str(files("fastapi_offline") / "static"))
# The files the pages load, and nothing else of the package's folder.
Asset = Literal["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"]

_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
# Any CDN address a script or stylesheet would fetch from: an empty string fetches nothing.
_CDN_URL = re.compile(rb"https://cdn\.[^\"'\s)]+")
SWAGGER_UI_PARAMETERS = {
    "validatorUrl": None,
    # A token entered under "Authorize" survives a reload of the page.
    "persistAuthorization": True,
    "displayRequestDuration": True,
    "tryItOutEnabled": True,
}


@cache
def asset(name: Asset) -> bytes:
    """A page's file as served: read once, CDN addresses taken out of scripts and styles."""
    content = (ASSETS / name).read_bytes()
    return content if name.endswith(".png") else _CDN_URL.sub(b"", content)


def install_docs(app: FastAPI) -> None:
    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def docs_asset(name: Asset) -> Response:
        # The files change only with the package: a day in the browser's cache.
        return Response(
            asset(name),
            media_type=_MEDIA_TYPES[Path(name).suffix],
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_PATH}",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
