"""Harness of the worker tests: a recording receiver, ``paygate`` processes, seeded events.

The receiver is a threaded HTTP server on 127.0.0.1 in the test process; ``paygate worker``
and ``paygate serve`` run as real processes (``python -m paygate_http.process.cli``) on the test's
own database. Every wait here has a deadline, and every process is killed by its PID.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import attrs

from cli_process import PaygateProcess, deadline_loop  # noqa: F401 (the tests wait with it)
from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema
from paygate_core import CreateOrder, Paygate, PayOrder, RegisterMerchant
from paygate_core.events import DeliveryStatus, WebhookAttemptStatus, WebhookEvent
from paygate_core.pagination import Page, PageRequest
from paygate_http import Settings
from paygate_http.process.wiring import build_paygate

SECRET = "worker-test-secret-key-0123456789-abcdefgh"
PASSWORD = "s3cret-pass"
APPROVED_CARD = "4242424242424242"
API = "/paygate/api/v1"


# --- the receiver ---------------------------------------------------------------------------


@attrs.frozen
class Receipt:
    """One POST as the receiver got it."""

    event_id: str
    attempt: int
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    def header(self, name: str) -> str | None:
        return {k.lower(): v for k, v in self.headers.items()}.get(name.lower())


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a dispatcher opens up to 32 connections at once
    daemon_threads = True


class Receiver:
    """Records every delivery (event id and attempt header) and answers 200 after ``delay``
    seconds. ``on_request(n, action)`` runs ``action`` in the handler when the n-th request
    arrives, before it is answered: the sender is then certainly mid-delivery."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.receipts: list[Receipt] = []
        self._triggers: dict[int, Callable[[], None]] = {}
        self._arrived = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        # A host name: registration refuses literal loopback addresses.
        return f"http://localhost:{self._server.server_address[1]}/hook"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def on_request(self, number: int, action: Callable[[], None]) -> None:
        self._triggers[number] = action

    def wait_for(self, count: int, timeout: float) -> list[Receipt]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.receipts) >= count, timeout)
            return list(self.receipts)

    def snapshot(self) -> list[Receipt]:
        with self._arrived:
            return list(self.receipts)

    def _record(self, receipt: Receipt) -> Callable[[], None] | None:
        with self._arrived:
            self.receipts.append(receipt)
            self._arrived.notify_all()
            return self._triggers.pop(len(self.receipts), None)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = dict(self.headers.items())
                action = receiver._record(
                    Receipt(
                        event_id=headers.get("X-Paygate-Event-Id", ""),
                        attempt=int(headers.get("X-Paygate-Delivery-Attempt", "0")),
                        headers=headers,
                        body=body,
                        at=arrived,
                    )
                )
                if action is not None:
                    action()
                time.sleep(receiver.delay)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender died meanwhile (the crash tests kill it)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def times_received(receipts: list[Receipt]) -> Counter[str]:
    return Counter(r.event_id for r in receipts)


# --- paygate processes ----------------------------------------------------------------------


def paygate_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``paygate`` process on ``database_url``: private webhook
    destinations allowed (the receiver is on 127.0.0.1), 2 s attempts, cheap bcrypt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env.update(
        PAYGATE_DATABASE_URL=database_url,
        PAYGATE_SECRET_KEY=SECRET,
        PAYGATE_WEBHOOK_ALLOW_PRIVATE="true",
        PAYGATE_WEBHOOK_TIMEOUT="2",
        PAYGATE_BCRYPT_ROUNDS="4",
        PAYGATE_COOKIE_SECURE="false",
        PAYGATE_LOG_LEVEL="INFO",
        **extra,
    )
    return env


class Processes:
    """Starts ``paygate`` processes and guarantees they end with the test."""

    def __init__(self) -> None:
        self.started: list[PaygateProcess] = []

    def start(self, *args: str, env: dict[str, str]) -> PaygateProcess:
        process = PaygateProcess(list(args), env)
        self.started.append(process)
        return process

    def close(self) -> None:
        for process in self.started:
            try:
                process.stop(timeout=5.0)
            finally:
                if process.process.poll() is None:
                    process.kill()


# --- the store ------------------------------------------------------------------------------


@attrs.define
class Shop:
    """Paygate over the SQL adapters on the test database, and one merchant in it."""

    paygate: Paygate
    merchant_id: UUID
    engine: Any

    def pay(self, count: int) -> None:
        """``count`` approved payments: ``count`` committed ``payment.authorized`` events."""
        for _ in range(count):
            order = self.paygate.create_order(CreateOrder(self.merchant_id, "100.00"))
            self.paygate.pay_order(
                PayOrder(self.merchant_id, order.id, APPROVED_CARD, "12/30", "123")
            )

    def events(self) -> list[WebhookEvent]:
        """Every webhook event of the merchant, page by page."""
        events: list[WebhookEvent] = []
        cursor: str | None = None
        while True:
            page: Page[WebhookEvent] = self.paygate.list_webhook_events(
                self.merchant_id, PageRequest.parse(limit=100, cursor=cursor)
            )
            events.extend(page.items)
            if not page.has_more:
                return events
            cursor = page.next_cursor

    def sent_attempt_numbers(self) -> dict[str, int]:
        """Per event id, the number of the attempt the database logged as delivered."""
        sent: dict[str, int] = {}
        cursor: str | None = None
        while True:
            page = self.paygate.list_webhook_attempts(
                self.merchant_id, PageRequest.parse(limit=100, cursor=cursor)
            )
            for attempt in page.items:
                if attempt.status is WebhookAttemptStatus.SENT:
                    sent[str(attempt.event_id)] = attempt.attempt
            if not page.has_more:
                return sent
            cursor = page.next_cursor

    def wait_until_all_delivered(self, expected: int, timeout: float) -> list[WebhookEvent]:
        deadline = time.monotonic() + timeout
        while True:
            events = self.events()
            done = sum(e.delivery_status is DeliveryStatus.DELIVERED for e in events)
            if done == expected == len(events) or time.monotonic() > deadline:
                return events
            time.sleep(0.1)

    def close(self) -> None:
        self.engine.dispose()


def open_shop(database_url: str, webhook_url: str) -> Shop:
    """Migrate the database and register a merchant whose webhooks go to ``webhook_url``."""
    engine = create_database_engine(database_url)
    upgrade_schema(engine)
    settings = Settings(
        secret_key=SECRET, database_url=database_url, bcrypt_rounds=4, simulator_success_rate=1.0
    )
    paygate = build_paygate(settings, SqlUnitOfWorkFactory(engine))
    merchant = paygate.register_merchant(
        RegisterMerchant(
            email="shop@shop.example", name="Shop", password=PASSWORD, webhook_url=webhook_url
        )
    ).merchant
    return Shop(paygate, merchant.id, engine)
