"""Test harness: a real HTTP receiver on 127.0.0.1 and Paygate over the in-memory adapters.

Merchants register ``http://localhost:<port>/...`` URLs: registration refuses literal
loopback addresses, and the dispatcher reaches ``localhost`` only with ``allow_private``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import attrs

from paygate_adapters.webhooks import WebhookDispatcher
from paygate_core import (
    CreateOrder,
    Paygate,
    PayOrder,
    RegisterMerchant,
    SimulatedProcessor,
)
from paygate_core.accounts import Merchant
from paygate_core.events import WebhookAttempt, WebhookEvent
from paygate_core.pagination import PageRequest
from paygate_core.payments import Payment
from paygate_core.testing import (
    FixedClock,
    InMemoryStore,
    PlainPasswordHasher,
    SequentialIds,
    UnsignedTokenService,
)

APPROVED_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


@attrs.frozen
class Reply:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request arrived

    def header(self, name: str) -> str | None:
        lowered = {k.lower(): v for k, v in self.headers.items()}
        return lowered.get(name.lower())


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # concurrent deliveries all connect at once
    daemon_threads = True


class Receiver:
    """A threaded HTTP server recording every request; answers follow ``script`` in order,
    then ``default``."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Reply] = []
        self.default = Reply()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook", host: str = "localhost") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def _next_reply(self, received: Received) -> Reply:
        with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()
            return self.script.pop(0) if self.script else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                reply = receiver._next_reply(
                    Received(self.path, dict(self.headers.items()), body, arrived)
                )
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the dispatcher gave up waiting (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@attrs.define
class World:
    """Paygate over one in-memory store, with a clock the test moves."""

    store: InMemoryStore
    clock: FixedClock
    ids: SequentialIds
    app: Paygate

    def merchant(self, webhook_url: str | None) -> Merchant:
        n = len(self.store.tables["merchants"]) + 1
        registration = self.app.register_merchant(
            RegisterMerchant(
                email=f"shop{n}@shop.example",
                name=f"Shop {n}",
                password="s3cret-pass",
                webhook_url=webhook_url,
            )
        )
        return registration.merchant

    def pay(self, merchant: Merchant, card: str = APPROVED_CARD, amount: str = "100.00") -> Payment:
        order = self.app.create_order(CreateOrder(merchant.id, amount, "INR"))
        return self.app.pay_order(PayOrder(merchant.id, order.id, card, "12/30", "123"))

    def set_webhook_url_unchecked(self, merchant: Merchant, url: str) -> None:
        """Store a URL registration would refuse (as if saved before the rule existed)."""
        with self.store.unit_of_work() as work:
            stored = work.merchants.get(merchant.id)
            assert stored is not None
            stored.webhook_url = url
            work.merchants.update(stored)
            work.commit()

    def events(self, merchant: Merchant) -> list[WebhookEvent]:
        return list(self.app.list_webhook_events(merchant.id, PageRequest(limit=100)).items)

    def event(self, merchant: Merchant, event_id: UUID) -> WebhookEvent:
        return next(e for e in self.events(merchant) if e.id == event_id)

    def attempts(self, merchant: Merchant) -> list[WebhookAttempt]:
        page = self.app.list_webhook_attempts(merchant.id, PageRequest(limit=100))
        return sorted(page.items, key=lambda a: (a.created_at, a.attempt))

    def dispatcher(self, **options: Any) -> WebhookDispatcher:
        settings: dict[str, Any] = {"allow_private": True, "timeout": 2.0, "poll_interval": 0.05}
        settings.update(options)
        return WebhookDispatcher(self.store.unit_of_work, self.clock, self.ids, **settings)


def new_world() -> World:
    # Near the real time, so signatures also verify against the receiver's own clock.
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    store = InMemoryStore()
    ids = SequentialIds()
    app = Paygate(
        uow=store.unit_of_work,
        clock=clock,
        ids=ids,
        processor=SimulatedProcessor(seed=1),
        hasher=PlainPasswordHasher(),
        tokens=UnsignedTokenService(clock),
        card_key=b"test-card-key",
    )
    return World(store, clock, ids, app)
