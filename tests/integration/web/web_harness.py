"""A browser stand-in for the dashboard's integration tests: a ``TestClient`` that fills in
forms the way a browser would (the CSRF token read from the page it just loaded) and never
follows redirects by itself, so each answer can be checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
from litestar.testing import TestClient

SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "s3cret-pass"
ADMIN_EMAIL = "root@paygate.example"

_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


class Browser:
    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path, follow_redirects=False)

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.client.post(path, data=data, follow_redirects=False)

    def submit(self, page: str, action: str, fields: dict[str, str]) -> httpx.Response:
        """Load ``page``, then post its form to ``action`` with ``fields`` and its token."""
        token = csrf_token(self.get(page).text)
        return self.post(action, {**fields, "csrf_token": token})

    def register(
        self,
        email: str = "shop@example.com",
        name: str = "Shop",
        password: str = PASSWORD,
        webhook_url: str = "",
    ) -> httpx.Response:
        return self.submit(
            "/dashboard/register",
            "/dashboard/register",
            {"email": email, "name": name, "password": password, "webhook_url": webhook_url},
        )

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.submit(
            "/dashboard/login", "/dashboard/login", {"email": email, "password": password}
        )

    def logout(self, page: str) -> httpx.Response:
        return self.submit(page, "/dashboard/logout", {})

    @property
    def session_cookie(self) -> str | None:
        value = self.client.cookies.get("paygate_session")
        return value or None


BrowserFactory = Callable[..., Browser]
"""``make_browser(**settings_changes)``: another browser on another app over the same data."""
