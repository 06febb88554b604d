"""webhooks/events/, webhooks/logs/ and resend, with the real dispatcher delivering to a
receiver on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from api_harness import DECLINED_CARD, Api, Merchant, error_of, uuid_text

from paygate_adapters.webhooks import WebhookDispatcher
from paygate_core.system import UUID4Ids


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/hooks"
    server.shutdown()
    server.server_close()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://localhost:{port}/hooks"


def _deliver(api: Api) -> int:
    dispatcher = WebhookDispatcher(
        api.paygate.uow, api.clock, UUID4Ids(), timeout=2, retry_schedule=(30,), allow_private=True
    )
    return dispatcher.run_once()


def _items(api: Api, path: str, merchant: Merchant, **params: str) -> list[dict[str, object]]:
    response = api.get(path, merchant.key, params)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["data"]["items"]
    return items


def test_events_are_skipped_without_a_webhook_url(api: Api, merchant: Merchant) -> None:
    payment = api.paid_order(merchant)
    (event,) = _items(api, "/webhooks/events/", merchant)
    assert list(event) == [
        "event_id",
        "event",
        "payment_id",
        "delivery_status",
        "attempts",
        "created_at",
        "last_attempt_at",
    ]
    assert (
        event["event"],
        event["payment_id"],
        event["delivery_status"],
        event["attempts"],
        event["last_attempt_at"],
    ) == ("payment.authorized", payment["payment_id"], "skipped", 0, None)


def test_delivered_events_and_their_logs(api: Api, receiver_url: str) -> None:
    shop = api.merchant(webhook_url=receiver_url)
    order_id = api.order(shop)["order_id"]
    failed = api.pay(shop, order_id, DECLINED_CARD).json()["data"]["payment_id"]
    paid = api.pay(shop, order_id).json()["data"]["payment_id"]
    assert [e["delivery_status"] for e in _items(api, "/webhooks/events/", shop)] == [
        "pending",
        "pending",
    ]
    assert _deliver(api) == 2
    events = _items(api, "/webhooks/events/", shop)
    assert [(e["event"], e["delivery_status"], e["attempts"]) for e in events] == [
        ("payment.authorized", "delivered", 1),
        ("payment.failed", "delivered", 1),
    ]
    assert all(isinstance(e["last_attempt_at"], str) for e in events)
    logs = _items(api, "/webhooks/logs/", shop)
    assert len(logs) == 2
    log = next(item for item in logs if item["payment_id"] == paid)
    assert list(log) == [
        "log_id",
        "event_id",
        "event",
        "payment_id",
        "attempt",
        "url",
        "status",
        "http_status",
        "response_body",
        "error",
        "duration_ms",
        "created_at",
    ]
    assert (
        log["event"],
        log["attempt"],
        log["url"],
        log["status"],
        log["http_status"],
        log["response_body"],
        log["error"],
    ) == ("payment.authorized", 1, receiver_url, "sent", 200, '{"ok": true}', None)
    assert isinstance(log["duration_ms"], int)
    assert [
        item["payment_id"] for item in _items(api, "/webhooks/logs/", shop, payment_id=failed)
    ] == [failed]


def test_resend_queues_the_same_event_again(api: Api, receiver_url: str) -> None:
    shop = api.merchant(webhook_url=receiver_url)
    api.paid_order(shop)
    _deliver(api)
    (event,) = _items(api, "/webhooks/events/", shop)
    response = api.post(f"/webhooks/events/{event['event_id']}/resend/", None, shop.key)
    assert response.status_code == 202
    assert response.json()["message"] == "Webhook event queued for delivery"
    data = response.json()["data"]
    assert (data["event_id"], data["delivery_status"]) == (event["event_id"], "pending")
    assert _deliver(api) == 1
    logs = _items(api, "/webhooks/logs/", shop, event_id=str(event["event_id"]))
    assert [(log["attempt"], log["status"]) for log in logs] == [(2, "sent"), (1, "sent")]
    assert _items(api, "/webhooks/events/", shop)[0]["attempts"] == 2


def test_failed_attempts_are_logged_with_their_error(api: Api) -> None:
    shop = api.merchant(webhook_url=_closed_port_url())
    api.paid_order(shop)
    _deliver(api)
    (log,) = _items(api, "/webhooks/logs/", shop)
    assert (log["status"], log["http_status"]) == ("failed", None)
    assert isinstance(log["error"], str)
    assert log["error"]
    assert _items(api, "/webhooks/events/", shop)[0]["delivery_status"] == "pending"


@pytest.mark.parametrize("event_id", ["nope", uuid_text(7)])
def test_resending_an_unknown_event_is_1018(api: Api, merchant: Merchant, event_id: str) -> None:
    response = api.post(f"/webhooks/events/{event_id}/resend/", None, merchant.key)
    assert error_of(response) == (404, 1018)


def test_log_filters_must_be_uuids(api: Api, merchant: Merchant) -> None:
    assert error_of(api.get("/webhooks/logs/", merchant.key, {"event_id": "x"})) == (422, 1004)
    assert error_of(api.get("/webhooks/logs/", merchant.key, {"payment_id": "x"})) == (422, 1004)
    assert error_of(api.get("/webhooks/events/", merchant.key, {"limit": "0"})) == (422, 1004)
