"""Helpers of the HTTP tests: an ``Api`` client for the base path, envelope checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from litestar.testing import TestClient

from paygate_http import API_BASE_PATH

SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "s3cret-pass"
ADMIN_EMAIL = "root@paygate.example"


class Api:
    """A TestClient speaking to ``/paygate/api/v1`` with credential helpers."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client

    def url(self, path: str) -> str:
        """``auth/token/`` is under the base path; ``/health`` is taken as it is."""
        return path if path.startswith("/") else f"{API_BASE_PATH}/{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if api_key is not None:
            all_headers["X-API-Key"] = api_key
        return self.client.request(method, self.url(path), headers=all_headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def register(
        self,
        email: str = "a@shop.example",
        name: str = "Shop",
        password: str = PASSWORD,
        **extra: Any,
    ) -> dict[str, Any]:
        response = self.post(
            "auth/register/", json={"email": email, "name": name, "password": password, **extra}
        )
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.post("auth/token/", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


def error_of(response: httpx.Response) -> tuple[int, int]:
    """(HTTP status, contract code) of an error answer, checking its envelope."""
    body = response.json()
    assert body["success"] is False, body
    assert set(body["exception"]) == {"code", "message", "description", "meta"}
    return response.status_code, body["exception"]["code"]


def with_peer(app: Any, peer: str) -> Any:
    """The app as seen from another socket peer (TestClient always says 'testclient')."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (peer, 50000)}
        await app(scope, receive, send)

    return asgi


AppFactory = Callable[..., Api]
"""``make_api(**settings_changes)``: another app over the same Paygate (see conftest)."""
