"""A body on a JSON route must be sent as JSON: anything else, a missing ``Content-Type``
included, is 415 9004 and changes nothing; ``application/json; charset=utf-8`` and
``application/*+json`` are JSON; an empty body needs no type."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_harness import BASE, GOOD_CARD, Api, Merchant, error_of

NOT_JSON = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    "text/json",
    "application/jsonp",
    "application/+json",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
]
JSON = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    'Application/JSON; Charset="utf-8"',
    "application/vnd.paygate+json",
    "application/merge-patch+json; charset=utf-8",
]


def send(
    api: Api,
    path: str,
    body: bytes,
    content_type: str | None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> Any:
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return api.client.request(method, BASE + path, content=body, headers=all_headers)


def assert_415(response: Any) -> None:
    assert error_of(response) == (415, 9004)
    assert response.json()["exception"]["message"] == "Unsupported media type"
    assert response.headers["accept"] == "application/json"


def total_orders(api: Api, merchant: Merchant) -> int:
    stats = api.get("/merchants/stats/", headers=merchant.key).json()["data"]
    total: int = stats["total_orders"]
    return total


# --- the write routes ------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [*NOT_JSON, None])
def test_an_order_body_not_sent_as_json_is_415_and_creates_nothing(
    api: Api, merchant: Merchant, content_type: str | None
) -> None:
    response = send(api, "/orders/", b'{"amount": "10.00"}', content_type, merchant.key)

    assert_415(response)
    assert total_orders(api, merchant) == 0


@pytest.mark.parametrize("content_type", JSON)
def test_json_media_types_are_read(api: Api, merchant: Merchant, content_type: str) -> None:
    response = send(api, "/orders/", b'{"amount": "10.00"}', content_type, merchant.key)

    assert response.status_code == 201, response.text
    assert total_orders(api, merchant) == 1


def test_a_payment_or_refund_body_not_sent_as_json_is_415_and_changes_nothing(
    api: Api, merchant: Merchant
) -> None:
    order = api.order(merchant)
    body = json.dumps({"order_id": order["order_id"], "card_details": GOOD_CARD}).encode()
    assert_415(send(api, "/payments/", body, "text/plain", merchant.key))
    assert (
        api.get(f"/orders/{order['order_id']}/", headers=merchant.key).json()["data"]["status"]
        == "created"
    )

    payment = api.paid_order(merchant)
    refund = b'{"payment_id": "' + payment["payment_id"].encode() + b'"}'
    assert_415(send(api, "/refunds/", refund, None, merchant.key))
    assert (
        api.get(f"/payments/{payment['payment_id']}/", headers=merchant.key).json()["data"][
            "amount_refunded"
        ]
        == "0.00"
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Encoding": "gzip", "Content-Type": "application/json"},
        {"Content-Encoding": "identity, gzip", "Content-Type": "application/json"},
    ],
)
def test_a_compressed_body_is_415(api: Api, merchant: Merchant, headers: dict[str, str]) -> None:
    response = send(api, "/orders/", b'{"amount": "10.00"}', None, {**merchant.key, **headers})

    assert_415(response)
    assert "Content-Encoding" in response.json()["exception"]["description"]


def test_two_content_types_are_415(api: Api, merchant: Merchant) -> None:
    response = api.client.post(
        BASE + "/orders/",
        content=b'{"amount": "10.00"}',
        headers=[
            ("X-API-Key", merchant.api_key),
            ("Content-Type", "application/json"),
            ("Content-Type", "text/plain"),
        ],
    )

    assert_415(response)
    assert total_orders(api, merchant) == 0


def test_the_description_says_what_was_sent_and_what_to_send(api: Api, merchant: Merchant) -> None:
    def description(content_type: str | None) -> str:
        response = send(api, "/orders/", b"{}", content_type, merchant.key)
        text: str = response.json()["exception"]["description"]
        return text

    assert description(None) == "A request body must be JSON: send Content-Type: application/json"
    assert (
        description("text/plain")
        == "Content-Type 'text/plain' is not JSON: send Content-Type: application/json"
    )
    assert (
        description("application/json; charset=latin-1")
        == "A JSON body must be UTF-8: send charset=utf-8 or no charset"
    )


def test_a_415_does_not_use_up_the_idempotency_key(api: Api, merchant: Merchant) -> None:
    keyed = {**merchant.key, "Idempotency-Key": "order-415"}

    assert_415(send(api, "/orders/", b'{"amount": "10.00"}', "text/plain", keyed))
    retried = send(api, "/orders/", b'{"amount": "10.00"}', "application/json", keyed)

    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert total_orders(api, merchant) == 1


def test_the_size_limit_is_checked_before_the_media_type(api: Api, merchant: Merchant) -> None:
    body = b'{"receipt": "' + b"x" * 70_000 + b'"}'

    assert error_of(send(api, "/orders/", body, "text/plain", merchant.key)) == (413, 9003)


# --- the other JSON routes -------------------------------------------------------------------


def test_registration_not_sent_as_json_is_415_and_registers_nobody(api: Api) -> None:
    body = b'{"email": "plain@shop.example", "name": "Plain", "password": "s3cret-pass"}'

    assert_415(send(api, "/auth/register/", body, "text/plain"))
    assert_415(send(api, "/auth/register-admin/", body, None, api.admin_headers()))

    assert send(api, "/auth/register/", body, "application/json").status_code == 201


def test_login_refresh_and_logout_bodies_not_sent_as_json_are_415(
    api: Api, merchant: Merchant
) -> None:
    login = json.dumps({"email": merchant.email, "password": "s3cret-pass"}).encode()
    assert_415(send(api, "/auth/token/", login, "text/plain"))
    assert_415(send(api, "/auth/refresh/", b'{"refresh": "x"}', "text/plain"))
    assert_415(send(api, "/auth/logout/", b'{"refresh": "x"}', None, merchant.bearer))

    assert send(api, "/auth/token/", login, "application/json").status_code == 200


def test_a_profile_update_not_sent_as_json_is_415_and_changes_nothing(
    api: Api, merchant: Merchant
) -> None:
    response = send(
        api, "/merchants/me/", b'{"name": "Renamed"}', "text/plain", merchant.key, method="PATCH"
    )

    assert_415(response)
    assert api.get("/merchants/me/", headers=merchant.key).json()["data"]["name"] == "Shop"


# --- requests without a body need no type ----------------------------------------------------


def test_bodiless_posts_need_no_content_type(api: Api, merchant: Merchant) -> None:
    payment = api.paid_order(merchant)

    captured = api.client.post(
        f"{BASE}/payments/{payment['payment_id']}/capture/", headers=merchant.key
    )
    rotated = api.client.post(f"{BASE}/merchants/me/webhook-secret/", headers=merchant.bearer)
    logout = api.client.post(f"{BASE}/auth/logout/", headers=merchant.bearer)

    assert [captured.status_code, rotated.status_code, logout.status_code] == [200, 200, 200]


def test_an_empty_body_with_any_type_is_read_as_no_body(api: Api, merchant: Merchant) -> None:
    response = send(api, "/orders/", b"", "text/plain", merchant.key)

    assert error_of(response) == (422, 1004)
    assert response.json()["exception"]["meta"]["fields"] == {"amount": "is required"}
