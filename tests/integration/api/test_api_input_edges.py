"""Edge inputs found by probing a real server: each must be a 4xx in the envelope, never a
500, and must leave nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import Api, api_settings, error_of, running_api

SURROGATE_BODIES = [
    b'{"amount": "1.00", "notes": {"k": "\\ud800"}}',
    b'{"amount": "1.00", "receipt": "\\udfff"}',
    b'{"amount": "1.00", "notes": {"\\ud800": "v"}}',
]


@pytest.mark.parametrize("body", SURROGATE_BODIES)
def test_lone_surrogates_are_refused_and_create_no_order(api: Api, body: bytes) -> None:
    merchant = api.merchant()

    response = api.post("/orders/", body.decode(), headers=merchant.key)

    assert error_of(response) == (422, 1004)
    assert api.get("/orders/", headers=merchant.key).status_code == 200
    stats = api.get("/merchants/stats/", headers=merchant.key).json()["data"]
    assert stats["total_orders"] == 0


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "\\ud800@x.example", "name": "S", "password": "s3cret-pass"}',
        '{"email": "s@x.example", "name": "\\ud800", "password": "s3cret-pass"}',
        '{"email": "s@x.example", "name": "S", "password": "s3cret-pass\\ud800"}',
    ],
)
def test_registration_with_lone_surrogates_is_a_validation_error(api: Api, body: str) -> None:
    assert error_of(api.post("/auth/register/", body)) == (422, 1004)


def test_login_with_lone_surrogates_is_a_validation_error(api: Api) -> None:
    body = '{"email": "a@x.example", "password": "pass\\ud800word"}'
    assert error_of(api.post("/auth/token/", body)) == (422, 1004)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/h",
        "http://[::1]/h",
        "http://169.254.169.254/latest",
        "http://10.0.0.1/h",
        "http://2130706433/h",
        "http://0x7f000001/h",
        "http://127.1/h",
    ],
)
def test_literal_internal_webhook_urls_are_refused_by_default(api: Api, url: str) -> None:
    body = {"email": "w@shop.example", "name": "W", "password": "s3cret-pass", "webhook_url": url}
    assert error_of(api.post("/auth/register/", body)) == (422, 1004)


@pytest.fixture
def private_api() -> Iterator[Api]:
    with running_api("memory", settings=api_settings(webhook_allow_private=True)) as running:
        yield running


def test_literal_internal_webhook_urls_are_allowed_when_configured(private_api: Api) -> None:
    merchant = private_api.merchant(webhook_url="http://127.0.0.1:9999/hooks")

    patched = private_api.client.patch(
        "/paygate/api/v1/merchants/me/",
        json={"webhook_url": "http://[::1]:9999/h"},
        headers=merchant.key,
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["webhook_url"] == "http://[::1]:9999/h"


def test_a_soft_deleted_users_old_access_token_stays_dead_after_restore(api: Api) -> None:
    merchant = api.merchant()
    admin = api.admin_headers()

    deleted = api.client.delete(f"/paygate/api/v1/admin/users/{merchant.user_id}/", headers=admin)
    restored = api.post(f"/admin/users/{merchant.user_id}/restore/", headers=admin)
    old_token: Any = api.get("/merchants/me/", headers=merchant.bearer)

    assert deleted.status_code == 200
    assert restored.status_code == 200
    assert error_of(old_token) == (401, 1002)
    assert api.get("/merchants/me/", headers=merchant.key).status_code == 200


# --- the write routes' bodies (POST orders/, payments/, refunds/) ------------------------------

WRITE_ROUTES = ["/orders/", "/payments/", "/refunds/"]


@pytest.mark.parametrize("path", WRITE_ROUTES)
@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (b"{", (400, 1004)),
        (b'{"amount": "1.00"} trailing', (400, 1004)),
        (b'{"amount": "\xff"}', (400, 1004)),
        (b'{"amount": "1.00", "amount": "2.00"}', (400, 1004)),
        (b"null", (422, 1004)),
        (b"[]", (422, 1004)),
        (b'"x"', (422, 1004)),
    ],
)
def test_a_malformed_write_body_is_a_1004_and_writes_nothing(
    api: Api, path: str, body: bytes, answer: tuple[int, int]
) -> None:
    merchant = api.merchant()

    assert error_of(api.post(path, body, headers=merchant.key)) == answer
    assert api.get("/merchants/stats/", headers=merchant.key).json()["data"]["total_orders"] == 0


@pytest.mark.parametrize("path", WRITE_ROUTES)
def test_a_write_body_is_read_only_after_authentication(api: Api, path: str) -> None:
    assert error_of(api.post(path, b"{")) == (401, 1002)
    assert error_of(api.post(path, b"{", headers=api.admin_headers())) == (403, 1003)


@pytest.mark.parametrize("path", WRITE_ROUTES)
def test_a_write_body_over_64_kib_is_413_announced_or_streamed(api: Api, path: str) -> None:
    merchant = api.merchant()
    body = b'{"receipt": "' + b"x" * 70_000 + b'"}'

    def chunks() -> Iterator[bytes]:
        yield from (body[i : i + 4096] for i in range(0, len(body), 4096))

    assert error_of(api.post(path, body, headers=merchant.key)) == (413, 9003)
    streamed = api.client.post(
        f"/paygate/api/v1{path}",
        content=chunks(),
        headers={**merchant.key, "Content-Type": "application/json"},
    )
    assert error_of(streamed) == (413, 9003)


def test_an_empty_order_body_is_read_as_an_empty_object(api: Api) -> None:
    merchant = api.merchant()

    response = api.client.post("/paygate/api/v1/orders/", headers=merchant.key)

    assert error_of(response) == (422, 1004)
    assert response.json()["exception"]["meta"]["fields"] == {"amount": "is required"}


def test_a_content_length_that_is_no_number_is_400(api: Api) -> None:
    merchant = api.merchant()

    response = api.client.post(
        "/paygate/api/v1/orders/",
        content=b'{"amount": "1.00"}',
        headers={**merchant.key, "Content-Length": "ten"},
    )

    assert error_of(response) == (400, 1004)
