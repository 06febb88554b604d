"""Orders carry ``return_url`` (validated like a webhook URL, https unless private
destinations are allowed) and ``checkout_url`` (``<origin>/checkout/<token>``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Api, Merchant, api_settings, error_of, running_api

from paygate_core.checkout import read_checkout_token
from paygate_http.api.checkout_links import checkout_key


def _order(api: Api, merchant: Merchant, body: dict[str, object]) -> dict[str, object]:
    response = api.post("/orders/", body, merchant.key)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()["data"]
    return data


def test_every_order_representation_carries_the_same_checkout_url(backend_api: Api) -> None:
    api = backend_api
    shop = api.merchant()
    created = _order(api, shop, {"amount": "5.00", "return_url": "https://shop.example/r?x=1"})
    assert created["return_url"] == "https://shop.example/r?x=1"
    url = created["checkout_url"]
    assert isinstance(url, str)
    assert url.startswith("http://testserver.local/checkout/")
    token = url.rsplit("/", 1)[1]
    ticket = read_checkout_token(
        checkout_key(api_settings().secret_key), token, now=api.clock.now()
    )
    assert ticket is not None
    assert str(ticket.order_id) == created["order_id"]
    one = api.get(f"/orders/{created['order_id']}/", shop.key).json()["data"]
    listed = api.get("/orders/", shop.key).json()["data"]["items"][0]
    assert one["checkout_url"] == listed["checkout_url"] == url
    assert one["return_url"] == listed["return_url"] == created["return_url"]


def test_return_url_is_optional(api: Api, merchant: Merchant) -> None:
    data = _order(api, merchant, {"amount": "5.00"})
    assert data["return_url"] is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://shop.example/r", "must be an absolute https URL"),
        ("/relative", "must be an absolute https URL"),
        ("ftp://shop.example/r", "must be an absolute https URL"),
        ("https://127.0.0.1/r", "must not point to a private, loopback or reserved address"),
        ("https://[::1]/r", "must not point to a private, loopback or reserved address"),
        ("https://shop.example/" + "a" * 2030, "must be at most 2048 characters"),
    ],
)
def test_a_bad_return_url_is_refused(api: Api, merchant: Merchant, url: str, reason: str) -> None:
    response = api.post("/orders/", {"amount": "5.00", "return_url": url}, merchant.key)
    assert error_of(response)[0] == 422
    assert response.json()["exception"]["meta"]["fields"] == {"return_url": reason}


def test_a_return_url_that_is_not_a_string_is_refused(api: Api, merchant: Merchant) -> None:
    response = api.post("/orders/", {"amount": "5.00", "return_url": 5}, merchant.key)
    assert error_of(response)[0] == 422
    assert set(response.json()["exception"]["meta"]["fields"]) == {"return_url"}


@pytest.fixture
def private_api(sqlite_url: str) -> Iterator[Api]:
    settings = api_settings(webhook_allow_private=True, public_url="https://pay.example")
    with running_api("sqlite", database_url=sqlite_url, settings=settings) as running:
        yield running


def test_http_and_private_return_urls_and_the_public_origin(private_api: Api) -> None:
    shop = private_api.merchant()
    data = _order(private_api, shop, {"amount": "5.00", "return_url": "http://127.0.0.1:8001/back"})
    assert data["return_url"] == "http://127.0.0.1:8001/back"
    assert str(data["checkout_url"]).startswith("https://pay.example/checkout/")
