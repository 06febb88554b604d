"""The foundation pages: headers on every answer, no inline script or style, navigation by
role, 403 for the other role's pages, forms that keep what was typed and say what is wrong
in the API's words, and the Overview figures from the core's statistics."""

from __future__ import annotations

import re

import httpx
import pytest
from web_harness import PASSWORD, Browser, BrowserFactory

from paygate_core.gateway import Paygate
from paygate_core.use_cases.auth import Login
from paygate_core.use_cases.payments import CreateOrder, PayOrder

# Nothing here depends on where data is kept (test_web_sessions.py covers every store).
pytestmark = pytest.mark.parametrize("backend", ["memory"], indirect=True)
OVERVIEW = "/dashboard/merchant"
_INLINE = (
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    re.compile(r"<style", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"javascript:", re.I),
)


def _check_headers(answer: httpx.Response) -> None:
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    for pattern in _INLINE:
        assert pattern.search(answer.text) is None, pattern.pattern


def test_every_page_carries_the_headers_and_no_inline_code(
    browser: Browser, make_browser: BrowserFactory, admin: str
) -> None:
    answers = [
        browser.get("/dashboard/login"),
        browser.get("/dashboard/register"),
        browser.get("/dashboard/"),
        browser.get("/dashboard/no-such-page"),
        browser.register(),
        browser.get(OVERVIEW),
        browser.get("/dashboard/admin"),
        browser.post("/dashboard/logout", {}),
    ]
    staff = make_browser()
    answers += [staff.login(admin), staff.get("/dashboard/admin"), staff.get(OVERVIEW)]
    for answer in answers:
        _check_headers(answer)


def test_the_stylesheet_is_served_by_paygate(browser: Browser) -> None:
    answer = browser.get("/dashboard/static/dashboard.css")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_navigation_names_the_roles_pages_and_a_log_out_button(
    browser: Browser, make_browser: BrowserFactory, admin: str
) -> None:
    browser.register()
    page = browser.get(OVERVIEW).text
    for name in ("Overview", "Orders", "Payments", "Webhooks", "Settings"):
        assert f">{name}</a>" in page
    assert ">Log out</button>" in page
    assert 'aria-current="page">Overview</a>' in page
    staff = make_browser()
    staff.login(admin)
    page = staff.get("/dashboard/admin").text
    for name in ("Overview", "Merchants", "Users"):
        assert f">{name}</a>" in page
    assert ">Orders</a>" not in page


def test_the_other_roles_pages_answer_403(
    browser: Browser, make_browser: BrowserFactory, admin: str
) -> None:
    browser.register()
    answer = browser.get("/dashboard/admin")
    assert answer.status_code == 403
    assert "<h1>Forbidden</h1>" in answer.text
    assert ">Log out</button>" in answer.text  # still signed in, with their navigation
    staff = make_browser()
    staff.login(admin)
    assert staff.get(OVERVIEW).status_code == 403


@pytest.mark.parametrize("email", ["nobody@example.com", "shop@example.com"])
def test_any_bad_login_gets_the_same_single_message(browser: Browser, email: str) -> None:
    browser.register()
    browser.client.cookies.delete("paygate_session")
    answer = browser.login(email, "wrong-password-123")
    assert answer.status_code == 401
    assert "Invalid email or password" in answer.text
    assert f'value="{email}"' in answer.text  # the email is kept
    assert "wrong-password-123" not in answer.text  # the password never


def test_create_account_shows_the_apis_errors_beside_the_fields(browser: Browser) -> None:
    answer = browser.register(
        email="not-an-email", name="Kept Name", password="short", webhook_url="ftp://nowhere"
    )
    assert answer.status_code == 422
    text = answer.text
    assert 'id="email-error"' in text
    assert "Email must be a valid email address" in text
    assert 'id="password-error"' in text
    assert 'id="webhook_url-error"' in text
    assert 'value="Kept Name"' in text
    assert 'value="not-an-email"' in text
    assert 'value="short"' not in text


def test_an_email_already_registered_is_said_beside_the_email(
    browser: Browser,
    make_browser: BrowserFactory,
) -> None:
    browser.register()
    answer = make_browser().register()
    assert answer.status_code == 409
    assert 'id="email-error"' in answer.text
    assert "already exists" in answer.text


def test_log_in_is_rate_limited_like_auth_token(make_browser: BrowserFactory, admin: str) -> None:
    from paygate_http.pipeline.rate_limits import parse_rate

    browser = make_browser(auth_rate_limit=parse_rate("2/minute"))
    for _ in range(2):
        assert browser.login(admin, "wrong-password-123").status_code == 401
    answer = browser.login(admin)
    assert answer.status_code == 429
    assert "retry-after" in answer.headers
    assert "paygate_session" not in answer.headers.get("set-cookie", "")


def test_merchant_overview_shows_the_core_figures_and_recent_payments(
    browser: Browser, paygate: Paygate
) -> None:
    browser.register()
    merchant = paygate.login(Login(email="shop@example.com", password=PASSWORD)).merchant
    assert merchant is not None
    order = paygate.create_order(
        CreateOrder(merchant_id=merchant.id, amount="1500", currency="JPY")
    )
    payment = paygate.pay_order(
        PayOrder(
            merchant_id=merchant.id,
            order_id=str(order.id),
            card_number="4111111111111111",
            expiry="12/30",
            cvv="123",
        )
    )
    page = browser.get(OVERVIEW).text
    assert "Recent payments</caption>" in page
    assert str(payment.id) in page
    assert ">1,500 JPY<" in page
    assert f">{payment.status.value}</span>" in page
    assert "2026-10-06 10:30:00 UTC" in page


def test_admin_overview_shows_the_global_figures(browser: Browser, admin: str) -> None:
    browser.login(admin)
    page = browser.get("/dashboard/admin").text
    for label in (
        "Merchants",
        "Admins",
        "Total orders",
        "Successful payments",
        "Failed payments",
        "Refunds",
        "Success rate",
    ):
        assert f"<dt>{label}</dt>" in page
    assert "Volume per currency" in page
