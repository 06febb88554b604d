"""The dashboard pages (``/dashboard/...``) and hosted checkout (``/checkout/<token>``):
server-rendered HTML beside the JSON API, on the same composition root, services, rate limits
and core use cases (ADR 0016, ADR 0020).

    app = Litestar(route_handlers=[..., dashboard_router(), dashboard_static_router(),
                                   checkout_router()],
                   template_config=dashboard_templates(), state={..., DASHBOARD_STATE_KEY:
                   Dashboard(sessions=DashboardSessions(...), csrf_key=...)})

Layout of the package:

- the controllers, registered in ``PAGE_CONTROLLERS``: ``auth_pages`` (log in, create
  account, log out), ``merchant_pages``, ``order_pages``, ``payment_pages``,
  ``webhook_pages``, ``settings_pages`` and ``live_pages`` (the merchant's), and
  ``admin_pages``, ``merchant_admin_pages``, ``user_pages`` (the admin's). A new page is a
  new controller (or route) there, guarded by ``merchant_pages`` or ``admin_pages``
  (``access``) and rendered with ``pages.render``. ``checkout_pages`` is the hosted
  checkout, on a router of its own (no session).
- ``access``: sessions per request, role guards, the router-wide CSRF guard; ``state``: the
  ``Dashboard`` in the application state.
- ``errors``: every error as a page; ``headers``, ``cookies``, ``csrf``, ``notices``,
  ``forms``, ``paging``, ``merchant_common``, ``charts``, ``once`` and ``checkout_once``
  (forms that run at most once), ``formatting`` (the templates' filters ``money``, ``utc``,
  ``percent``, ``status_class``).
- ``templates/`` (Jinja2, autoescaped, undefined names are errors) and ``static/`` (served
  at ``/dashboard/static/``; no inline script or style anywhere).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from paygate_http.web.access import csrf_protected
from paygate_http.web.admin_pages import AdminOverview
from paygate_http.web.auth_pages import SessionPages
from paygate_http.web.checkout_pages import CheckoutPages
from paygate_http.web.errors import PAGE_EXCEPTION_HANDLERS
from paygate_http.web.formatting import FILTERS
from paygate_http.web.headers import STATIC_HEADERS
from paygate_http.web.live_pages import LiveEventsPage
from paygate_http.web.merchant_admin_pages import AdminMerchants
from paygate_http.web.merchant_pages import MerchantOverview
from paygate_http.web.order_pages import OrderPages
from paygate_http.web.pages import DASHBOARD_PATH
from paygate_http.web.payment_pages import PaymentPages
from paygate_http.web.settings_pages import SettingsPages
from paygate_http.web.state import DASHBOARD_STATE_KEY, Dashboard
from paygate_http.web.user_pages import AdminUsers
from paygate_http.web.webhook_pages import WebhookPages

__all__ = [
    "DASHBOARD_PATH",
    "DASHBOARD_STATE_KEY",
    "PAGE_CONTROLLERS",
    "STATIC_PATH",
    "Dashboard",
    "checkout_router",
    "dashboard_router",
    "dashboard_static_router",
    "dashboard_templates",
]

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PATH = f"{DASHBOARD_PATH}/static"

PAGE_CONTROLLERS = (
    SessionPages,
    MerchantOverview,
    AdminOverview,
    AdminMerchants,
    AdminUsers,
    OrderPages,
    PaymentPages,
    WebhookPages,
    SettingsPages,
    LiveEventsPage,
)


@get("/{path:path}", name="dashboard-not-found", include_in_schema=False)
async def _not_found(path: FromPath[str]) -> None:
    """Any other ``/dashboard/...`` address: the 404 page (not the API's JSON 404)."""
    del path
    raise NotFoundException


def dashboard_router() -> Router:
    """Every page: CSRF-checked POSTs, errors as pages."""
    return Router(
        path=DASHBOARD_PATH,
        route_handlers=[*PAGE_CONTROLLERS, _not_found],
        guards=[csrf_protected],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )


def checkout_router() -> Router:
    """Hosted checkout (``/checkout/<token>``): no session; its POST checks its own CSRF
    token and rate limit (``checkout_pages``); errors as pages."""
    return Router(
        path="/",
        route_handlers=[CheckoutPages],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )


def _static_headers(response: Response[Any]) -> Response[Any]:
    response.headers.update(STATIC_HEADERS)
    return response


def dashboard_static_router() -> Router:
    """The pages' stylesheet and scripts, from files in this package."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC],
        name="dashboard-static",
        cache_control=CacheControlHeader(max_age=3600, public=True),
        after_request=_static_headers,
        include_in_schema=False,
    )


def dashboard_templates() -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(FILTERS)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))
