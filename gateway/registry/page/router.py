"""``/registry/``: the officials' page, and every file it loads, served by the gateway.

Intranets reach no CDN and no tile server, so the page, its script and Leaflet (vendored:
``static/leaflet.js`` 1.9.4, BSD-2-Clause, ``static/LICENSE-leaflet.txt``) come from here,
and the map is drawn from our own GeoJSON. The Content-Security-Policy allows nothing from
anywhere else.
"""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse

from common.errors import NotFound
from common.links import public_url

STATIC = Path(__file__).parent / "static"
ASSETS = frozenset(
    {
        "leaflet.js",
        "leaflet.css",
        "LICENSE-leaflet.txt",
        "officials.js",
        "officials.css",
        "images/layers.png",
        "images/layers-2x.png",
        "images/marker-icon.png",
    }
)
# The page and its data come from this origin only; styles set by script (Leaflet's
# positions) go through the CSSOM, which style-src does not govern.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Revalidated on every load (a 304 costs nothing): a new release is seen at once.
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

router = APIRouter(prefix="/registry", include_in_schema=False)


@router.get("")
async def page_redirect(request: Request) -> RedirectResponse:
    # The page's own links are relative to /registry/.
    return RedirectResponse(public_url(request, "/registry/"), status_code=308)


@router.get("/")
async def officials_page() -> FileResponse:
    return FileResponse(
        STATIC / "index.html",
        media_type="text/html; charset=utf-8",
        headers={**_HEADERS, "Content-Security-Policy": POLICY},
    )


@router.get("/assets/{name:path}")
async def officials_asset(name: Annotated[str, PathParam(max_length=64)]) -> FileResponse:
    if name not in ASSETS:
        raise NotFound(
            f"no asset {name}", detail_zh=f"没有文件 {name}", code="asset_not_found",
            field="name", location="path",
        )  # fmt: skip
    return FileResponse(STATIC / name, headers=_HEADERS)
