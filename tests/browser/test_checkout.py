"""Hosted checkout in a real browser against ``paygate serve`` (with its webhook
dispatcher): an order created through the API is paid on its checkout page by the
contract's accessible names; declines, the signed return, one payment per page however
often it is submitted, the lock after 5 declines, 404 for tampered and expired tokens, and
no card digits in the page after an error or in the server's log output."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx
import pytest
from browser_accounts import PASSWORD
from playwright.sync_api import Browser, BrowserContext, Page, expect

from cli_process import PaygateProcess
from paygate_core.checkout import issue_checkout_token, verify_return_signature
from paygate_http.api.checkout_links import checkout_key

API = "/paygate/api/v1"
SECRET = "browser-checkout-secret-0123456789abcdefghij"
DECLINED = "4000 0000 0000 0002"
GOOD = "4242 4242 4242 4242"


class _Receiver(BaseHTTPRequestHandler):
    """The merchant's server: records webhook bodies and return visits."""

    bodies: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        _Receiver.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>Back</title><h1>Back at the shop</h1>")

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PaygateProcess, str]]:
    directory = tmp_path_factory.mktemp("checkout")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env.update(
        PAYGATE_DATABASE_URL=f"sqlite:///{directory}/paygate.db",
        PAYGATE_SECRET_KEY=SECRET,
        PAYGATE_BCRYPT_ROUNDS="4",
        PAYGATE_AUTH_RATE_LIMIT="1000/minute",
        PAYGATE_CHECKOUT_RATE_LIMIT="1000/minute",
        PAYGATE_WEBHOOK_ALLOW_PRIVATE="true",
        PAYGATE_LOG_LEVEL="DEBUG",
    )
    process = PaygateProcess(["serve", "--port", "0"], env)
    try:
        yield process, process.serving_url()
    finally:
        process.stop(timeout=10)


@pytest.fixture(scope="module")
def process(running: tuple[PaygateProcess, str]) -> PaygateProcess:
    return running[0]


@pytest.fixture(scope="module")
def shop_server(running: tuple[PaygateProcess, str]) -> str:
    return running[1]


@pytest.fixture
def shopper(chromium: Browser, shop_server: str) -> Iterator[BrowserContext]:
    context = chromium.new_context(base_url=shop_server, viewport={"width": 375, "height": 800})
    context.set_default_timeout(10_000)
    yield context
    context.close()


class Shop:
    def __init__(self, server: str, receiver: str) -> None:
        self.server = server
        body = {
            "email": f"tea-{uuid.uuid4().hex[:10]}@example.com",
            "name": "Tea Shop",
            "password": PASSWORD,
            "webhook_url": f"{receiver}/hook",
        }
        registered = httpx.post(f"{server}{API}/auth/register/", json=body, trust_env=False)
        assert registered.status_code == 201, registered.text
        data = registered.json()["data"]
        self.key = data["api_key"]
        self.merchant_id = data["merchant_id"]
        rotated = httpx.post(
            f"{server}{API}/merchants/me/webhook-secret/",
            trust_env=False,
            headers={"Authorization": f"Bearer {data['access']}"},
        )
        self.webhook_secret = rotated.json()["data"]["webhook_secret"]

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = httpx.request(
            method,
            f"{self.server}{API}/{path}",
            json=body,
            headers={"X-API-Key": self.key},
            trust_env=False,
        )
        assert answer.status_code in (200, 201), answer.text
        return answer.json()["data"]

    def order(self, **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.api(
            "POST", "orders/", {"amount": "100.00", "receipt": "inv-42", **fields}
        )
        return data


@pytest.fixture
def shop(shop_server: str, receiver: str) -> Shop:
    return Shop(shop_server, receiver)


def _fill(page: Page, number: str, cvv: str = "123") -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("CVV").fill(cvv)


def _pay(page: Page, number: str, cvv: str = "123") -> None:
    _fill(page, number, cvv)
    page.get_by_role("button", name="Pay 100.00 INR").click()


def test_paying_on_the_checkout_page(shopper: BrowserContext, shop: Shop, receiver: str) -> None:
    order = shop.order(return_url=f"{receiver}/back")
    page = shopper.new_page()
    page.goto(order["checkout_url"])
    expect(page.get_by_role("heading", level=1, name="Pay Tea Shop")).to_be_visible()
    expect(page.get_by_text("inv-42")).to_be_visible()
    for label, token in (
        ("Card number", "cc-number"),
        ("Expiry (MM/YY)", "cc-exp"),
        ("CVV", "cc-csc"),
    ):
        expect(page.get_by_label(label)).to_have_attribute("autocomplete", token)
    _pay(page, GOOD)
    expect(page.get_by_role("heading", level=1, name="Payment successful")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    details = shop.api("GET", f"orders/{order['order_id']}/")
    assert details["status"] == "paid"
    [payment] = details["payments"]
    assert payment["status"] == "authorized"
    expect(page.get_by_text(payment["payment_id"])).to_be_visible()
    link = page.get_by_role("link", name="Return to Tea Shop")
    query = parse_qs(urlsplit(link.get_attribute("href") or "").query)
    assert query["payment_id"] == [payment["payment_id"]]
    assert verify_return_signature(
        shop.webhook_secret,
        query["order_id"][0],
        query["payment_id"][0],
        query["status"][0],
        query["signature"][0],
    )
    link.click()
    expect(page.get_by_role("heading", name="Back at the shop")).to_be_visible()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        sent = [json.dumps(body) for body in _Receiver.bodies]
        if any(payment["payment_id"] in text and '"payment.authorized"' in text for text in sent):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"no payment.authorized webhook; received {_Receiver.bodies!r}")
    page.goto(order["checkout_url"])
    expect(page.get_by_role("heading", name="This order has been paid")).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_count(0)


def test_a_decline_then_a_success_and_no_card_data_anywhere(
    shopper: BrowserContext, shop: Shop, process: PaygateProcess
) -> None:
    order = shop.order()
    page = shopper.new_page()
    page.goto(order["checkout_url"])
    _pay(page, DECLINED, cvv="987")
    expect(page.get_by_role("heading", name="Payment declined")).to_be_visible()
    expect(page.get_by_text("The card was declined.")).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_value("")
    expect(page.get_by_label("CVV")).to_have_value("")
    html = page.content()
    assert "4000 0000 0000 0002" not in html
    assert "4000000000000002" not in html
    assert "987" not in html
    _pay(page, GOOD)
    expect(page.get_by_role("heading", level=1, name="Payment successful")).to_be_visible()
    payments = shop.api("GET", f"orders/{order['order_id']}/")["payments"]
    assert [p["status"] for p in payments] == ["authorized", "failed"]
    output = process.output()
    for secret in (
        "4000000000000002",
        "4000 0000 0000 0002",
        "4242424242424242",
        "4242 4242 4242 4242",
        "4000+0000",
        "4242+4242",
    ):
        assert secret not in output


def test_a_double_submit_makes_one_payment(shopper: BrowserContext, shop: Shop) -> None:
    order = shop.order()
    page = shopper.new_page()
    page.goto(order["checkout_url"])
    _fill(page, GOOD)
    form = page.locator("form.checkout-form")
    fields = {
        name: form.locator(f"[name={name}]").input_value()
        for name in ("csrf_token", "nonce", "card_number", "expiry", "cvv")
    }
    cookies = {c["name"]: c["value"] for c in shopper.cookies()}
    answers: list[int] = []

    def submit() -> None:
        answer = httpx.post(order["checkout_url"], data=fields, cookies=cookies, trust_env=False)
        answers.append(answer.status_code)

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    page.get_by_role("button", name="Pay 100.00 INR").dblclick()
    for thread in threads:
        thread.join()
    expect(page.get_by_role("heading", level=1, name="Payment successful")).to_be_visible()
    assert answers == [303, 303, 303]
    assert len(shop.api("GET", f"orders/{order['order_id']}/")["payments"]) == 1


def test_five_declines_lock_the_checkout(shopper: BrowserContext, shop: Shop) -> None:
    order = shop.order()
    page = shopper.new_page()
    page.goto(order["checkout_url"])
    for _ in range(5):
        _pay(page, DECLINED)
        expect(page.get_by_role("heading", name="Payment declined")).to_be_visible()
    expect(page.get_by_role("heading", name="Checkout locked")).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_count(0)
    paid = shop.api(
        "POST",
        "payments/",
        {
            "order_id": order["order_id"],
            "card_details": {"card_number": GOOD, "expiry": "12/30", "cvv": "123"},
        },
    )
    assert paid["status"] == "authorized"


def test_tampered_and_expired_tokens_are_404(shopper: BrowserContext, shop: Shop) -> None:
    order = shop.order()
    url: str = order["checkout_url"]
    page = shopper.new_page()
    tampered = url[:-1] + ("A" if url[-1] != "A" else "B")
    expired = issue_checkout_token(
        checkout_key(SECRET),
        UUID(order["order_id"]),
        UUID(shop.merchant_id),
        datetime.now(UTC) - timedelta(days=8),
    )
    origin = url.split("/checkout/", maxsplit=1)[0]
    for address in (tampered, f"{origin}/checkout/{expired}"):
        answer = page.goto(address)
        assert answer is not None
        assert answer.status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        assert "Tea Shop" not in page.content()
        assert "100.00" not in page.content()
