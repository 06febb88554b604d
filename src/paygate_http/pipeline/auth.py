"""Authentication and authorisation for every controller: who is calling, may they do this.

Controllers use them like this::

    class MerchantProfileController(ApiController):
        path = "/merchants/me"
        before_request = staticmethod(merchant_only)  # 401 1002, or 403 1003 for admins

        @get("/", sync_to_thread=True, ...)
        def profile(self, paygate: PaygateDep, principal: PrincipalDep) -> ...:
            merchant = principal.require_merchant()

``authenticate`` reads ``Authorization: Bearer <jwt>`` or else ``X-API-Key``, resolves the
``Principal`` (a database read, run like every use case: ``services.offload``, ADR 0006),
applies the per-credential rate limit, and caches the principal on the request: every hook,
guard and the ``principal`` dependency share one lookup. Both run before the body is read.

The controller-wide checks (``merchant_only``, ``admin_only``) are ``before_request`` hooks,
not guards: Litestar copies the route handler for every guard call (8 us a request). The
per-route extras (``bearer_only``, ``ip_rate_limited``) are guards: they run first.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import SkipValidation
from litestar.types import Guard, Scope

from paygate_core.errors import NotAuthenticated, RateLimited
from paygate_core.gateway import Paygate
from paygate_core.principals import Principal
from paygate_http.pipeline.rate_limits import RateLimit, client_ip
from paygate_http.services import Services, services_of

__all__ = [
    "admin_only",
    "authenticate",
    "authenticate_scope",
    "bearer_only",
    "client_ip_of",
    "ip_rate_limited",
    "merchant_only",
    "provide_principal",
]

_PRINCIPAL_KEY = "paygate.principal"
Connection = ASGIConnection[Any, Any, Any, Any]


async def authenticate(connection: Connection) -> Principal:
    """The caller, or ``NotAuthenticated``; rate-limited per credential (merchant or user)."""
    return await authenticate_scope(connection.scope, services_of(connection))


async def authenticate_scope(scope: Scope, services: Services) -> Principal:
    """``authenticate`` for a raw ASGI scope (middleware has no ``Request``)."""
    state = scope.setdefault("state", {})
    cached = state.get(_PRINCIPAL_KEY)
    if isinstance(cached, Principal):
        return cached
    principal = await _resolve(scope, services)
    rate = services.settings.api_rate_limit
    if rate is not None:
        subject = (
            f"merchant:{principal.merchant.id}"
            if principal.merchant
            else f"user:{principal.user.id}"
        )
        await _enforce(services, f"api:{subject}", rate)
    state[_PRINCIPAL_KEY] = principal
    return principal


def _credentials(scope: Scope) -> tuple[str | None, str | None]:
    """The first ``Authorization`` and ``X-API-Key`` values, read from the scope's raw
    headers (ASGI names are lowercase bytes): building Litestar's ``Headers`` for two
    lookups cost more than the lookups."""
    authorization = api_key = None
    for name, value in scope["headers"]:
        if name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif name == b"x-api-key" and api_key is None:
            api_key = value.decode("latin-1")
    return authorization, api_key


async def _resolve(scope: Scope, services: Services) -> Principal:
    authorization, api_key = _credentials(scope)
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("The Authorization header must be 'Bearer <token>'")
        return await services.offload(services.paygate.authenticate_bearer, token.strip())
    if api_key is not None and api_key.strip():
        return await services.offload(services.paygate.authenticate_api_key, api_key.strip())
    raise NotAuthenticated("Authentication credentials were not provided")


async def _enforce(services: Services, key: str, rate: RateLimit | None) -> None:
    if rate is None:
        return
    retry_after = await services.rate_limits.hit(key, rate)
    if retry_after is not None:
        raise RateLimited(retry_after)


async def provide_principal(
    request: Request[Any, Any, Any],
    paygate: SkipValidation[Paygate],
) -> Principal:
    """The ``principal`` dependency (authenticates when no guard did yet).

    It names ``paygate`` only so that Litestar resolves the two one after the other: two
    dependencies on one level are resolved in an anyio task group, which cost a write
    request more than its authentication."""
    del paygate
    return await authenticate(request)


async def merchant_only(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: a merchant, by bearer token or API key; others get 403 1003."""
    (await authenticate(request)).require_merchant()


async def admin_only(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: an admin; others get 403 1003."""
    (await authenticate(request)).require_admin()


async def bearer_only(connection: Connection, _: BaseRouteHandler) -> None:
    """Guard: a bearer token, not an API key (credential management); else 403 1003."""
    (await authenticate(connection)).require_bearer()


def client_ip_of(connection: Connection) -> str:
    """The socket peer, or the client named by a trusted proxy's ``X-Forwarded-For``."""
    client = connection.scope.get("client")
    return client_ip(
        client[0] if client else None,
        connection.headers.getall("x-forwarded-for", []),
        services_of(connection).settings.trusted_proxies,
    )


def ip_rate_limited(bucket: str) -> Guard:
    """Guard: the public auth budget (``PAYGATE_AUTH_RATE_LIMIT``) per client IP, per bucket."""

    async def guard(connection: Connection, _: BaseRouteHandler) -> None:
        services = services_of(connection)
        await _enforce(
            services, f"auth:{bucket}:{client_ip_of(connection)}", services.settings.auth_rate_limit
        )

    guard.__name__ = f"ip_rate_limited_{bucket}"
    return guard
