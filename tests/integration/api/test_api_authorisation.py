"""Who may call what: merchants by token or key, admins kept off merchant routes, and another
merchant's ids answered exactly like ids that do not exist."""

from __future__ import annotations

from typing import Any

import pytest
from api_harness import GOOD_CARD, Api, Merchant, error_of, uuid_text

# (method, path, body): every payment-side merchant route; {ids} are filled per test.
MERCHANT_ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/orders/", {"amount": "1"}),
    ("GET", "/orders/", None),
    ("GET", "/orders/{order_id}/", None),
    ("POST", "/payments/", {"order_id": "{order_id}", "card_details": GOOD_CARD}),
    ("GET", "/payments/", None),
    ("GET", "/payments/{payment_id}/", None),
    ("POST", "/payments/{payment_id}/capture/", None),
    ("POST", "/refunds/", {"payment_id": "{payment_id}", "amount": "1"}),
    ("GET", "/refunds/", None),
    ("GET", "/refunds/{refund_id}/", None),
    ("GET", "/merchants/stats/", None),
    ("GET", "/webhooks/events/", None),
    ("GET", "/webhooks/logs/", None),
    ("POST", "/webhooks/events/{event_id}/resend/", None),
]


def _call(
    api: Api, method: str, path: str, body: Any, headers: dict[str, str], ids: dict[str, str]
) -> Any:
    path = path.format(**ids)
    if isinstance(body, dict):
        body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
    if method == "GET":
        return api.get(path, headers)
    return api.post(path, body, headers)


def _objects(api: Api, merchant: Merchant) -> dict[str, str]:
    """One of each object of ``merchant``: an order, its payment, a refund, an event."""
    payment = api.paid_order(merchant)
    refund = api.refund(merchant, payment["payment_id"], "1.00").json()["data"]
    event = api.get("/webhooks/events/", merchant.key).json()["data"]["items"][0]
    return {
        "order_id": payment["order_id"],
        "payment_id": payment["payment_id"],
        "refund_id": refund["refund_id"],
        "event_id": event["event_id"],
    }


@pytest.mark.parametrize(("method", "path", "body"), MERCHANT_ROUTES)
def test_merchant_routes_need_credentials(api: Api, method: str, path: str, body: Any) -> None:
    ids = {k: uuid_text(1) for k in ("order_id", "payment_id", "refund_id", "event_id")}
    for headers in (
        {},
        {"X-API-Key": "pk_unknown"},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
    ):
        assert error_of(_call(api, method, path, body, headers, ids)) == (401, 1002)


@pytest.mark.parametrize(("method", "path", "body"), MERCHANT_ROUTES)
def test_admins_are_forbidden_on_merchant_routes(
    api: Api, method: str, path: str, body: Any
) -> None:
    ids = {k: uuid_text(1) for k in ("order_id", "payment_id", "refund_id", "event_id")}
    response = _call(api, method, path, body, api.admin_headers(), ids)
    assert error_of(response) == (403, 1003)


@pytest.mark.parametrize(("method", "path", "body"), MERCHANT_ROUTES)
def test_merchant_routes_accept_bearer_token_and_api_key(
    api: Api, merchant: Merchant, method: str, path: str, body: Any
) -> None:
    for headers in (merchant.key, merchant.bearer):
        ids = _objects(api, merchant)
        if "capture" in path:
            ids["payment_id"] = api.paid_order(merchant)["payment_id"]
        if path == "/payments/":
            ids["order_id"] = api.order(merchant)["order_id"]
        response = _call(api, method, path, body, headers, ids)
        assert response.status_code in (200, 201, 202), response.text


# (method, path, body, the not-found code): every route that names an object by id.
ID_ROUTES: list[tuple[str, str, Any, int]] = [
    ("GET", "/orders/{order_id}/", None, 1008),
    ("POST", "/payments/", {"order_id": "{order_id}", "card_details": GOOD_CARD}, 1008),
    ("GET", "/payments/{payment_id}/", None, 1011),
    ("POST", "/payments/{payment_id}/capture/", None, 1011),
    ("POST", "/refunds/", {"payment_id": "{payment_id}"}, 1011),
    ("POST", "/refunds/", {"payment_id": "{payment_id}", "amount": "1.00"}, 1011),
    ("GET", "/refunds/{refund_id}/", None, 1021),
    ("POST", "/webhooks/events/{event_id}/resend/", None, 1018),
]


@pytest.mark.parametrize(("method", "path", "body", "code"), ID_ROUTES)
def test_another_merchants_ids_are_answered_like_missing_ids(
    api: Api,
    merchant: Merchant,
    other_merchant: Merchant,
    method: str,
    path: str,
    body: Any,
    code: int,
) -> None:
    theirs = _objects(api, other_merchant)
    missing = {k: uuid_text(n) for n, k in enumerate(theirs)}
    foreign = _call(api, method, path, body, merchant.key, theirs)
    absent = _call(api, method, path, body, merchant.key, missing)
    assert error_of(foreign) == error_of(absent) == (404, code)
    assert foreign.json() == absent.json()
    # ... and nothing of theirs changed.
    payment = api.get(f"/payments/{theirs['payment_id']}/", other_merchant.key).json()["data"]
    assert (payment["status"], payment["amount_refunded"]) == ("authorized", "1.00")


def test_lists_never_show_another_merchants_objects(
    api: Api, merchant: Merchant, other_merchant: Merchant
) -> None:
    theirs = _objects(api, other_merchant)
    for path, params in (
        ("/orders/", {}),
        ("/payments/", {}),
        ("/refunds/", {}),
        ("/webhooks/events/", {}),
        ("/webhooks/logs/", {}),
        ("/payments/", {"order_id": theirs["order_id"]}),
        ("/refunds/", {"payment_id": theirs["payment_id"]}),
        ("/webhooks/logs/", {"event_id": theirs["event_id"]}),
        ("/webhooks/logs/", {"payment_id": theirs["payment_id"]}),
    ):
        response = api.get(path, merchant.key, params)
        assert response.status_code == 200
        assert response.json()["data"] == {"items": [], "has_more": False, "next_cursor": None}
    stats = api.get("/merchants/stats/", merchant.key).json()["data"]
    assert (stats["total_orders"], stats["volume"]) == (0, [])


def test_admin_stats_needs_an_admin_bearer(api: Api, merchant: Merchant) -> None:
    assert error_of(api.get("/admin/stats/", {})) == (401, 1002)
    assert error_of(api.get("/admin/stats/", merchant.key)) == (403, 1003)
