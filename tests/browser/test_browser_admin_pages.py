"""The admin's Merchants and Users pages in a real browser, driven by the contract's
accessible names: search a merchant and open its page; delete a user (with the
confirmation), see them under Show deleted, restore them; be refused deleting oneself;
create an admin who can then log in."""

from __future__ import annotations

import re
import uuid
from typing import Any

from browser_accounts import ADMIN_EMAIL, PASSWORD
from playwright.sync_api import Page, expect


def _log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _register(page: Page, name: str = "Corner Shop") -> str:
    email = f"shop-{uuid.uuid4().hex[:10]}@example.com"
    page.goto("/dashboard/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/dashboard/merchant$"))
    return email


def _open_users(page: Page) -> None:
    page.get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()


def test_search_a_merchant_and_open_its_statistics(page: Page, make_page: Any) -> None:
    email = _register(make_page(), "Searchable Shop")
    _log_in(page, ADMIN_EMAIL)
    page.get_by_role("link", name="Merchants", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Merchants")).to_be_visible()
    page.get_by_label("Search by email").fill(email[:15].upper())
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(2)  # the header and the one merchant
    page.get_by_role("link", name=email).click()
    expect(page.get_by_role("heading", level=1, name="Searchable Shop")).to_be_visible()
    expect(page.locator("dt", has_text=re.compile("^Total orders$"))).to_be_visible()


def test_delete_show_deleted_and_restore_a_user(page: Page, make_page: Any) -> None:
    merchant = make_page()
    email = _register(merchant)
    _log_in(page, ADMIN_EMAIL)
    _open_users(page)
    page.get_by_role("row").filter(has_text=email).get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", level=1, name="Delete user")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("The user was deleted")
    expect(page.get_by_role("row").filter(has_text=email)).to_have_count(0)

    merchant.goto("/dashboard/merchant")  # their session ended with the deletion
    expect(merchant).to_have_url(re.compile(r"/dashboard/login$"))

    page.get_by_label("Show deleted").check()
    page.get_by_role("button", name="Apply").click()
    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("deleted")
    row.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("status")).to_contain_text("The user was restored")
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("active")

    _log_in(merchant, email)
    expect(merchant).to_have_url(re.compile(r"/dashboard/merchant$"))


def test_an_admin_cannot_delete_themself(page: Page) -> None:
    _log_in(page, ADMIN_EMAIL)
    _open_users(page)
    page.get_by_role("row").filter(has_text=ADMIN_EMAIL).get_by_role(
        "button", name="Delete"
    ).click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text("Admins cannot delete their own account")
    _open_users(page)
    expect(page.get_by_role("row").filter(has_text=ADMIN_EMAIL)).to_contain_text("active")


def test_create_an_admin_who_can_log_in(page: Page, make_page: Any) -> None:
    _log_in(page, ADMIN_EMAIL)
    _open_users(page)
    page.get_by_role("button", name="Create admin").click()  # empty: the API's words
    expect(page.get_by_role("alert")).to_contain_text("Email must be a valid email address")

    email = f"admin-{uuid.uuid4().hex[:8]}@paygate.example"
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill("Second Admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create admin").click()
    expect(page.get_by_role("status")).to_contain_text("The admin was created")
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("admin")

    other = make_page(width=375)
    _log_in(other, email)
    expect(other).to_have_url(re.compile(r"/dashboard/admin$"))
