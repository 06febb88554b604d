"""The dashboard in a real browser (the system Chromium), driven by accessible names as the
contract spells them: create account, log out, log in, a bad login, the admin's Overview,
the other role's page, the headers, no inline script, CSRF refusal and framing refused."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from browser_accounts import ADMIN_EMAIL, PASSWORD
from playwright.sync_api import Page, expect

MERCHANT_FIGURES = (
    "Total orders",
    "Successful payments",
    "Failed payments",
    "Refunds",
    "Success rate",
)


def _email() -> str:
    return f"shop-{uuid.uuid4().hex[:10]}@example.com"


def _register(page: Page, email: str) -> None:
    page.goto("/dashboard/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill("Corner Shop")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def _log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _expect_merchant_overview(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/dashboard/merchant$"))
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    for label in MERCHANT_FIGURES:
        expect(page.locator("dt", has_text=re.compile(f"^{label}$"))).to_be_visible()
    expect(page.get_by_role("table", name="Recent payments")).to_be_visible()
    for name in ("Overview", "Orders", "Payments", "Webhooks", "Settings"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def test_create_account_log_out_and_log_in_again(page: Page) -> None:
    email = _email()
    _register(page, email)
    _expect_merchant_overview(page)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/dashboard/login$"))
    page.goto("/dashboard/merchant")  # the session is gone: back to the login page
    expect(page).to_have_url(re.compile(r"/dashboard/login$"))
    _log_in(page, email)
    _expect_merchant_overview(page)


def test_a_bad_login_says_one_thing_and_keeps_the_email(page: Page) -> None:
    _log_in(page, "nobody@example.com", "wrong-password-123")
    expect(page.get_by_role("alert")).to_contain_text("Invalid email or password")
    expect(page.get_by_label("Email")).to_have_value("nobody@example.com")
    expect(page.get_by_label("Password")).to_have_value("")


def test_admin_logs_in_to_the_admin_overview(page: Page) -> None:
    _log_in(page, ADMIN_EMAIL)
    expect(page).to_have_url(re.compile(r"/dashboard/admin$"))
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    for label in ("Merchants", "Admins", *MERCHANT_FIGURES):
        expect(page.locator("dt", has_text=re.compile(f"^{label}$"))).to_be_visible()
    for name in ("Overview", "Merchants", "Users"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_merchant_opening_an_admin_page_gets_403(page: Page) -> None:
    _register(page, _email())
    response = page.goto("/dashboard/admin")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1, name="Forbidden")).to_be_visible()


def test_every_page_has_the_csp_and_no_inline_script(page: Page) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    answers = [page.goto("/dashboard/login"), page.goto("/dashboard/register")]
    _register(page, _email())
    answers.append(page.goto("/dashboard/merchant"))
    answers.append(page.goto("/dashboard/admin"))
    for answer in answers:
        assert answer is not None
        headers = answer.headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
    page.goto("/dashboard/merchant")
    inline = page.evaluate("""() => ({
        scripts: [...document.scripts].filter(s => !s.src).length,
        styles: document.querySelectorAll('style, [style]').length,
        handlers: [...document.querySelectorAll('*')].filter(
            e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
    })""")
    assert inline == {"scripts": 0, "styles": 0, "handlers": 0}
    assert violations == []


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    page: Page, make_page: Any, server: str
) -> None:
    _register(page, _email())
    page.evaluate("""() => {
        document.querySelector('form.logout input[name=csrf_token]').remove();
    }""")
    with page.expect_response(re.compile(r"/dashboard/logout$")) as answer:
        page.get_by_role("button", name="Log out").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", level=1, name="Forbidden")).to_be_visible()
    page.goto("/dashboard/merchant")  # still signed in: nothing changed
    _expect_merchant_overview(page)
    email = _email()  # nor can an account be created without the form's token
    page = make_page()
    page.goto("/dashboard/register")
    page.evaluate("() => document.querySelector('input[name=csrf_token]').remove()")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill("Forged")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(re.compile(r"/dashboard/register$")) as refused:
        page.get_by_role("button", name="Create account").click()
    assert refused.value.status == 403
    login = httpx.post(
        f"{server}/paygate/api/v1/auth/token/",
        trust_env=False,
        json={"email": email, "password": PASSWORD},
    )
    assert login.status_code == 401


def test_framing_the_dashboard_is_refused(page: Page, server: str) -> None:
    """A page embedding the login page gets nothing rendered in the frame, even from the
    same origin: ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY``)."""
    page.route(
        f"{server}/framing-test",
        lambda route: route.fulfill(
            content_type="text/html",
            body='<iframe id="victim" src="/dashboard/login" '
            'onload="this.dataset.loaded = 1"></iframe>',
        ),
    )
    page.goto(f"{server}/framing-test")
    page.wait_for_selector("#victim[data-loaded]", state="attached")
    frame = page.frame_locator("#victim")
    expect(frame.get_by_role("button", name="Log in")).to_have_count(0)
    answer = httpx.get(f"{server}/dashboard/login", trust_env=False)
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"


def test_the_overview_is_usable_at_375_px(make_page: Any) -> None:
    page = make_page(width=375)
    _register(page, _email())
    _expect_merchant_overview(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375
    page.get_by_role("button", name="Log out").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/login$"))
