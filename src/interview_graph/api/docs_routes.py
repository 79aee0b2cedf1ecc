"""The OpenAPI document and the interactive docs (Swagger UI) at /docs, whose script and style
are served by the app itself from the swagger-ui-bundle package: the page loads nothing from
another origin, so it works on a machine without internet access."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from swagger_ui_bundle import swagger_ui_path

docs_router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"
DOCS_ASSETS_URL = "/static/docs"
# The files the page needs, and their types; nothing else of the package is served.
DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
_ASSETS_DIR = Path(swagger_ui_path)


@docs_router.get(OPENAPI_URL)
async def openapi_document(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@docs_router.get("/docs")
async def docs_page(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")  # behind a proxy's path prefix
    return get_swagger_ui_html(
        openapi_url=root + OPENAPI_URL,
        title=f"{request.app.title} – API docs",
        swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon-32x32.png",
    )


@docs_router.get(DOCS_ASSETS_URL + "/{asset}")
async def docs_asset(asset: Annotated[str, PathParam()]) -> Response:
    media_type = DOCS_ASSETS.get(asset)
    if media_type is None:
        raise HTTPException(404, f"no docs asset {asset!r}")
    return Response(
        _asset_bytes(asset), media_type=media_type, headers={"Cache-Control": "max-age=86400"}
    )


@cache
def _asset_bytes(asset: str) -> bytes:
    """An asset's content, read once per process (about 1.5 MB for the three)."""
    return (_ASSETS_DIR / asset).read_bytes()
