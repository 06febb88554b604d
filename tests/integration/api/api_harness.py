"""The payments API under test: the app ``paygate serve`` runs, on a chosen backend.

``Api`` bundles the Litestar ``TestClient``, the ``Paygate`` behind it (for setup through the
core's own ports) and the clock, which tests move. Backends: ``sqlite`` and ``postgres``, the
app exactly as ``paygate serve`` builds it (``Settings.from_env``, then ``create_app(settings)``:
the SQL wiring, migrations, group commit on SQLite) with only the clock replaced; and
``memory``, the core's in-memory adapters behind the same routes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
from litestar import Litestar
from litestar.testing import TestClient

from paygate_core.gateway import Paygate
from paygate_core.ports import PaymentProcessor
from paygate_core.testing import InMemoryStore, PlainPasswordHasher, SequentialIds
from paygate_core.use_cases.auth import RegisterAdmin
from paygate_http.process.app import create_app
from paygate_http.process.wiring import build_paygate
from paygate_http.services import SERVICES_STATE_KEY, Services
from paygate_http.settings import Settings

BASE = "/paygate/api/v1"
START = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
SECRET = "api-tests-secret-key-0123456789abcdefghijkl"
GOOD_CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvv": "123"}
DECLINED_CARD = {"card_number": "4000 0000 0000 0002", "expiry": "12/30", "cvv": "123"}
NO_FUNDS_CARD = {"card_number": "4000-0000-0000-9995", "expiry": "12/2030", "cvv": "1234"}


class SteppingClock:
    """A clock the test controls that moves 1 ms on every reading, so every object gets a
    distinct ``created_at`` and "newest first" is deterministic."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            self._now += timedelta(milliseconds=1)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


API_ENVIRONMENT = {
    "PAYGATE_SECRET_KEY": SECRET,
    "PAYGATE_API_RATE_LIMIT": "0",
    "PAYGATE_AUTH_RATE_LIMIT": "0",
    "PAYGATE_BCRYPT_ROUNDS": "4",
    "PAYGATE_COOKIE_SECURE": "false",
    "PAYGATE_SIMULATOR_SEED": "7",
    "PAYGATE_LOG_LEVEL": "INFO",
}
"""The test server's environment: what ``paygate serve`` reads (``Settings.from_env``)."""


def api_settings(database_url: str | None = None, **overrides: Any) -> Settings:
    """``Settings.from_env`` over ``API_ENVIRONMENT`` (and the database), then ``overrides``."""
    environment = dict(API_ENVIRONMENT)
    if database_url is not None:
        environment["PAYGATE_DATABASE_URL"] = database_url
    return attrs.evolve(Settings.from_env(environment), **overrides)


@attrs.frozen
class Merchant:
    merchant_id: str
    user_id: str
    email: str
    name: str
    api_key: str
    access: str

    @property
    def key(self) -> dict[str, str]:
        """Headers authenticating by API key (never expires, unlike the access token)."""
        return {"X-API-Key": self.api_key}

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


@attrs.define
class Api:
    client: TestClient[Any]
    paygate: Paygate
    clock: SteppingClock
    backend: str
    _emails: int = 0

    # --- raw calls -----------------------------------------------------------------------

    def get(
        self,
        path: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        return self.client.get(BASE + path, headers=dict(headers or {}), params=params)

    def post(
        self,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        if body is None:
            return self.client.post(BASE + path, headers=dict(headers or {}))
        if isinstance(body, bytes | str):
            return self.client.post(
                BASE + path,
                content=body,
                headers={"Content-Type": "application/json", **(headers or {})},
            )
        return self.client.post(BASE + path, json=body, headers=dict(headers or {}))

    # --- actors --------------------------------------------------------------------------

    def merchant(self, name: str = "Shop", webhook_url: str | None = None) -> Merchant:
        self._emails += 1
        email = f"merchant{self._emails}@shop.example"
        body: dict[str, Any] = {"email": email, "name": name, "password": "s3cret-pass"}
        if webhook_url is not None:
            body["webhook_url"] = webhook_url
        response = self.post("/auth/register/", body)
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        return Merchant(
            merchant_id=data["merchant_id"],
            user_id=data["user_id"],
            email=email,
            name=name,
            api_key=data["api_key"],
            access=data["access"],
        )

    def admin_headers(self) -> dict[str, str]:
        self._emails += 1
        registration = self.paygate.register_admin(
            RegisterAdmin(
                email=f"admin{self._emails}@paygate.example", name="Admin", password="adm1n-pass"
            )
        )
        return {"Authorization": f"Bearer {registration.access}"}

    # --- shortcuts -----------------------------------------------------------------------

    def order(
        self, merchant: Merchant, amount: Any = "100.00", currency: str = "INR", **extra: Any
    ) -> dict[str, Any]:
        response = self.post(
            "/orders/", {"amount": amount, "currency": currency, **extra}, merchant.key
        )
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def pay(
        self,
        merchant: Merchant,
        order_id: str,
        card: Mapping[str, str] = GOOD_CARD,
    ) -> Any:
        return self.post(
            "/payments/", {"order_id": order_id, "card_details": dict(card)}, merchant.key
        )

    def paid_order(
        self,
        merchant: Merchant,
        amount: Any = "100.00",
        currency: str = "INR",
    ) -> dict[str, Any]:
        """A payment (``authorized``) of a new order."""
        order = self.order(merchant, amount, currency)
        response = self.pay(merchant, order["order_id"])
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        assert data["status"] == "authorized"
        return data

    def refund(self, merchant: Merchant, payment_id: str, amount: Any = None, **extra: Any) -> Any:
        body: dict[str, Any] = {"payment_id": payment_id, **extra}
        if amount is not None:
            body["amount"] = amount
        return self.post("/refunds/", body, merchant.key)


def error_of(response: Any) -> tuple[int, int]:
    """``(HTTP status, contract code)`` of an error answer, checking the envelope."""
    body = response.json()
    assert body["success"] is False, body
    assert set(body["exception"]) == {"code", "message", "description", "meta"}
    return response.status_code, body["exception"]["code"]


def amount(text: str) -> Decimal:
    return Decimal(text)


@contextmanager
def running_api(
    backend: str,
    *,
    database_url: str | None = None,
    processor: PaymentProcessor | None = None,
    settings: Settings | None = None,
) -> Iterator[Api]:
    """An ``Api`` on ``backend``; SQL backends need ``database_url``; ``processor`` (memory
    only) replaces the simulator."""
    clock = SteppingClock()
    if backend == "memory":
        settings = settings or api_settings()
        paygate = build_paygate(
            settings,
            InMemoryStore().unit_of_work,
            clock=clock,
            ids=SequentialIds(),
            hasher=PlainPasswordHasher(),
        )
        if processor is not None:
            paygate = attrs.evolve(paygate, processor=processor)
        app = create_app(settings, paygate=paygate)
    else:
        assert database_url is not None
        assert processor is None, "the SQL backends run the production wiring"
        settings = (
            attrs.evolve(settings, database_url=database_url)
            if settings
            else api_settings(database_url)
        )
        app = create_app(settings, clock=clock)
        paygate = services_of_app(app).paygate
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, paygate=paygate, clock=clock, backend=backend)


def services_of_app(app: Litestar) -> Services:
    services: Services = app.state[SERVICES_STATE_KEY]
    return services


def uuid_text(number: int) -> str:
    """A well-formed id nobody has (SequentialIds never reach it in a test)."""
    return str(UUID(int=(0x4000 << 64) | (0x8 << 60) | (0xFFFF0000 + number)))
