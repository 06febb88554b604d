"""Dashboard sessions: started by log in or create account, kept server-side in the shared
store, ended after 30 minutes idle or 12 hours, at Log out, and at once when the user is
deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from web_harness import PASSWORD, Browser, BrowserFactory

from paygate_core.gateway import Paygate
from paygate_core.testing import FixedClock
from paygate_core.use_cases.auth import Login
from paygate_http import Settings

OVERVIEW = "/dashboard/merchant"
SQL_ONLY = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _signed_in(browser: Browser, page: str = OVERVIEW) -> bool:
    answer = browser.get(page)
    if answer.status_code == 303:
        assert answer.headers["location"] == "/dashboard/login"
        return False
    assert answer.status_code == 200
    return True


def test_create_account_signs_in_and_lands_on_the_merchant_overview(browser: Browser) -> None:
    answer = browser.register()
    assert answer.status_code == 303
    assert answer.headers["location"] == OVERVIEW
    page = browser.get(OVERVIEW)
    assert page.status_code == 200
    for label in (
        "Total orders",
        "Successful payments",
        "Failed payments",
        "Refunds",
        "Success rate",
        "Recent payments",
    ):
        assert f">{label}<" in page.text


def test_pages_without_a_session_redirect_to_the_login_page(browser: Browser) -> None:
    for path in ("/dashboard/", OVERVIEW, "/dashboard/admin"):
        answer = browser.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/dashboard/login"


def test_log_in_starts_a_session_for_the_role(browser: Browser, admin: str) -> None:
    answer = browser.login(admin)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/admin"
    assert browser.get("/dashboard/").headers["location"] == "/dashboard/admin"
    assert _signed_in(browser, "/dashboard/admin")


def test_session_cookie_is_http_only_strict_and_secure_outside_development(
    make_browser: BrowserFactory,
) -> None:
    browser = make_browser(cookie_secure=True, base_url="https://testserver.local")
    cookie = browser.register().headers["set-cookie"].lower()
    assert cookie.startswith("paygate_session=")
    for attribute in ("httponly", "samesite=strict", "secure", "path=/dashboard"):
        assert attribute in cookie
    plain = make_browser(cookie_secure=False).register(email="other@example.com")
    assert "secure" not in plain.headers["set-cookie"].lower()


def test_session_ends_after_30_minutes_without_a_request(
    browser: Browser, clock: FixedClock
) -> None:
    browser.register()
    for _ in range(3):  # each request within 30 minutes keeps it alive
        clock.advance(timedelta(minutes=29))
        assert _signed_in(browser)
    clock.advance(timedelta(minutes=30))
    assert not _signed_in(browser)
    clock.advance(timedelta(seconds=-1800))
    assert not _signed_in(browser)  # ended for good, not merely hidden


def test_session_ends_12_hours_after_it_started_however_active(
    browser: Browser, clock: FixedClock
) -> None:
    browser.register()
    for _ in range(35):  # 11 h 40 min of requests every 20 minutes
        clock.advance(timedelta(minutes=20))
        assert _signed_in(browser)
    clock.advance(timedelta(minutes=20))
    assert not _signed_in(browser)


def test_log_out_ends_the_session_on_the_server(
    browser: Browser, make_browser: BrowserFactory
) -> None:
    browser.register()
    cookie = browser.session_cookie
    assert cookie is not None
    answer = browser.logout(OVERVIEW)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/login"
    assert "max-age=0" in answer.headers["set-cookie"].lower()
    assert not _signed_in(browser)
    replay = make_browser()
    replay.client.cookies.set("paygate_session", cookie)
    assert not _signed_in(replay)  # the old cookie is worth nothing


def test_deleting_the_user_ends_their_session_at_once(
    browser: Browser, paygate: Paygate, admin: str
) -> None:
    browser.register(email="doomed@example.com")
    assert _signed_in(browser)
    root = paygate.login(Login(email=admin, password=PASSWORD)).user
    doomed = paygate.login(Login(email="doomed@example.com", password=PASSWORD)).user
    paygate.delete_user(root, doomed.id)
    assert not _signed_in(browser)
    paygate.restore_user(doomed.id)
    assert not _signed_in(browser)  # restoring the user does not revive the session


@SQL_ONLY
def test_the_store_keeps_a_keyed_digest_never_the_session_id(
    browser: Browser, settings: Settings
) -> None:
    browser.register()
    cookie = browser.session_cookie
    assert cookie is not None
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM web_sessions")).all()
    finally:
        engine.dispose()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0])
    assert cookie not in stored
    assert len(rows[0].digest) == 64


@SQL_ONLY
def test_a_session_is_known_to_every_worker_on_the_database(
    browser: Browser, make_browser: BrowserFactory
) -> None:
    browser.register()
    other_worker = make_browser()
    other_worker.client.cookies.set("paygate_session", browser.session_cookie or "")
    assert _signed_in(other_worker)
    browser.logout(OVERVIEW)
    assert not _signed_in(other_worker)


def test_a_forged_or_oversized_session_cookie_is_no_session(browser: Browser) -> None:
    for value in ("forged", "x" * 4000):
        browser.client.cookies.set("paygate_session", value)
        answer = browser.get(OVERVIEW)
        assert answer.status_code == 303
        assert "max-age=0" in answer.headers["set-cookie"].lower()
