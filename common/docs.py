"""``/docs`` (Swagger UI) and ``/redoc`` with their scripts, stylesheet and icon served by
the app itself.

FastAPI's own page loads them from a CDN, which an intranet (a county commerce bureau's
network, a provincial government cloud) cannot reach. The files come from the
``fastapi-offline`` package, which ships a current Swagger UI build; nothing is fetched at
run time: Swagger UI's online validator badge (a call to swagger.io) is switched off and ReDoc
loads no web fonts.
"""

from importlib.resources import files
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/assets"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
ASSETS = Path(str(files("fastapi_offline") / "static"))
# The files the pages load, and nothing else of the package's folder.
Asset = Literal["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"]

SWAGGER_UI_PARAMETERS = {
    "validatorUrl": None,
    # A token entered under "Authorize" survives a reload of the page.
    "persistAuthorization": True,
    "displayRequestDuration": True,
    "tryItOutEnabled": True,
}


def install_docs(app: FastAPI) -> None:
    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def docs_asset(name: Asset) -> FileResponse:
        # The files change only with the package: a day in the browser's cache.
        return FileResponse(ASSETS / name, headers={"Cache-Control": "public, max-age=86400"})

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
