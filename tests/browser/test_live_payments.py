"""The merchant Overview's live ``Recent payments`` in a real browser: a payment made
through the API (with the merchant's API key) appears at the top of the open page within
2 s, written as the server writes money and statuses, without a reload."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx
from browser_accounts import PASSWORD
from playwright.sync_api import Page, expect

API = "/paygate/api/v1"
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvv": "123"}


def _api(server: str, path: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = httpx.post(
        f"{server}{API}/{path}", json=body, headers=headers, timeout=10, trust_env=False
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _pay(server: str, api_key: str, amount: str, currency: str) -> str:
    order = _api(
        server, "orders/", {"amount": amount, "currency": currency}, **{"X-API-Key": api_key}
    )
    payment = _api(
        server,
        "payments/",
        {"order_id": order["order_id"], "card_details": CARD},
        **{"X-API-Key": api_key},
    )
    return str(payment["payment_id"])


def test_a_payment_made_through_the_api_appears_on_the_open_overview(
    page: Page, server: str
) -> None:
    email = f"live-{uuid.uuid4().hex[:10]}@example.com"
    merchant = _api(
        server, "auth/register/", {"email": email, "name": "Live Shop", "password": PASSWORD}
    )
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/merchant$"))
    table = page.get_by_role("table", name="Recent payments")
    expect(table).to_contain_text("No payments yet.")
    page.evaluate("window.paygateNotReloaded = true")
    page.wait_for_timeout(500)  # the stream is open

    started = time.monotonic()
    payment_id = _pay(server, merchant["api_key"], "1234.5", "INR")
    row = table.get_by_role("row").filter(has_text=payment_id)
    expect(row).to_be_visible(timeout=2_000)
    assert time.monotonic() - started < 2.5
    expect(row.get_by_role("cell").nth(3)).to_have_text("1,234.50 INR")
    status = row.locator("span.tag")
    expect(status).to_have_text("authorized")
    expect(status).to_have_class("tag tag-green")
    expect(row.get_by_role("cell").nth(4)).to_have_text("•••• 4242")
    expect(table).not_to_contain_text("No payments yet.")

    second = _pay(server, merchant["api_key"], "1500", "JPY")
    first_row = table.locator("tbody tr").first
    expect(first_row).to_contain_text(second, timeout=2_000)
    expect(first_row.get_by_role("cell").nth(3)).to_have_text("1,500 JPY")
    assert page.evaluate("window.paygateNotReloaded === true"), "the page was reloaded"
