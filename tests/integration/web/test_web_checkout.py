"""Hosted checkout (``/checkout/<token>``) through a browser stand-in: the page, paying
with the API's use case, declines, one payment per page, the signed return, the lock after
5 declines, the rate limit, and 404 for every token that is not genuine and current."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from web_harness import PASSWORD, SECRET, Browser, BrowserFactory, csrf_token

from paygate_core.checkout import verify_return_signature
from paygate_core.gateway import Paygate
from paygate_core.orders import Order, OrderStatus
from paygate_core.payments import PaymentStatus
from paygate_core.testing import FixedClock
from paygate_core.use_cases.auth import MerchantRegistration, RegisterMerchant
from paygate_core.use_cases.payments import CreateOrder
from paygate_http.api.checkout_links import CheckoutLinks, checkout_key

GOOD = {"card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvv": "123"}
DECLINED = {"card_number": "4000 0000 0000 0002", "expiry": "12/30", "cvv": "321"}
_NONCE = re.compile(r'name="nonce" value="([^"]*)"')
ORIGIN = "http://testserver.local"


@pytest.fixture
def shop(paygate: Paygate) -> MerchantRegistration:
    return paygate.register_merchant(
        RegisterMerchant(email="shop@example.com", name="Tea & Co", password=PASSWORD)
    )


def _order(
    paygate: Paygate, shop: MerchantRegistration, amount: str = "100.00", **fields: Any
) -> Order:
    return paygate.create_order(CreateOrder(shop.merchant.id, amount, receipt="inv-42", **fields))


def _path(order: Order) -> str:
    return urlsplit(CheckoutLinks(checkout_key(SECRET), ORIGIN).url_for(order)).path


def _pay(browser: Browser, path: str, card: dict[str, str]) -> httpx.Response:
    page = browser.get(path).text
    nonce = _NONCE.search(page)
    assert nonce is not None
    return browser.post(path, {**card, "csrf_token": csrf_token(page), "nonce": nonce[1]})


def test_the_page_shows_the_order_and_an_accessible_card_form(
    browser: Browser, paygate: Paygate, shop: MerchantRegistration
) -> None:
    response = browser.get(_path(_order(paygate, shop, "1500", currency="JPY")))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert "Tea &amp; Co" in html
    assert "1,500 JPY" in html
    assert "inv-42" in html
    assert "Pay 1,500 JPY</button>" in html
    for name, token in (("card_number", "cc-number"), ("expiry", "cc-exp"), ("cvv", "cc-csc")):
        assert re.search(rf'id="{name}" name="{name}" [^>]*autocomplete="{token}"', html)
    assert '<label for="expiry">Expiry (MM/YY)</label>' in html
    assert "<script>" not in html


def test_paying_runs_the_payment_and_returns_signed(
    browser: Browser, paygate: Paygate, shop: MerchantRegistration
) -> None:
    order = _order(paygate, shop, return_url="https://tea.example/back?cart=7")
    paid = _pay(browser, _path(order), GOOD)
    assert paid.status_code == 303
    outcome = browser.get(paid.headers["location"])
    assert outcome.status_code == 200
    assert "Payment successful" in outcome.text
    details = paygate.get_order(shop.merchant.id, order.id)
    assert details.order.status is OrderStatus.PAID
    [payment] = details.payments
    assert payment.status is PaymentStatus.AUTHORIZED
    assert str(payment.id) in outcome.text
    link = re.search(r'<a class="button" href="([^"]+)">Return to Tea &amp; Co</a>', outcome.text)
    assert link is not None
    url = urlsplit(link[1].replace("&amp;", "&"))
    assert (url.scheme, url.netloc, url.path) == ("https", "tea.example", "/back")
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert query["cart"] == "7"
    assert (query["order_id"], query["payment_id"], query["status"]) == (
        str(order.id),
        str(payment.id),
        "authorized",
    )
    assert verify_return_signature(
        shop.merchant.webhook_secret,
        query["order_id"],
        query["payment_id"],
        query["status"],
        query["signature"],
    )
    again = browser.get(_path(order))
    assert "This order has been paid" in again.text
    assert 'name="card_number"' not in again.text


def test_a_decline_shows_the_reason_and_the_form_without_card_data(
    browser: Browser, paygate: Paygate, shop: MerchantRegistration
) -> None:
    order = _order(paygate, shop)
    declined = _pay(browser, _path(order), DECLINED)
    assert declined.status_code == 303
    page = browser.get(declined.headers["location"])
    assert "Payment declined" in page.text
    assert "The card was declined." in page.text
    assert "0002" not in page.text.replace(str(order.id), "")
    assert "321" not in page.text
    assert 'value="4000' not in page.text
    assert "Pay 100.00 INR" in page.text
    paid = _pay(browser, _path(order), GOOD)
    assert "Payment successful" in browser.get(paid.headers["location"]).text


def test_invalid_card_fields_answer_in_the_api_words_and_pay_nothing(
    browser: Browser, paygate: Paygate, shop: MerchantRegistration
) -> None:
    order = _order(paygate, shop)
    response = _pay(
        browser, _path(order), {"card_number": "4242 42", "expiry": "01/20", "cvv": "98765"}
    )
    assert response.status_code == 422
    assert "Card number must be 12 to 19 digits" in response.text
    assert "Expiry (MM/YY) card has expired" in response.text
    assert "CVV must be 3 or 4 digits" in response.text
    assert "4242 42" not in response.text
    assert "98765" not in response.text
    assert paygate.get_order(shop.merchant.id, order.id).payments == ()


def test_a_page_submitted_twice_makes_one_payment(
    browser: Browser, paygate: Paygate, shop: MerchantRegistration
) -> None:
    order = _order(paygate, shop)
    path = _path(order)
    page = browser.get(path).text
    nonce = _NONCE.search(page)
    assert nonce is not None
    form = {**DECLINED, "csrf_token": csrf_token(page), "nonce": nonce[1]}
    first = browser.post(path, form)
    second = browser.post(path, form)
    assert first.headers["location"] == second.headers["location"]
    assert len(paygate.get_order(shop.merchant.id, order.id).payments) == 1


def test_without_the_csrf_token_nothing_is_paid(
    browser: Browser, paygate: Paygate, shop: MerchantRegistration
) -> None:
    order = _order(paygate, shop)
    path = _path(order)
    page = browser.get(path).text
    nonce = _NONCE.search(page)
    assert nonce is not None
    refused = browser.post(path, {**GOOD, "nonce": nonce[1], "csrf_token": "0" * 64})
    assert refused.status_code == 403
    assert paygate.get_order(shop.merchant.id, order.id).payments == ()


def test_five_declines_lock_the_checkout_but_not_the_api(
    browser: Browser, paygate: Paygate, shop: MerchantRegistration
) -> None:
    order = _order(paygate, shop)
    path = _path(order)
    token = csrf_token(browser.get(path).text)
    for _ in range(5):
        assert _pay(browser, path, DECLINED).status_code == 303
    locked = browser.get(path)
    assert "Checkout locked" in locked.text
    assert 'name="card_number"' not in locked.text
    refused = browser.post(path, {**GOOD, "csrf_token": token, "nonce": "n" * 32})
    assert refused.status_code == 303
    assert len(paygate.get_order(shop.merchant.id, order.id).payments) == 5
    api = browser.client.post(
        "/paygate/api/v1/payments/",
        headers={"X-API-Key": shop.merchant.api_key},
        json={
            "order_id": str(order.id),
            "card_details": {"card_number": GOOD["card_number"], "expiry": "12/30", "cvv": "123"},
        },
    )
    assert api.status_code == 201


def test_checkout_submissions_are_rate_limited_per_client(
    make_browser: BrowserFactory, paygate: Paygate, shop: MerchantRegistration
) -> None:
    from paygate_http.pipeline.rate_limits import RateLimit

    browser = make_browser(checkout_rate_limit=RateLimit(2, 60))
    order = _order(paygate, shop)
    path = _path(order)
    assert _pay(browser, path, DECLINED).status_code == 303
    assert _pay(browser, path, DECLINED).status_code == 303
    limited = _pay(browser, path, GOOD)
    assert limited.status_code == 429
    assert "retry-after" in limited.headers
    assert len(paygate.get_order(shop.merchant.id, order.id).payments) == 2


def test_wrong_tampered_and_expired_tokens_are_a_bare_404(
    browser: Browser, paygate: Paygate, shop: MerchantRegistration, clock: FixedClock
) -> None:
    order = _order(paygate, shop)
    path = _path(order)
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for bad in (tampered, "/checkout/nope", f"{path}/payments/{order.id}"):
        response = browser.get(bad)
        assert response.status_code == 404, bad
        assert "Tea" not in response.text
        assert "100.00" not in response.text
    clock.advance(timedelta(days=7))
    expired = browser.get(path)
    assert expired.status_code == 404
    assert "Tea" not in expired.text


def test_the_dashboard_order_page_offers_the_checkout_link(
    browser: Browser, paygate: Paygate, shop: MerchantRegistration
) -> None:
    order = _order(paygate, shop)
    assert browser.login("shop@example.com").status_code == 303
    page = browser.get(f"/dashboard/merchant/orders/{order.id}").text
    assert f'href="{ORIGIN}{_path(order)}"' in page
    assert "Copy checkout link" in page


@pytest.mark.redis
def test_two_workers_sharing_redis_share_the_checkout_budget(
    make_browser: BrowserFactory,
    paygate: Paygate,
    shop: MerchantRegistration,
    redis_url: str,
    redis_prefix: str,
) -> None:
    from paygate_http.pipeline.rate_limits import RateLimit

    shared = {
        "redis_url": redis_url,
        "redis_prefix": redis_prefix,
        "checkout_rate_limit": RateLimit(3, 60),
    }
    first, second = make_browser(**shared), make_browser(**shared)
    path = _path(_order(paygate, shop))
    assert _pay(first, path, DECLINED).status_code == 303
    assert _pay(second, path, DECLINED).status_code == 303
    assert _pay(first, path, DECLINED).status_code == 303
    assert _pay(second, path, DECLINED).status_code == 429
    assert _pay(first, path, DECLINED).status_code == 429
