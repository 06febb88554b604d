"""The admin's Merchants and Users pages: the merchant list with its counts and the email
search, a merchant's statistics, Show deleted, Delete (confirmation, then a soft delete),
Restore, an admin refused deleting themself (the API's words on the page), Create admin with
the API's validation words, and every change refused (and nothing changed) without its
CSRF token."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from web_harness import ADMIN_EMAIL, PASSWORD, Browser, BrowserFactory

from paygate_core.accounts import Role
from paygate_core.gateway import Paygate
from paygate_core.pagination import PageRequest
from paygate_core.testing import FixedClock
from paygate_core.use_cases.auth import RegisterMerchant
from paygate_core.use_cases.payments import CreateOrder

# Rows in memory, SQLite and PostgreSQL alike: the search is the adapters' own query.
MERCHANTS = "/dashboard/admin/merchants"
USERS = "/dashboard/admin/users"


def _merchant(
    paygate: Paygate,
    clock: FixedClock,
    email: str,
    name: str = "Corner Shop",
) -> uuid.UUID:
    """A merchant registered a second after the one before (lists are newest first)."""
    clock.advance(timedelta(seconds=1))
    registration = paygate.register_merchant(
        RegisterMerchant(email=email, name=name, password=PASSWORD)
    )
    return registration.merchant.id


def _signed_in_admin(make_browser: BrowserFactory, admin: str) -> Browser:
    staff = make_browser()
    assert staff.login(admin).status_code == 303
    return staff


def _user_id(paygate: Paygate, email: str) -> uuid.UUID:
    users = paygate.list_users(PageRequest(limit=100), include_deleted=True).items
    return next(user.id for user in users if user.email == email)


def _rows(html: str) -> list[str]:
    """The row headers (first cell) of the page's table, tags stripped."""
    cells = re.findall(r'<th scope="row">(.*?)</th>', html, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_merchants_lists_counts_and_searches_by_the_start_of_the_email(
    paygate: Paygate,
    clock: FixedClock,
    make_browser: BrowserFactory,
    admin: str,
) -> None:
    alpha = _merchant(paygate, clock, "alpha@shop.example", "Alpha Shop")
    _merchant(paygate, clock, "beta@shop.example", "Beta Shop")
    for amount in ("10.00", "20.00"):
        paygate.create_order(CreateOrder(merchant_id=alpha, amount=amount))
    staff = _signed_in_admin(make_browser, admin)

    page = staff.get(MERCHANTS)
    assert page.status_code == 200
    assert "<h1>Merchants</h1>" in page.text
    assert _rows(page.text) == ["beta@shop.example", "alpha@shop.example"]
    assert re.search(
        r"alpha@shop\.example</a></th>\s*<td>Alpha Shop</td>\s*"
        r'<td class="num">2</td>\s*<td class="num">0</td>',
        page.text,
    )

    found = staff.get(f"{MERCHANTS}?email=ALPHA")  # emails match case-insensitively
    assert _rows(found.text) == ["alpha@shop.example"]
    assert 'value="ALPHA"' in found.text  # the search keeps what was typed
    assert _rows(staff.get(f"{MERCHANTS}?email=shop").text) == []  # the start, not any part

    too_long = staff.get(f"{MERCHANTS}?email={'a' * 255}")
    assert too_long.status_code == 422
    assert "Search by email must be at most 254 characters" in too_long.text


def test_merchants_are_paged_with_next_and_first_page_links(
    paygate: Paygate,
    clock: FixedClock,
    make_browser: BrowserFactory,
    admin: str,
) -> None:
    for n in range(26):
        _merchant(paygate, clock, f"shop{n:02d}@example.com")
    staff = _signed_in_admin(make_browser, admin)
    first = staff.get(f"{MERCHANTS}?email=shop")
    assert len(_rows(first.text)) == 25
    assert ">First page</a>" not in first.text
    following = re.search(r'href="([^"]+)" rel="next">Next page</a>', first.text)
    assert following is not None
    second = staff.get(following.group(1).replace("&amp;", "&"))
    assert _rows(second.text) == ["shop00@example.com"]
    assert 'href="/dashboard/admin/merchants?email=shop">First page</a>' in second.text
    assert "Next page" not in second.text


def test_a_merchants_page_shows_its_statistics(
    paygate: Paygate,
    clock: FixedClock,
    make_browser: BrowserFactory,
    admin: str,
) -> None:
    alpha = _merchant(paygate, clock, "alpha@shop.example", "Alpha Shop")
    paygate.create_order(CreateOrder(merchant_id=alpha, amount="10.00"))
    staff = _signed_in_admin(make_browser, admin)
    page = staff.get(f"{MERCHANTS}/{alpha}")
    assert page.status_code == 200
    assert "<h1>Alpha Shop</h1>" in page.text
    assert re.search(r"<dt>Total orders</dt><dd>1</dd>", page.text)
    assert "Volume per currency" in page.text
    assert staff.get(f"{MERCHANTS}/not-an-id").status_code == 404
    assert staff.get(f"{MERCHANTS}/{uuid.uuid4()}").status_code == 404


def test_delete_asks_then_soft_deletes_and_restore_brings_the_user_back(
    paygate: Paygate,
    clock: FixedClock,
    make_browser: BrowserFactory,
    admin: str,
) -> None:
    _merchant(paygate, clock, "gone@shop.example")
    user_id = _user_id(paygate, "gone@shop.example")
    staff = _signed_in_admin(make_browser, admin)

    listed = staff.get(USERS)
    assert "<h1>Users</h1>" in listed.text
    assert _rows(listed.text)[0] == "gone@shop.example"
    confirm = staff.get(f"{USERS}/{user_id}/delete")
    assert "<h1>Delete user</h1>" in confirm.text
    assert paygate.get_user(user_id).deleted is False  # asking changes nothing

    done = staff.submit(f"{USERS}/{user_id}/delete", f"{USERS}/{user_id}/delete", {})
    assert done.status_code == 303
    assert done.headers["location"] == f"{USERS}?notice=deleted"
    assert paygate.get_user(user_id).deleted is True
    after = staff.get(done.headers["location"])
    assert "The user was deleted" in after.text
    assert "gone@shop.example" not in _rows(after.text)

    shown = staff.get(f"{USERS}?show_deleted=1")
    assert "gone@shop.example" in _rows(shown.text)
    assert 'id="show_deleted" name="show_deleted" type="checkbox" value="1" checked' in shown.text
    assert ">deleted</span>" in shown.text

    restored = staff.submit(f"{USERS}?show_deleted=1", f"{USERS}/{user_id}/restore", {})
    assert restored.status_code == 303
    assert paygate.get_user(user_id).deleted is False
    assert "The user was restored" in staff.get(restored.headers["location"]).text


def test_an_admin_deleting_themself_sees_the_apis_error_and_stays(
    paygate: Paygate,
    clock: FixedClock,
    make_browser: BrowserFactory,
    admin: str,
) -> None:
    own_id = _user_id(paygate, ADMIN_EMAIL)
    staff = _signed_in_admin(make_browser, admin)
    refused = staff.submit(f"{USERS}/{own_id}/delete", f"{USERS}/{own_id}/delete", {})
    assert refused.status_code == 409
    assert "Admins cannot delete their own account" in refused.text
    assert 'role="alert"' in refused.text
    assert paygate.get_user(own_id).deleted is False
    assert staff.get(USERS).status_code == 200  # still signed in


def test_changes_without_the_csrf_token_are_refused_and_change_nothing(
    paygate: Paygate,
    clock: FixedClock,
    make_browser: BrowserFactory,
    admin: str,
) -> None:
    _merchant(paygate, clock, "kept@shop.example")
    user_id = _user_id(paygate, "kept@shop.example")
    staff = _signed_in_admin(make_browser, admin)
    staff.get(USERS)
    for action, fields in (
        (f"{USERS}/{user_id}/delete", {}),
        (
            f"{USERS}/create-admin",
            {"email": "new@paygate.example", "name": "New", "password": PASSWORD},
        ),
        (f"{USERS}/{user_id}/delete", {"csrf_token": "0" * 64}),
    ):
        answer = staff.post(action, fields)
        assert answer.status_code == 403
        assert "The form could not be verified" in answer.text
    assert paygate.get_user(user_id).deleted is False
    admins = paygate.list_users(PageRequest(limit=100), role=Role.ADMIN).items
    assert [user.email for user in admins] == [ADMIN_EMAIL]

    paygate.delete_user(paygate.get_user(_user_id(paygate, ADMIN_EMAIL)), user_id)
    assert staff.post(f"{USERS}/{user_id}/restore", {}).status_code == 403
    assert paygate.get_user(user_id).deleted is True


def test_create_admin_answers_with_the_apis_validation_words(
    paygate: Paygate,
    clock: FixedClock,
    make_browser: BrowserFactory,
    admin: str,
) -> None:
    staff = _signed_in_admin(make_browser, admin)
    action = f"{USERS}/create-admin"
    bad = staff.submit(
        USERS, action, {"email": "not-an-email", "name": "Second Admin", "password": "short"}
    )
    assert bad.status_code == 422
    assert "Email must be a valid email address" in bad.text
    assert 'value="Second Admin"' in bad.text  # kept, the password never
    assert 'value="short"' not in bad.text

    taken = staff.submit(
        USERS, action, {"email": ADMIN_EMAIL, "name": "Again", "password": PASSWORD}
    )
    assert taken.status_code == 409
    assert "A user with this email already exists" in taken.text

    made = staff.submit(
        USERS,
        action,
        {"email": "second@paygate.example", "name": "Second Admin", "password": PASSWORD},
    )
    assert made.status_code == 303
    assert made.headers["location"] == f"{USERS}?notice=admin-created"
    second = make_browser()
    assert second.login("second@paygate.example").headers["location"] == "/dashboard/admin"


def test_a_merchant_cannot_open_the_admin_pages(browser: Browser) -> None:
    browser.register()
    for path in (MERCHANTS, USERS, f"{USERS}/{uuid.uuid4()}/delete"):
        assert browser.get(path).status_code == 403


@pytest.mark.parametrize(
    "path", [f"{USERS}/not-an-id/delete", f"{USERS}/{uuid.UUID(int=7)}/delete"]
)
def test_an_unknown_user_is_the_404_page(
    make_browser: BrowserFactory, admin: str, path: str
) -> None:
    staff = _signed_in_admin(make_browser, admin)
    answer = staff.get(path)
    assert answer.status_code == 404
    assert "User not found" in answer.text
