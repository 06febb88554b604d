"""Fixtures of the HTTP tests: the real app from ``create_app`` over in-memory adapters.

``paygate`` is wired by ``paygate_http.wiring.build_paygate`` (bcrypt at 4 rounds, real JWTs)
on an ``InMemoryStore`` with a ``FixedClock``; ``api`` is a ``TestClient`` with helpers for
the base path and credentials. Rate limits are off unless a test turns them on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from http_harness import ADMIN_EMAIL, PASSWORD, SECRET, Api, AppFactory, with_peer
from litestar.testing import TestClient

from paygate_core.gateway import Paygate
from paygate_core.testing import FixedClock, InMemoryStore
from paygate_core.use_cases.auth import RegisterAdmin
from paygate_http import Settings, create_app
from paygate_http.ratelimit import RateLimitStore
from paygate_http.wiring import build_paygate


@pytest.fixture
def settings() -> Settings:
    return Settings(secret_key=SECRET, bcrypt_rounds=4, cookie_secure=False,
                    auth_rate_limit=None, api_rate_limit=None)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 6, 10, 30, tzinfo=UTC))


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def paygate(settings: Settings, store: InMemoryStore, clock: FixedClock) -> Paygate:
    return build_paygate(settings, store.unit_of_work, clock=clock)


@pytest.fixture
def make_api(settings: Settings, paygate: Paygate) -> Iterator[AppFactory]:
    """Build another app (other settings, readiness probe, rate-limit store, peer address)."""
    clients: list[TestClient[Any]] = []

    def make(*, peer: str | None = None, base_url: str = "http://testserver.local",
             ready_check: Callable[[], bool] | None = None,
             rate_limit_store: RateLimitStore | None = None,
             paygate_override: Paygate | None = None, **changes: Any) -> Api:
        app = create_app(attrs.evolve(settings, **changes),
                         paygate=paygate_override or paygate, ready_check=ready_check,
                         rate_limit_store=rate_limit_store)
        asgi: Any = app if peer is None else with_peer(app, peer)
        client = TestClient(asgi, base_url=base_url, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Api(client)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api: AppFactory) -> Api:
    return make_api()


@pytest.fixture
def admin_token(paygate: Paygate, api: Api) -> str:
    paygate.register_admin(RegisterAdmin(email=ADMIN_EMAIL, name="Root", password=PASSWORD))
    token: str = api.login(ADMIN_EMAIL)["access"]
    return token


@pytest.fixture
def merchant(api: Api) -> dict[str, Any]:
    """A registered merchant's registration data (access, api_key, user_id, ...)."""
    return api.register()
