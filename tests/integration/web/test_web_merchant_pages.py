"""The merchant's Orders, Payments, Webhooks and Settings pages over the app as
``create_app`` builds it: lists newest first in keyset pages with a status filter, every
form through the API's use cases (their checks, words and queued webhook events), then a
redirect; a POST without the CSRF token changes nothing; money shown exactly."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from web_harness import PASSWORD, Browser, BrowserFactory, csrf_token

from paygate_core.errors import NotAuthenticated
from paygate_core.gateway import Paygate
from paygate_core.orders import Order
from paygate_core.pagination import PageRequest
from paygate_core.payments import Payment
from paygate_core.testing import FixedClock
from paygate_core.use_cases.auth import Login
from paygate_core.use_cases.payments import CreateOrder, PayOrder

# Nothing here depends on where data is kept: the browser tests run the pages on SQLite.
pytestmark = pytest.mark.parametrize("backend", ["memory"], indirect=True)
ORDERS = "/dashboard/merchant/orders"
PAYMENTS = "/dashboard/merchant/payments"
WEBHOOKS = "/dashboard/merchant/webhooks"
SETTINGS = "/dashboard/merchant/settings"
APPROVED = "4242424242424242"
_NEXT = re.compile(r'<a href="([^"]+)" rel="next">Next page</a>')
_ONCE = re.compile(r'name="once" value="([^"]+)"')


@pytest.fixture
def merchant(browser: Browser, paygate: Paygate) -> UUID:
    """A merchant signed in through ``browser``; its id."""
    browser.register()
    found = paygate.login(Login(email="shop@example.com", password=PASSWORD)).merchant
    assert found is not None
    return found.id


def _order(
    paygate: Paygate, merchant: UUID, amount: str = "100.00", currency: str = "INR"
) -> Order:
    return paygate.create_order(CreateOrder(merchant_id=merchant, amount=amount, currency=currency))


def _paid(
    paygate: Paygate, merchant: UUID, amount: str = "100.00", card: str = APPROVED
) -> Payment:
    order = _order(paygate, merchant, amount)
    return paygate.pay_order(
        PayOrder(
            merchant_id=merchant,
            order_id=str(order.id),
            card_number=card,
            expiry="12/30",
            cvv="123",
        )
    )


def _follow(browser: Browser, answer: httpx.Response) -> httpx.Response:
    assert answer.status_code == 303, answer.text
    return browser.get(answer.headers["location"])


def _events(paygate: Paygate, merchant: UUID) -> list[str]:
    page = paygate.list_webhook_events(merchant, PageRequest(limit=100))
    return [item.event.type.value for item in page.items]


# --- Orders -----------------------------------------------------------------------------


def test_orders_are_listed_newest_first_in_keyset_pages(
    browser: Browser, paygate: Paygate, merchant: UUID, clock: FixedClock
) -> None:
    orders = []
    for index in range(23):
        clock.advance(timedelta(seconds=1))
        orders.append(_order(paygate, merchant, f"{index + 1}.00"))
    first = browser.get(ORDERS)
    assert first.status_code == 200
    assert "<h1>Orders</h1>" in first.text
    shown = re.findall(r"orders/([0-9a-f-]{36})\"", first.text)
    assert shown == [str(order.id) for order in reversed(orders)][:20]
    assert ">23.00 INR<" in first.text
    match = _NEXT.search(first.text)
    assert match is not None
    second = browser.get(match.group(1).replace("&amp;", "&"))
    shown = re.findall(r"orders/([0-9a-f-]{36})\"", second.text)
    assert shown == [str(order.id) for order in reversed(orders)][20:]
    assert _NEXT.search(second.text) is None
    assert 'href="/dashboard/merchant/orders">First page</a>' in second.text


def test_orders_filter_by_status(browser: Browser, paygate: Paygate, merchant: UUID) -> None:
    paid = _paid(paygate, merchant)
    waiting = _order(paygate, merchant)
    page = browser.get(f"{ORDERS}?status=paid").text
    assert str(paid.order_id) in page
    assert str(waiting.id) not in page
    assert '<option value="paid" selected>' in page
    refused = browser.get(f"{ORDERS}?status=lost")
    assert refused.status_code == 422
    assert "status" in refused.text


def test_new_order_creates_through_the_use_case_and_redirects_to_it(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    page = browser.get(ORDERS).text
    assert '<option value="INR" selected>' in page
    assert '<option value="JPY">' in page
    answer = browser.submit(
        ORDERS, ORDERS, {"amount": "1500", "currency": "JPY", "receipt": "inv-42"}
    )
    order_page = _follow(browser, answer)
    order = paygate.list_orders(merchant, PageRequest()).items[0]
    assert answer.headers["location"] == f"{ORDERS}/{order.id}"
    assert str(order.amount) == "1500 JPY"
    assert order.receipt == "inv-42"
    assert "Order created" in order_page.text
    assert ">1,500 JPY<" in order_page.text
    assert "Copy checkout link" in order_page.text  # unpaid: its hosted checkout link
    assert "Order created" not in browser.get(order_page.url.path).text  # shown once


def test_new_order_shows_the_apis_errors_beside_the_fields_and_keeps_the_values(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    answer = browser.submit(
        ORDERS, ORDERS, {"amount": "", "currency": "USD", "receipt": "kept-receipt"}
    )
    assert answer.status_code == 422
    assert 'id="amount-error"' in answer.text
    assert "Amount is required" in answer.text
    assert 'value="kept-receipt"' in answer.text
    assert '<option value="USD" selected>' in answer.text
    answer = browser.submit(ORDERS, ORDERS, {"amount": "10.005", "currency": "INR", "receipt": ""})
    assert answer.status_code == 422
    assert "Amount must have at most 2 decimal places for INR" in answer.text
    assert 'value="10.005"' in answer.text
    answer = browser.submit(ORDERS, ORDERS, {"amount": "1", "currency": "XYZ", "receipt": ""})
    assert "Currency unsupported currency" in answer.text
    assert paygate.list_orders(merchant, PageRequest()).items == ()


def test_an_order_page_lists_its_payments_and_another_merchants_order_is_404(
    browser: Browser, make_browser: BrowserFactory, paygate: Paygate, merchant: UUID
) -> None:
    payment = _paid(paygate, merchant, "250.50")
    page = browser.get(f"{ORDERS}/{payment.order_id}")
    assert page.status_code == 200
    assert str(payment.id) in page.text
    assert ">250.50 INR<" in page.text
    other = make_browser()
    other.register(email="other@example.com")
    assert other.get(f"{ORDERS}/{payment.order_id}").status_code == 404
    assert other.get(f"{PAYMENTS}/{payment.id}").status_code == 404
    assert browser.get(f"{ORDERS}/not-an-id").status_code == 404


# --- Payments ---------------------------------------------------------------------------


def test_payments_are_listed_newest_first_paged_and_filtered(
    browser: Browser, paygate: Paygate, merchant: UUID, clock: FixedClock
) -> None:
    payments = []
    for _ in range(21):
        clock.advance(timedelta(seconds=1))
        payments.append(_paid(paygate, merchant))
    clock.advance(timedelta(seconds=1))
    failed = _paid(paygate, merchant, card="4000000000000002")
    page = browser.get(PAYMENTS)
    assert "<h1>Payments</h1>" in page.text
    shown = re.findall(r"payments/([0-9a-f-]{36})\"", page.text)
    assert shown[0] == str(failed.id)
    assert len(shown) == 20
    match = _NEXT.search(page.text)
    assert match is not None
    rest = re.findall(
        r"payments/([0-9a-f-]{36})\"", browser.get(match.group(1).replace("&amp;", "&")).text
    )
    assert rest == [str(payments[1].id), str(payments[0].id)]
    only_failed = browser.get(f"{PAYMENTS}?status=failed").text
    assert re.findall(r"payments/([0-9a-f-]{36})\"", only_failed) == [str(failed.id)]
    assert "card_declined" in only_failed


def test_capture_runs_the_use_case_and_queues_its_event(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    payment = _paid(paygate, merchant)
    path = f"{PAYMENTS}/{payment.id}"
    page = browser.get(path).text
    assert ">Capture</button>" in page
    done = _follow(browser, browser.submit(path, f"{path}/capture", {}))
    assert "Payment captured" in done.text
    assert ">captured</span>" in done.text
    assert ">Capture</button>" not in done.text
    assert paygate.get_payment(merchant, payment.id).payment.status.value == "captured"
    assert _events(paygate, merchant)[0] == "payment.captured"
    again = browser.post(f"{path}/capture", {"csrf_token": csrf_token(done.text)})
    assert again.status_code == 409
    assert "Payment cannot be captured in status &#39;captured&#39;" in again.text


def test_a_refund_is_confirmed_with_its_exact_amount_then_runs_once(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    payment = _paid(paygate, merchant, "100.00")
    path = f"{PAYMENTS}/{payment.id}"
    confirm = browser.submit(path, f"{path}/refund/confirm", {"amount": "", "reason": "damaged"})
    assert confirm.status_code == 200
    assert "<h1>Confirm refund</h1>" in confirm.text
    assert "Refund 100.00 INR?" in confirm.text
    assert paygate.get_payment(merchant, payment.id).refunds == ()  # nothing yet
    once = _ONCE.search(confirm.text)
    assert once is not None
    form = {
        "csrf_token": csrf_token(confirm.text),
        "amount": "100.00",
        "reason": "damaged",
        "once": once.group(1),
    }
    done = _follow(browser, browser.post(f"{path}/refund", form))
    assert "Refund issued" in done.text
    assert ">refunded</span>" in done.text
    assert "damaged" in done.text
    again = browser.post(f"{path}/refund", form)  # the same confirmation, submitted twice
    assert again.status_code == 303
    details = paygate.get_payment(merchant, payment.id)
    assert len(details.refunds) == 1
    assert str(details.payment.amount_refunded) == "100.00 INR"
    assert _events(paygate, merchant)[0] == "payment.refunded"


def test_a_partial_refund_and_the_apis_refund_errors(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    payment = _paid(paygate, merchant, "100.00")
    path = f"{PAYMENTS}/{payment.id}"
    refused = browser.submit(path, f"{path}/refund/confirm", {"amount": "100.01", "reason": "kept"})
    assert refused.status_code == 422
    assert "Amount exceeds the refundable balance 100.00" in refused.text
    assert 'value="100.01"' in refused.text
    assert 'value="kept"' in refused.text
    confirm = browser.submit(path, f"{path}/refund/confirm", {"amount": "40.5", "reason": ""})
    assert "Refund 40.50 INR?" in confirm.text
    once = _ONCE.search(confirm.text)
    assert once is not None
    done = _follow(
        browser,
        browser.post(
            f"{path}/refund",
            {
                "csrf_token": csrf_token(confirm.text),
                "amount": "40.50",
                "reason": "",
                "once": once.group(1),
            },
        ),
    )
    assert "Refunded</dt><dd>40.50 INR<" in done.text
    assert "Refundable balance</dt><dd>59.50 INR<" in done.text
    declined = _paid(paygate, merchant, card="4000000000000002")
    path = f"{PAYMENTS}/{declined.id}"
    page = browser.get(path).text
    assert ">Refund</button>" not in page
    assert ">Capture</button>" not in page
    refused = browser.post(
        f"{path}/refund/confirm", {"csrf_token": csrf_token(page), "amount": "", "reason": ""}
    )
    assert refused.status_code == 409
    assert "Payment cannot be refunded in status &#39;failed&#39;" in refused.text


# --- Webhooks ---------------------------------------------------------------------------


def test_the_webhook_url_is_set_refused_in_the_apis_words_and_cleared(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    assert "<h1>Webhooks</h1>" in browser.get(WEBHOOKS).text
    url = "https://shop.example/hooks"
    done = _follow(browser, browser.submit(WEBHOOKS, f"{WEBHOOKS}/url", {"webhook_url": url}))
    assert "Webhook URL saved" in done.text
    assert f'value="{url}"' in done.text
    assert paygate.merchant_account(merchant).merchant.webhook_url == url
    refused = browser.submit(WEBHOOKS, f"{WEBHOOKS}/url", {"webhook_url": "ftp://nowhere"})
    assert refused.status_code == 422
    assert "Webhook URL must be an absolute http or https URL" in refused.text
    assert 'value="ftp://nowhere"' in refused.text
    assert paygate.merchant_account(merchant).merchant.webhook_url == url
    cleared = _follow(browser, browser.submit(WEBHOOKS, f"{WEBHOOKS}/url", {"webhook_url": ""}))
    assert "Webhook URL cleared" in cleared.text
    assert paygate.merchant_account(merchant).merchant.webhook_url is None


def test_rotating_the_signing_secret_shows_the_new_one_once(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    old = paygate.merchant_account(merchant).merchant.webhook_secret
    assert old not in browser.get(WEBHOOKS).text
    shown = _follow(browser, browser.submit(WEBHOOKS, f"{WEBHOOKS}/secret", {}))
    new = paygate.merchant_account(merchant).merchant.webhook_secret
    assert new != old
    assert new in shown.text
    assert new not in browser.get(WEBHOOKS).text  # once


def test_events_show_delivery_and_resend_queues_the_event_again(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    payment = _paid(paygate, merchant)
    event = paygate.list_webhook_events(merchant, PageRequest()).items[0]
    page = browser.get(WEBHOOKS).text
    assert "payment.authorized" in page
    assert str(payment.id) in page
    assert f">{event.delivery_status.value}</span>" in page
    log = browser.get(f"{WEBHOOKS}/events/{event.id}")
    assert log.status_code == 200
    assert "No delivery attempts yet" in log.text
    assert browser.get(f"{WEBHOOKS}/events/not-an-id").status_code == 404
    done = _follow(
        browser, browser.submit(WEBHOOKS, f"{WEBHOOKS}/events/{event.id}/resend", {"back": "event"})
    )
    assert done.url.path == f"{WEBHOOKS}/events/{event.id}"
    assert "Event queued for delivery again" in done.text
    again = paygate.list_webhook_events(merchant, PageRequest()).items[0]
    assert again.id == event.id
    assert again.delivery_status.value == "pending"
    other = browser.submit(WEBHOOKS, f"{WEBHOOKS}/events/{payment.id}/resend", {})
    assert other.status_code == 404
    assert "Webhook event not found" in other.text


# --- Settings ---------------------------------------------------------------------------


def test_the_name_is_edited_through_the_use_case(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    page = browser.get(SETTINGS).text
    assert "<h1>Settings</h1>" in page
    assert 'value="Shop"' in page
    done = _follow(browser, browser.submit(SETTINGS, f"{SETTINGS}/name", {"name": "New Name"}))
    assert "Name saved" in done.text
    assert paygate.merchant_account(merchant).user.name == "New Name"
    refused = browser.submit(SETTINGS, f"{SETTINGS}/name", {"name": "   "})
    assert refused.status_code == 422
    assert "Name must be 1 to 255 characters" in refused.text


def test_the_api_key_is_masked_revealed_on_post_and_rotated_after_confirmation(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    key = paygate.merchant_account(merchant).merchant.api_key
    page = browser.get(SETTINGS).text
    assert key not in page
    assert f"pk_{'•' * 12}{key[-4:]}" in page
    revealed = browser.submit(SETTINGS, f"{SETTINGS}/api-key/reveal", {})
    assert revealed.status_code == 200
    assert key in revealed.text
    refused = browser.submit(SETTINGS, f"{SETTINGS}/api-key/rotate", {})
    assert refused.status_code == 422
    assert "Confirmation is required" in refused.text
    assert paygate.merchant_account(merchant).merchant.api_key == key
    shown = _follow(
        browser, browser.submit(SETTINGS, f"{SETTINGS}/api-key/rotate", {"confirm_rotate": "yes"})
    )
    new = paygate.merchant_account(merchant).merchant.api_key
    assert new != key
    assert new in shown.text
    assert new not in browser.get(SETTINGS).text  # shown once
    with pytest.raises(NotAuthenticated):
        paygate.authenticate_api_key(key)
    assert paygate.authenticate_api_key(new).require_merchant().id == merchant


# --- Every form: CSRF, headers ------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused_and_change_nothing(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    payment = _paid(paygate, merchant)
    event = paygate.list_webhook_events(merchant, PageRequest()).items[0]
    account = paygate.merchant_account(merchant)
    posts = {
        ORDERS: {"amount": "10", "currency": "INR", "receipt": ""},
        f"{PAYMENTS}/{payment.id}/capture": {},
        f"{PAYMENTS}/{payment.id}/refund/confirm": {"amount": "", "reason": ""},
        f"{PAYMENTS}/{payment.id}/refund": {"amount": "100.00", "reason": "", "once": "x"},
        f"{WEBHOOKS}/url": {"webhook_url": "https://shop.example/x"},
        f"{WEBHOOKS}/secret": {},
        f"{WEBHOOKS}/events/{event.id}/resend": {},
        f"{SETTINGS}/name": {"name": "Forged"},
        f"{SETTINGS}/api-key/reveal": {},
        f"{SETTINGS}/api-key/rotate": {"confirm_rotate": "yes"},
    }
    for path, form in posts.items():
        for token in ({}, {"csrf_token": "0" * 64}):
            answer = browser.post(path, {**form, **token})
            assert answer.status_code == 403, path
            assert account.merchant.api_key not in answer.text
    assert paygate.merchant_account(merchant) == account
    assert len(paygate.list_orders(merchant, PageRequest()).items) == 1
    details = paygate.get_payment(merchant, payment.id)
    assert details.payment.status.value == "authorized"
    assert details.refunds == ()
    assert _events(paygate, merchant) == ["payment.authorized"]


def test_the_pages_need_a_merchant_session(
    browser: Browser, make_browser: BrowserFactory, admin: str
) -> None:
    for path in (ORDERS, PAYMENTS, WEBHOOKS, SETTINGS):
        answer = browser.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/dashboard/login"
    staff = make_browser()
    staff.login(admin)
    for path in (ORDERS, PAYMENTS, WEBHOOKS, SETTINGS):
        assert staff.get(path).status_code == 403


def test_every_page_carries_the_headers_and_no_inline_code(
    browser: Browser, paygate: Paygate, merchant: UUID
) -> None:
    from test_web_pages import _check_headers

    payment = _paid(paygate, merchant)
    event = paygate.list_webhook_events(merchant, PageRequest()).items[0]
    paths = [
        ORDERS,
        f"{ORDERS}/{payment.order_id}",
        PAYMENTS,
        f"{PAYMENTS}/{payment.id}",
        WEBHOOKS,
        f"{WEBHOOKS}/events/{event.id}",
        SETTINGS,
    ]
    answers = [browser.get(path) for path in paths]
    answers.append(browser.submit(SETTINGS, f"{SETTINGS}/api-key/reveal", {}))
    answers.append(browser.submit(ORDERS, ORDERS, {"amount": "", "currency": "INR", "receipt": ""}))
    for answer in answers:
        _check_headers(answer)
    nav = browser.get(ORDERS).text
    assert 'aria-current="page">Orders</a>' in nav


def test_the_copy_script_is_served_by_paygate(browser: Browser) -> None:
    answer = browser.get("/dashboard/static/merchant.js")
    assert answer.status_code == 200
    assert "navigator.clipboard" in answer.text
