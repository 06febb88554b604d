"""``create_app``: the composition root of the REST API, the dashboard and hosted checkout.

    app = create_app(Settings.from_env(os.environ))                 # SQL, from settings
    app = create_app(settings, paygate=Paygate(...in-memory...))    # tests, embedding

Without ``paygate`` it opens the database named by the settings, brings the schema up to
date and wires the production adapters (``wiring.build_paygate``). Routes live under
``/paygate/api/v1`` (``api.controllers.API_CONTROLLERS``), probes at the root
(``SERVICE_CONTROLLERS``), OpenAPI 3.1 at ``/schema/openapi.json``, the dashboard pages
under ``/dashboard`` and hosted checkout under ``/checkout`` (``web``, ADR 0016, ADR 0020).
Nothing is created at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Tag

from paygate_core.gateway import Paygate
from paygate_core.ports import Clock
from paygate_http.api.controllers import API_CONTROLLERS, SERVICE_CONTROLLERS
from paygate_http.api.dependencies import DEPENDENCIES
from paygate_http.api.docs_ui import DOCS_PATH, SwaggerUIPage, docs_router
from paygate_http.live_events import LIVE_EVENTS_STATE_KEY
from paygate_http.pipeline.errors import EXCEPTION_HANDLERS
from paygate_http.pipeline.observability import AccessLog, configure_logging
from paygate_http.pipeline.rate_limits import (
    MemoryRateLimitStore,
    RateLimitStore,
    RedisRateLimitStore,
)
from paygate_http.pipeline.request_bodies import MAX_BODY_BYTES
from paygate_http.services import SERVICES_STATE_KEY, Offload, Services, run_in_thread
from paygate_http.settings import Settings
from paygate_http.web import (
    DASHBOARD_STATE_KEY,
    Dashboard,
    checkout_router,
    dashboard_router,
    dashboard_static_router,
    dashboard_templates,
)

__all__ = ["API_BASE_PATH", "create_app"]

API_BASE_PATH = "/paygate/api/v1"
API_VERSION = "1.0.0"


def create_app(
    settings: Settings,
    *,
    paygate: Paygate | None = None,
    ready_check: Callable[[], bool] | None = None,
    rate_limit_store: RateLimitStore | None = None,
    offload: Offload | None = None,
    offload_write: Offload | None = None,
    clock: Clock | None = None,
) -> Litestar:
    """The ASGI application. ``paygate`` replaces the SQL wiring (e.g. in-memory adapters),
    ``ready_check`` the database probe of ``/ready``, ``rate_limit_store`` the store chosen
    from the settings (Redis when ``PAYGATE_REDIS_URL`` is set, else in-process),
    ``offload`` and ``offload_write`` how reading and writing use cases are called (default:
    for the SQLite wiring on the event loop, writes group-committed; in worker threads
    otherwise; ADR 0006); ``clock`` replaces the system clock of the
    SQL wiring (tests that move time)."""
    configure_logging(settings.log_level)
    on_shutdown: list[Callable[[], Any]] = []
    if paygate is None:
        from paygate_http.process.wiring import build_paygate, open_database

        database = open_database(settings)
        paygate = build_paygate(settings, database.uow, clock=clock)
        ready_check = ready_check or database.ready
        offload = offload or database.offload
        offload_write = offload_write or database.offload_write
        on_shutdown.append(database.close)
    store = rate_limit_store or _rate_limit_store(settings)
    on_shutdown.append(store.close)
    services = Services(
        paygate=paygate,
        settings=settings,
        rate_limits=store,
        ready=ready_check or (lambda: True),
        offload=offload or run_in_thread,
        offload_write=offload_write or offload or run_in_thread,
    )
    api = Router(path=API_BASE_PATH, route_handlers=list(API_CONTROLLERS))
    access_log = AccessLog()
    from paygate_http.process.wiring import build_live_events

    live_events = build_live_events(paygate)
    state = _state(services, _dashboard(settings, paygate))
    if live_events is not None:  # its streams end before the database closes
        state[LIVE_EVENTS_STATE_KEY] = live_events
        on_shutdown.insert(0, live_events.stop)
    return Litestar(
        route_handlers=[
            api,
            *SERVICE_CONTROLLERS,
            dashboard_router(),
            dashboard_static_router(),
            checkout_router(),
        ],
        template_config=dashboard_templates(),
        middleware=[access_log.middleware],
        before_send=[access_log.before_send],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY_BYTES,
        cors_config=_cors(settings),
        openapi_config=_openapi(),
        on_startup=[live_events.start] if live_events is not None else [],
        on_shutdown=on_shutdown,
        state=state,
        logging_config=None,
        debug=False,
    )


def _state(services: Services, dashboard: Dashboard) -> State:
    return State({SERVICES_STATE_KEY: services, DASHBOARD_STATE_KEY: dashboard})


def _dashboard(settings: Settings, paygate: Paygate) -> Dashboard:
    """The dashboard pages' sessions (stored with ``paygate``'s data) and CSRF key."""
    from paygate_http.process.wiring import build_dashboard_sessions
    from paygate_http.settings import derive_key

    return Dashboard(
        sessions=build_dashboard_sessions(settings, paygate),
        csrf_key=derive_key(settings.secret_key, "dashboard-csrf"),
    )


def _rate_limit_store(settings: Settings) -> RateLimitStore:
    if settings.redis_url:
        return RedisRateLimitStore(settings.redis_url, prefix=settings.redis_prefix)
    return MemoryRateLimitStore()


def _cors(settings: Settings) -> CORSConfig | None:
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "X-API-Key",
            "Idempotency-Key",
            "X-Request-ID",
        ],
        expose_headers=["Retry-After", "X-Request-ID", "Idempotent-Replayed"],
        max_age=600,
    )


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Paygate API",
        version=API_VERSION,
        description="A payment gateway: merchants, orders, payments, refunds and webhooks. "
        "Every answer uses the envelope {success, message, data} or "
        "{success: false, exception: {code, message, description, meta}}.",
        path=DOCS_PATH,
        openapi_router=docs_router(),  # Swagger UI's assets, JSON 404s (docs_ui)
        render_plugins=[SwaggerUIPage()],
        components=Components(
            security_schemes={
                "BearerAuth": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="Access token from auth/token/",
                ),
                "ApiKeyAuth": SecurityScheme(
                    type="apiKey",
                    name="X-API-Key",
                    security_scheme_in="header",
                    description="A merchant's API key",
                ),
            }
        ),
        tags=[
            Tag(name="Auth", description="Registration, login, token refresh, logout"),
            Tag(name="Merchants", description="The merchant's own profile and credentials"),
            Tag(name="Admin", description="User and merchant management (admins)"),
            Tag(name="Orders", description="Orders to be paid"),
            Tag(name="Payments", description="Card payments and captures"),
            Tag(name="Refunds", description="Full and partial refunds"),
            Tag(name="Statistics", description="Merchant and admin statistics"),
            Tag(name="Webhooks", description="Webhook events, delivery logs, resending"),
            Tag(name="Service", description="Health and readiness probes"),
        ],
        use_handler_docstrings=True,
    )
