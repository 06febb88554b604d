"""The interactive API docs under ``/schema``: Swagger UI, served by Paygate itself.

    /schema, /schema/swagger     the Swagger UI page (``SwaggerUIPage``)
    /schema/openapi.json         the OpenAPI 3.1 document (Litestar)
    /schema/assets/{file_name}   the page's scripts, styles and icons (``DOCS_ASSETS``)

Swagger UI's files come from the pinned ``swagger-ui-py`` package; the script that starts it is
``docs_ui.js`` beside this module. The page loads nothing from another origin and has no
inline script or style, so it works offline and under the Content-Security-Policy that every
answer under ``/schema`` carries (``DOCS_HEADERS``). Only the files the page uses are served:
any other ``/schema/...`` path answers the JSON 404 (9001) of the rest of the API, not
Litestar's HTML 404 page.
"""

from __future__ import annotations

import html
import importlib.util
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from litestar import Request, Router, get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File

__all__ = [
    "DOCS_ASSETS",
    "DOCS_ASSET_ROUTE",
    "DOCS_CONTENT_SECURITY_POLICY",
    "DOCS_HEADERS",
    "DOCS_PATH",
    "DocsAsset",
    "SwaggerUIPage",
    "docs_asset_path",
    "docs_router",
]

DOCS_PATH = "/schema"
DOCS_ASSET_ROUTE = "paygate-docs-asset"
SWAGGER_UI_PACKAGE = "swagger_ui"  # the import name of swagger-ui-py

DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""Same origin only, no inline script or style, no ``eval``; ``data:`` images are the icons
that Swagger UI's stylesheet embeds."""

DOCS_HEADERS = (
    ResponseHeader(name="Content-Security-Policy", value=DOCS_CONTENT_SECURITY_POLICY),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
)

# Litestar's catch-all under the docs path, which answers an HTML 404 page of its own.
_LITESTAR_CATCH_ALL = "/{path:str}"

_JS = "text/javascript"  # File adds "; charset=utf-8" to text types
_CSS = "text/css"
_PNG = "image/png"


class DocsAsset(NamedTuple):
    """One file under ``/schema/assets/``: where it comes from and its media type."""

    package: str | None  # ``SWAGGER_UI_PACKAGE``, or None for a file of ``paygate_http``
    file_name: str
    media_type: str


DOCS_ASSETS: Mapping[str, DocsAsset] = MappingProxyType(
    {
        "swagger-ui-bundle.js": DocsAsset(SWAGGER_UI_PACKAGE, "swagger-ui-bundle.js", _JS),
        "swagger-ui.css": DocsAsset(SWAGGER_UI_PACKAGE, "swagger-ui.css", _CSS),
        "swagger-ui-page.css": DocsAsset(SWAGGER_UI_PACKAGE, "index.css", _CSS),
        "favicon-32x32.png": DocsAsset(SWAGGER_UI_PACKAGE, "favicon-32x32.png", _PNG),
        "favicon-16x16.png": DocsAsset(SWAGGER_UI_PACKAGE, "favicon-16x16.png", _PNG),
        "paygate-docs.js": DocsAsset(None, "docs_ui.js", _JS),
    }
)
"""Every file the docs page may load, by its name under ``/schema/assets/``."""


@cache
def _swagger_ui_static_dir() -> Path:
    """Swagger UI's files inside the installed ``swagger-ui-py``, found without importing it
    (its integrations for other frameworks are of no use here)."""
    spec = importlib.util.find_spec(SWAGGER_UI_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def docs_asset_path(asset: DocsAsset) -> Path:
    """The file on disk that serves ``asset``."""
    if asset.package is None:
        return Path(__file__).with_name(asset.file_name)
    return _swagger_ui_static_dir() / asset.file_name


@get(
    "/assets/{file_name:str}",
    name=DOCS_ASSET_ROUTE,
    sync_to_thread=False,
    cache_control=CacheControlHeader(public=True, max_age=3600),
)
def docs_asset(file_name: FromPath[str]) -> File:
    """One of ``DOCS_ASSETS``; any other name is the JSON 404 (9001)."""
    asset = DOCS_ASSETS.get(file_name)
    if asset is None:
        raise NotFoundException
    return File(
        docs_asset_path(asset),
        media_type=asset.media_type,
        filename=file_name,
        content_disposition_type="inline",
    )


def _json_not_found(request: Request[Any, Any, Any]) -> None:
    """Turn Litestar's HTML 404 page for unknown ``/schema/...`` paths into the API's JSON
    404: raising here sends the request through the app's exception handlers instead."""
    if _LITESTAR_CATCH_ALL in request.route_handler.paths:
        raise NotFoundException


def docs_router() -> Router:
    """The router Litestar fills with the docs pages and the OpenAPI document
    (``OpenAPIConfig.openapi_router``), holding the assets route."""
    return Router(
        DOCS_PATH,
        route_handlers=[docs_asset],
        include_in_schema=False,
        before_request=_json_not_found,
        response_headers=list(DOCS_HEADERS),
        dto=None,
        return_dto=None,
    )


class SwaggerUIPage(OpenAPIRenderPlugin):
    """Swagger UI (5.x, which reads OpenAPI 3.1) on a page that references only
    ``/schema/assets/`` and the OpenAPI document. Unlike Litestar's ``SwaggerRenderPlugin``
    it inlines neither the document nor the start-up script, and adds no OAuth2 redirect page
    (the API has no OAuth2 flow)."""

    def __init__(self, *, path: str = "/swagger") -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        def asset(name: str) -> str:
            return html.escape(request.app.route_reverse(DOCS_ASSET_ROUTE, file_name=name))

        title = html.escape(str(openapi_schema["info"]["title"]))
        openapi_url = html.escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" type="image/png" sizes="32x32" href="{asset("favicon-32x32.png")}">
  <link rel="icon" type="image/png" sizes="16x16" href="{asset("favicon-16x16.png")}">
  <link rel="stylesheet" href="{asset("swagger-ui.css")}">
  <link rel="stylesheet" href="{asset("swagger-ui-page.css")}">
</head>
<body>
  <noscript>These interactive docs need JavaScript; the OpenAPI document is at
    <a href="{openapi_url}">{openapi_url}</a>.</noscript>
  <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
  <script src="{asset("swagger-ui-bundle.js")}"></script>
  <script src="{asset("paygate-docs.js")}"></script>
</body>
</html>
""".encode()
