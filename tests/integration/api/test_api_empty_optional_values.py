"""Empty optional values as the contract reads them: a registration's ``webhook_url`` of
``""`` or ``null`` is "not set" (flat and nested bodies), and an empty refresh token is no
valid token (401 1002, like any other), not a malformed request."""

from __future__ import annotations

from typing import Any

import pytest
from api_harness import GOOD_CARD, Api, error_of


def _flat(webhook_url: object) -> dict[str, Any]:
    return {
        "email": "empty@shop.example",
        "name": "Shop",
        "password": "s3cret-pass",
        "webhook_url": webhook_url,
    }


def _nested(webhook_url: object) -> dict[str, Any]:
    return {
        "user": {"email": "empty@shop.example", "name": "Shop", "password": "s3cret-pass"},
        "webhook_url": webhook_url,
    }


@pytest.mark.parametrize("form", [_flat, _nested], ids=["flat", "nested"])
@pytest.mark.parametrize("webhook_url", ["", None], ids=["empty", "null"])
def test_an_empty_or_null_webhook_url_at_registration_means_not_set(
    api: Api, form: Any, webhook_url: object
) -> None:
    response = api.post("/auth/register/", form(webhook_url))

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["webhook_url"] is None
    key = {"X-API-Key": data["api_key"]}
    assert api.get("/merchants/me/", key).json()["data"]["webhook_url"] is None
    order = api.post("/orders/", {"amount": "10.00"}, key).json()["data"]
    api.post("/payments/", {"order_id": order["order_id"], "card_details": GOOD_CARD}, key)
    events = api.get("/webhooks/events/", key).json()["data"]["items"]
    assert [event["delivery_status"] for event in events] == ["skipped"]


@pytest.mark.parametrize("webhook_url", [" ", "shop.example/hooks", "ftp://shop.example/"])
def test_a_webhook_url_that_is_neither_empty_nor_a_url_is_refused(
    api: Api, webhook_url: str
) -> None:
    response = api.post("/auth/register/", _flat(webhook_url))

    assert error_of(response) == (422, 1004)
    assert set(response.json()["exception"]["meta"]["fields"]) == {"webhook_url"}


def test_an_empty_refresh_token_in_the_body_is_not_authenticated(api: Api) -> None:
    api.merchant()  # sets a valid refresh cookie: the body's token wins over it

    response = api.post("/auth/refresh/", {"refresh": ""})

    assert error_of(response) == (401, 1002)


def test_a_refresh_token_of_another_type_is_still_a_validation_error(api: Api) -> None:
    assert error_of(api.post("/auth/refresh/", {"refresh": ["token"]})) == (422, 1004)
