"""The merchant's Orders, Payments, Webhooks and Settings pages in a real browser, driven by
the contract's accessible names: an order created on the page and paid through the API,
captured and refunded on the pages; the webhook URL saved, the signing secret rotated and
an event resent; the API key revealed, copied and rotated (the old key refused with 401)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from browser_accounts import PASSWORD
from playwright.sync_api import BrowserContext, Page, expect

API = "/paygate/api/v1"


def _register(page: Page) -> None:
    page.goto("/dashboard/register")
    page.get_by_label("Email").fill(f"shop-{uuid.uuid4().hex[:10]}@example.com")
    page.get_by_label("Name").fill("Corner Shop")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()


def _open(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


def _revealed_key(page: Page) -> str:
    _open(page, "Settings")
    page.get_by_role("button", name="Reveal").click()
    key = page.locator("#api-key").inner_text().strip()
    assert key.startswith("pk_")
    return key


def _api(
    server: str, method: str, path: str, key: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return httpx.request(
        method, f"{server}{API}/{path}", json=body, trust_env=False, headers={"X-API-Key": key}
    )


def _pay(server: str, key: str, order_id: str) -> str:
    answer = _api(
        server,
        "POST",
        "payments/",
        key,
        {
            "order_id": order_id,
            "card_details": {"card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvv": "123"},
        },
    )
    assert answer.status_code == 201, answer.text
    payment_id: str = answer.json()["data"]["payment_id"]
    return payment_id


def test_an_order_made_on_the_page_is_paid_by_api_then_captured_and_refunded(
    page: Page, server: str
) -> None:
    _register(page)
    key = _revealed_key(page)
    _open(page, "Orders")
    expect(page.get_by_label("Currency")).to_have_value("INR")
    page.get_by_label("Amount").fill("1500")
    page.get_by_label("Currency").select_option("JPY")
    page.get_by_label("Receipt").fill("inv-42")
    page.get_by_role("button", name="Create order").click()
    expect(page.get_by_role("status").filter(has_text="Order created")).to_have_text(
        "Order created"
    )
    expect(page.get_by_role("button", name="Copy checkout link")).to_be_visible()
    expect(page.get_by_text("1,500 JPY")).to_be_visible()
    order_id = page.url.rsplit("/", 1)[1]
    payment_id = _pay(server, key, order_id)

    _open(page, "Payments")
    page.get_by_role("link", name=payment_id).click()
    expect(page.get_by_text("authorized", exact=True)).to_be_visible()
    page.get_by_role("button", name="Capture").click()
    expect(page.get_by_role("status")).to_have_text("Payment captured")
    expect(page.get_by_role("button", name="Capture")).to_have_count(0)
    assert (
        _api(server, "GET", f"payments/{payment_id}/", key).json()["data"]["status"] == "captured"
    )

    page.get_by_label("Amount").fill("500")
    page.get_by_label("Reason").fill("one item returned")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("heading", level=1, name="Confirm refund")).to_be_visible()
    expect(page.get_by_role("heading", name="Refund 500 JPY?")).to_be_visible()
    page.get_by_role("button", name="Confirm refund").click()
    expect(page.get_by_role("status")).to_have_text("Refund issued")
    refunds = page.get_by_role("table", name="Refunds")
    expect(refunds.get_by_role("cell", name="500 JPY")).to_be_visible()
    expect(refunds.get_by_role("cell", name="one item returned")).to_be_visible()
    payment = _api(server, "GET", f"payments/{payment_id}/", key).json()["data"]
    assert payment["amount_refunded"] == "500"


def test_a_refund_over_the_balance_is_refused_beside_the_amount(page: Page, server: str) -> None:
    _register(page)
    key = _revealed_key(page)
    order = _api(server, "POST", "orders/", key, {"amount": "10.00"}).json()["data"]
    payment_id = _pay(server, key, order["order_id"])
    page.goto(f"/dashboard/merchant/payments/{payment_id}")
    page.get_by_label("Amount").fill("10.01")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_text("Amount exceeds the refundable balance 10.00").first).to_be_visible()
    expect(page.get_by_label("Amount")).to_have_value("10.01")


def test_webhook_url_signing_secret_and_resend(page: Page, server: str) -> None:
    _register(page)
    key = _revealed_key(page)
    order = _api(server, "POST", "orders/", key, {"amount": "25.00"}).json()["data"]
    _pay(server, key, order["order_id"])
    _open(page, "Webhooks")
    page.get_by_label("Webhook URL").fill("not a url")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("Webhook URL must be an absolute http or https URL").first
    ).to_be_visible()
    page.get_by_label("Webhook URL").fill("https://shop.example/hooks")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Webhook URL saved")
    expect(page.get_by_label("Webhook URL")).to_have_value("https://shop.example/hooks")

    page.get_by_role("button", name="Rotate signing secret").click()
    secret = page.locator("#webhook-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    page.reload()
    expect(page.locator("#webhook-secret")).to_have_count(0)  # shown once

    events = page.get_by_role("table", name="Events, newest first")
    row = events.get_by_role("row").filter(has_text="payment.authorized")
    expect(row.get_by_role("cell").nth(4)).to_have_text("0")
    row.get_by_role("button", name="Resend").click()
    expect(page.get_by_role("status")).to_have_text("Event queued for delivery again")
    page.get_by_role("link", name="payment.authorized").click()
    expect(page.get_by_role("table", name="Attempt log, newest first")).to_be_visible()


def test_api_key_reveal_copy_and_rotate(page: Page, context: BrowserContext, server: str) -> None:
    _register(page)
    _open(page, "Settings")
    expect(page.locator("#api-key-masked")).to_have_text(re.compile(r"^pk_•{12}.{4}$"))
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()  # copies without showing it
    expect(page.get_by_text("Copied")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("pk_")
    expect(page.locator("#api-key")).to_have_count(0)
    old = _revealed_key(page)
    assert old == copied
    assert _api(server, "GET", "orders/", old).status_code == 200

    page.get_by_role("button", name="Rotate API key").click()  # the box is required
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible()
    assert _api(server, "GET", "orders/", old).status_code == 200
    page.get_by_label("I understand the current key stops working at once").check()
    page.get_by_role("button", name="Rotate API key").click()
    expect(page.get_by_role("status").first).to_contain_text("API key rotated")
    new = page.locator("#api-key").inner_text().strip()
    assert new.startswith("pk_")
    assert new != old
    refused = _api(server, "GET", "orders/", old)
    assert refused.status_code == 401
    assert refused.json()["exception"]["code"] == 1002
    assert _api(server, "GET", "orders/", new).status_code == 200
    page.reload()
    expect(page.locator("#api-key")).to_have_count(0)  # the new key was shown once


def test_the_pages_are_usable_at_375_px(make_page: Any) -> None:
    page = make_page(width=375)
    _register(page)
    for name in ("Orders", "Payments", "Webhooks", "Settings"):
        _open(page, name)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, name
