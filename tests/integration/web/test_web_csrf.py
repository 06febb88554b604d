"""Every state-changing POST of the pages carries a CSRF token: without it, or with one
made for another session or form cookie, the answer is a 403 page and nothing changes."""

from __future__ import annotations

import pytest
from web_harness import PASSWORD, Browser, BrowserFactory, csrf_token

from paygate_core.errors import LoginFailed
from paygate_core.gateway import Paygate
from paygate_core.use_cases.auth import Login

# Nothing here depends on where data is kept (test_web_sessions.py covers every store).
pytestmark = pytest.mark.parametrize("backend", ["memory"], indirect=True)
OVERVIEW = "/dashboard/merchant"
_REGISTRATION = {"email": "new@example.com", "name": "New", "password": PASSWORD, "webhook_url": ""}


def _refused(answer_status: int, text: str) -> None:
    assert answer_status == 403
    assert "<h1>Forbidden</h1>" in text


def _no_user(paygate: Paygate, email: str) -> bool:
    try:
        paygate.login(Login(email=email, password=PASSWORD))
    except LoginFailed:
        return True
    return False


@pytest.mark.parametrize("token", [None, "", "0" * 64])
def test_create_account_without_a_valid_token_is_refused_and_creates_nobody(
    browser: Browser, paygate: Paygate, token: str | None
) -> None:
    browser.get("/dashboard/register")  # the form cookie is set; only the token is wrong
    data = dict(_REGISTRATION) if token is None else {**_REGISTRATION, "csrf_token": token}
    answer = browser.post("/dashboard/register", data)
    _refused(answer.status_code, answer.text)
    assert "set-cookie" not in answer.headers
    assert _no_user(paygate, "new@example.com")


def test_a_form_token_is_bound_to_its_browsers_form_cookie(
    browser: Browser, make_browser: BrowserFactory, paygate: Paygate
) -> None:
    """A token lifted from another browser's page is useless without that browser's cookie
    (a third party can neither read nor compute it)."""
    attacker = make_browser()
    token = csrf_token(attacker.get("/dashboard/register").text)
    browser.get("/dashboard/register")
    answer = browser.post("/dashboard/register", {**_REGISTRATION, "csrf_token": token})
    _refused(answer.status_code, answer.text)
    assert _no_user(paygate, "new@example.com")


def test_log_in_without_the_form_cookie_is_refused(browser: Browser, admin: str) -> None:
    token = csrf_token(browser.get("/dashboard/login").text)
    browser.client.cookies.clear()
    answer = browser.post(
        "/dashboard/login", {"email": admin, "password": PASSWORD, "csrf_token": token}
    )
    _refused(answer.status_code, answer.text)
    assert "paygate_session" not in answer.headers.get("set-cookie", "")


def test_log_out_without_the_sessions_token_is_refused_and_the_session_lives(
    browser: Browser, make_browser: BrowserFactory
) -> None:
    other = make_browser()
    other.register(email="other@example.com")
    foreign = csrf_token(other.get(OVERVIEW).text)  # a valid token of another session
    browser.register()
    for data in ({}, {"csrf_token": ""}, {"csrf_token": foreign}):
        answer = browser.post("/dashboard/logout", data)
        _refused(answer.status_code, answer.text)
        assert browser.get(OVERVIEW).status_code == 200


def test_a_post_without_a_session_goes_to_the_login_page(browser: Browser) -> None:
    answer = browser.post("/dashboard/logout", {"csrf_token": "0" * 64})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/login"
