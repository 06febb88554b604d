"""merchants/stats/ and admin/stats/: exact figures for a known mix, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from api_harness import DECLINED_CARD, NO_FUNDS_CARD, Api, Merchant, error_of, uuid_text

DAY1 = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
DAY2 = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)


def _known_mix(api: Api) -> tuple[Merchant, Merchant]:
    """Day 1: INR 100.00 paid, 30.00 refunded; INR 50.50 declined then paid; USD 20.00
    declined; JPY 1000 paid, captured, refunded in full. Day 2: INR 10.00 paid; 20.00 more
    refunded on the first INR payment; JPY 500 unpaid. Another merchant: USD 5.00 paid."""
    shop, other = api.merchant("Shop"), api.merchant("Other")
    api.clock.set(DAY1)
    first = api.paid_order(shop, "100.00")["payment_id"]
    assert api.refund(shop, first, "30.00").status_code == 201
    retried = api.order(shop, 50.50)["order_id"]
    api.pay(shop, retried, DECLINED_CARD)
    api.pay(shop, retried)
    api.pay(shop, api.order(shop, "20", "USD")["order_id"], NO_FUNDS_CARD)
    yen = api.paid_order(shop, "1000", "JPY")["payment_id"]
    api.post(f"/payments/{yen}/capture/", None, shop.key)
    assert api.refund(shop, yen).status_code == 201
    api.paid_order(other, "5.00", "USD")
    api.clock.set(DAY2)
    api.paid_order(shop, "10.00")
    assert api.refund(shop, first, "20.00").status_code == 201
    api.order(shop, "500", "JPY")
    return shop, other


def _volume(*rows: tuple[str, str, str, str]) -> list[dict[str, str]]:
    return [
        {"currency": c, "paid_amount": p, "refunded_amount": r, "net_amount": n}
        for c, p, r, n in rows
    ]


ALL_TIME: dict[str, Any] = {
    "total_orders": 6,
    "successful_payments": 4,
    "successful_refunds": 3,
    "canceled_payments": 2,
    "total_payments": 6,
    "success_rate": 0.6667,
    "volume": _volume(("INR", "160.50", "50.00", "110.50"), ("JPY", "1000", "1000", "0")),
}
DAY1_ONLY: dict[str, Any] = {
    "total_orders": 4,
    "successful_payments": 3,
    "successful_refunds": 2,
    "canceled_payments": 2,
    "total_payments": 5,
    "success_rate": 0.6,
    "volume": _volume(("INR", "150.50", "30.00", "120.50"), ("JPY", "1000", "1000", "0")),
}
DAY2_ONLY: dict[str, Any] = {
    "total_orders": 2,
    "successful_payments": 1,
    "successful_refunds": 1,
    "canceled_payments": 0,
    "total_payments": 1,
    "success_rate": 1.0,
    "volume": _volume(("INR", "10.00", "20.00", "-10.00")),
}


def _stats(api: Api, headers: dict[str, str], **params: str) -> dict[str, Any]:
    path = "/admin/stats/" if "Authorization" in headers else "/merchants/stats/"
    response = api.get(path, headers, params)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Statistics retrieved successfully"
    data: dict[str, Any] = response.json()["data"]
    return data


def test_merchant_statistics_are_exact_for_a_known_mix(backend_api: Api) -> None:
    shop, _ = _known_mix(backend_api)
    assert _stats(backend_api, shop.key) == ALL_TIME
    assert _stats(backend_api, shop.key, to="2026-04-02") == DAY1_ONLY
    assert _stats(backend_api, shop.key, **{"from": "2026-04-02"}) == DAY2_ONLY
    assert (
        _stats(
            backend_api,
            shop.key,
            **{"from": "2026-04-01T10:00:00Z", "to": "2026-04-03T00:00:00+00:00"},
        )
        == ALL_TIME
    )
    empty = _stats(backend_api, shop.key, **{"from": "2026-05-01"})
    assert empty == {
        "total_orders": 0,
        "successful_payments": 0,
        "successful_refunds": 0,
        "canceled_payments": 0,
        "total_payments": 0,
        "success_rate": 0.0,
        "volume": [],
    }


def test_admin_sees_one_merchant_with_its_identity(backend_api: Api) -> None:
    shop, _ = _known_mix(backend_api)
    admin = backend_api.admin_headers()
    data = _stats(backend_api, admin, merchant_id=shop.merchant_id)
    assert list(data)[:3] == ["merchant_id", "email", "name"]
    assert data == {
        "merchant_id": shop.merchant_id,
        "email": shop.email,
        "name": "Shop",
        **ALL_TIME,
    }
    assert _stats(backend_api, admin, merchant_id=shop.merchant_id, to="2026-04-02") == {
        "merchant_id": shop.merchant_id,
        "email": shop.email,
        "name": "Shop",
        **DAY1_ONLY,
    }


def test_admin_global_statistics_add_up_every_merchant(backend_api: Api) -> None:
    _known_mix(backend_api)
    admin = backend_api.admin_headers()
    assert _stats(backend_api, admin) == {
        "total_merchants": 2,
        "total_admins": 1,
        "total_orders": 7,
        "total_successful_payments": 5,
        "total_successful_refunds": 3,
        "total_canceled_payments": 2,
        "total_payments": 7,
        "success_rate": 0.7143,
        "volume": _volume(
            ("INR", "160.50", "50.00", "110.50"),
            ("JPY", "1000", "1000", "0"),
            ("USD", "5.00", "0.00", "5.00"),
        ),
    }
    day2 = _stats(backend_api, admin, **{"from": "2026-04-02"})
    assert (day2["total_merchants"], day2["total_orders"]) == (2, 2)


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-04-02", "to": "2026-04-01"},
        {"from": "yesterday"},
        {"to": "2026-13-01"},
    ],
)
def test_bad_date_ranges_are_1020(api: Api, merchant: Merchant, params: dict[str, str]) -> None:
    assert error_of(api.get("/merchants/stats/", merchant.key, params)) == (422, 1020)
    admin = api.admin_headers()
    assert error_of(api.get("/admin/stats/", admin, params)) == (422, 1020)


def test_admin_merchant_id_malformed_is_1020_and_unknown_1019(api: Api, merchant: Merchant) -> None:
    admin = api.admin_headers()
    assert error_of(api.get("/admin/stats/", admin, {"merchant_id": "abc"})) == (422, 1020)
    assert error_of(api.get("/admin/stats/", admin, {"merchant_id": uuid_text(9)})) == (404, 1019)
    # A user id is not a merchant id.
    assert error_of(api.get("/admin/stats/", admin, {"merchant_id": merchant.user_id})) == (
        404,
        1019,
    )


def test_statistics_routes_are_role_bound(api: Api, merchant: Merchant) -> None:
    admin = api.admin_headers()
    assert error_of(api.get("/merchants/stats/", admin)) == (403, 1003)
    assert error_of(api.get("/admin/stats/", merchant.key)) == (403, 1003)
    assert error_of(api.get("/admin/stats/", merchant.bearer)) == (403, 1003)
    assert error_of(api.get("/admin/stats/", {"X-API-Key": "pk_nope"})) == (401, 1002)
