"""``paygate serve`` delivers webhooks from its own dispatcher unless ``--no-dispatcher``;
then a separate ``paygate worker`` does. Everything over real HTTP: API, webhook, receiver."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

import httpx
import pytest
from workers_harness import (
    API,
    APPROVED_CARD,
    PASSWORD,
    PaygateProcess,
    Processes,
    Receiver,
    deadline_loop,
    paygate_env,
)

from paygate_core.signatures import verify_signature

pytestmark = pytest.mark.slow


class Merchant:
    """A merchant registered through the API of a running server."""

    def __init__(self, base_url: str, webhook_url: str) -> None:
        self.client = httpx.Client(base_url=base_url + API, timeout=10, trust_env=False)
        registered = self.client.post(
            "/auth/register/",
            json={
                "email": "shop@shop.example",
                "name": "Shop",
                "password": PASSWORD,
                "webhook_url": webhook_url,
            },
        )
        assert registered.status_code == 201, registered.text
        data = registered.json()["data"]
        self.webhook_secret: str = data["webhook_secret"]
        self.client.headers["X-API-Key"] = data["api_key"]

    def pay(self) -> dict[str, Any]:
        order = self.client.post("/orders/", json={"amount": "100.00", "currency": "INR"})
        assert order.status_code == 201, order.text
        payment = self.client.post(
            "/payments/",
            json={
                "order_id": order.json()["data"]["order_id"],
                "card_details": {"card_number": APPROVED_CARD, "expiry": "12/30", "cvv": "123"},
            },
        )
        assert payment.status_code == 201, payment.text
        data: dict[str, Any] = payment.json()["data"]
        assert data["status"] == "authorized"
        return data

    def events(self) -> list[dict[str, Any]]:
        response = self.client.get("/webhooks/events/")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["data"]["items"]
        return items

    def wait_for_delivery_status(self, status: str, timeout: float = 10) -> dict[str, Any]:
        for _ in deadline_loop(timeout):
            [event] = self.events()
            if event["delivery_status"] == status:
                return event
        raise AssertionError(f"the event never became {status}: {self.events()}")

    def close(self) -> None:
        self.client.close()


def _serve(processes: Processes, env: dict[str, str], *extra: str) -> PaygateProcess:
    return processes.start("serve", "--port", "0", *extra, env=env)


def test_serve_sends_a_signed_payment_authorized_webhook_from_its_own_dispatcher(
    sqlite_url: str, receiver: Receiver, processes: Processes
) -> None:
    server = _serve(processes, paygate_env(sqlite_url))
    merchant = Merchant(server.serving_url(), receiver.url)
    try:
        payment = merchant.pay()
        [receipt] = receiver.wait_for(1, timeout=10)
        event = merchant.wait_for_delivery_status("delivered")
    finally:
        merchant.close()

    body = json.loads(receipt.body)
    assert receipt.header("X-Paygate-Event") == "payment.authorized"
    assert receipt.attempt == 1
    assert body["event"] == "payment.authorized"
    assert body["payment_id"] == payment["payment_id"]
    assert body["event_id"] == receipt.event_id == event["event_id"]
    assert event["attempts"] == 1
    signature = receipt.header("X-Paygate-Signature") or ""
    assert verify_signature(merchant.webhook_secret, signature, receipt.body)
    assert not verify_signature("another-secret", signature, receipt.body)
    assert not verify_signature(merchant.webhook_secret, signature, receipt.body + b" ")
    assert APPROVED_CARD not in receipt.body.decode()
    assert len(receiver.snapshot()) == 1


def test_serve_without_its_dispatcher_sends_nothing_until_a_worker_runs(
    sqlite_url: str, receiver: Receiver, processes: Processes
) -> None:
    env = paygate_env(sqlite_url)
    server = _serve(processes, env, "--no-dispatcher")
    merchant = Merchant(server.serving_url(), receiver.url)
    try:
        merchant.pay()
        time.sleep(1.5)  # six times the dispatcher's longest poll interval
        assert receiver.snapshot() == []
        [pending] = merchant.events()
        assert (pending["delivery_status"], pending["attempts"]) == ("pending", 0)

        processes.start("worker", env=env)
        [receipt] = receiver.wait_for(1, timeout=10)
        delivered = merchant.wait_for_delivery_status("delivered")
    finally:
        merchant.close()

    assert receipt.event_id == pending["event_id"] == delivered["event_id"]
    signature = receipt.header("X-Paygate-Signature") or ""
    assert verify_signature(merchant.webhook_secret, signature, receipt.body)


def _dispatcher_pid(server: PaygateProcess) -> int:
    """The process id the server's dispatcher logs when it starts."""
    for _ in deadline_loop(10):
        started = [e for e in server.logs() if e["message"] == "webhook dispatcher started"]
        if started:
            pid: int = started[0]["pid"]
            return pid
    raise AssertionError("the dispatcher never started")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not running
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_serve_runs_its_dispatcher_in_a_process_of_its_own_that_ends_with_the_server(
    sqlite_url: str, receiver: Receiver, processes: Processes
) -> None:
    server = _serve(processes, paygate_env(sqlite_url))
    merchant = Merchant(server.serving_url(), receiver.url)
    try:
        merchant.pay()
        receiver.wait_for(1, timeout=10)
    finally:
        merchant.close()
    dispatcher = _dispatcher_pid(server)
    assert dispatcher != server.pid  # its threads never take the server's GIL

    server.kill()  # SIGKILL: no chance to stop the child itself
    for _ in deadline_loop(5):
        if not _alive(dispatcher):
            break
    else:
        raise AssertionError("the dispatcher outlived the server")


def test_a_signal_to_the_whole_process_group_stops_server_and_dispatcher_gracefully(
    sqlite_url: str,
) -> None:
    """What Ctrl-C in a shell or ``timeout`` does: both processes get the signal."""
    server = PaygateProcess(["serve", "--port", "0"], paygate_env(sqlite_url), own_group=True)
    try:
        server.serving_url()
        dispatcher = _dispatcher_pid(server)
        os.killpg(server.pid, signal.SIGTERM)
        assert server.process.wait(20) == 0
        server.wait_for_log("webhook dispatcher stopped", timeout=5)
        assert not _alive(dispatcher)
    finally:
        if server.process.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
