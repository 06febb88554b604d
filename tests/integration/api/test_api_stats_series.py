"""merchants/stats/series/ and admin/stats/series/: UTC buckets, zero-filled, adding up exactly
to the totals over the range the answer states, on every backend; defaults, widening of
unaligned ends, the 1,000-bucket limit and the errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from api_harness import DECLINED_CARD, Api, Merchant, error_of, uuid_text

DAY1 = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
DAY2 = datetime(2026, 4, 2, 23, 59, 59, tzinfo=UTC)
MERCHANT_SERIES = "/merchants/stats/series/"
ADMIN_SERIES = "/admin/stats/series/"


def _mix(api: Api) -> tuple[Merchant, Merchant]:
    """Day 1, 10:00: INR 100.00 paid, 30.00 refunded; a declined USD 20.00. Day 2, just
    before midnight: JPY 1500 paid. Another merchant: INR 5.00 paid on day 1."""
    shop, other = api.merchant("Shop"), api.merchant("Other")
    api.clock.set(DAY1)
    first = api.paid_order(shop, "100.00")["payment_id"]
    assert api.refund(shop, first, "30.00").status_code == 201
    api.pay(shop, api.order(shop, "20.00", "USD")["order_id"], DECLINED_CARD)
    api.paid_order(other, "5.00")
    api.clock.set(DAY2)
    api.paid_order(shop, "1500", "JPY")
    return shop, other


def _ok(api: Api, path: str, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = api.get(path, headers, params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Statistics retrieved successfully"
    data: dict[str, Any] = body["data"]
    return data


def _refused(api: Api, path: str, headers: dict[str, str], **params: str) -> tuple[int, int]:
    return error_of(api.get(path, headers, params))


def _zero(start: str) -> dict[str, Any]:
    return {
        "start": start,
        "orders": 0,
        "successful_payments": 0,
        "canceled_payments": 0,
        "successful_refunds": 0,
        "volume": [],
    }


def _added_up(series: dict[str, Any]) -> dict[str, Any]:
    """The buckets' sum in the totals' shape (without the figures buckets do not carry)."""
    counts = {
        "total_orders": 0,
        "successful_payments": 0,
        "canceled_payments": 0,
        "successful_refunds": 0,
    }
    paid: dict[str, Decimal] = {}
    refunded: dict[str, Decimal] = {}
    for bucket in series["buckets"]:
        counts["total_orders"] += bucket["orders"]
        for name in ("successful_payments", "canceled_payments", "successful_refunds"):
            counts[name] += bucket[name]
        for item in bucket["volume"]:
            code = item["currency"]
            paid[code] = paid.get(code, Decimal(0)) + Decimal(item["paid_amount"])
            refunded[code] = refunded.get(code, Decimal(0)) + Decimal(item["refunded_amount"])
    volume = [
        {
            "currency": code,
            "paid_amount": f"{paid[code]:f}",
            "refunded_amount": f"{refunded[code]:f}",
            "net_amount": f"{paid[code] - refunded[code]:f}",
        }
        for code in sorted(paid)
    ]
    return {**counts, "volume": volume}


def _totals_shape(stats: dict[str, Any]) -> dict[str, Any]:
    prefix = "total_" if "total_merchants" in stats else ""
    return {
        "total_orders": stats["total_orders"],
        "successful_payments": stats[f"{prefix}successful_payments"],
        "canceled_payments": stats[f"{prefix}canceled_payments"],
        "successful_refunds": stats[f"{prefix}successful_refunds"],
        "volume": stats["volume"],
    }


def test_day_buckets_of_a_known_mix(backend_api: Api) -> None:
    shop, _ = _mix(backend_api)
    series = _ok(
        backend_api, MERCHANT_SERIES, shop.key, **{"from": "2026-03-31", "to": "2026-04-04"}
    )
    assert series == {
        "interval": "day",
        "from": "2026-03-31T00:00:00Z",
        "to": "2026-04-04T00:00:00Z",
        "buckets": [
            _zero("2026-03-31T00:00:00Z"),
            {
                "start": "2026-04-01T00:00:00Z",
                "orders": 2,
                "successful_payments": 1,
                "canceled_payments": 1,
                "successful_refunds": 1,
                "volume": [
                    {
                        "currency": "INR",
                        "paid_amount": "100.00",
                        "refunded_amount": "30.00",
                        "net_amount": "70.00",
                    }
                ],
            },
            {
                "start": "2026-04-02T00:00:00Z",
                "orders": 1,
                "successful_payments": 1,
                "canceled_payments": 0,
                "successful_refunds": 0,
                "volume": [
                    {
                        "currency": "JPY",
                        "paid_amount": "1500",
                        "refunded_amount": "0",
                        "net_amount": "1500",
                    }
                ],
            },
            _zero("2026-04-03T00:00:00Z"),
        ],
    }


def test_hour_buckets_are_utc_hours(backend_api: Api) -> None:
    shop, _ = _mix(backend_api)
    series = _ok(
        backend_api,
        MERCHANT_SERIES,
        shop.key,
        interval="hour",
        **{"from": "2026-04-02T22:00:00+00:00", "to": "2026-04-03T03:00:00+02:00"},
    )
    assert (series["from"], series["to"]) == ("2026-04-02T22:00:00Z", "2026-04-03T01:00:00Z")
    assert [b["start"] for b in series["buckets"]] == [
        "2026-04-02T22:00:00Z",
        "2026-04-02T23:00:00Z",
        "2026-04-03T00:00:00Z",
    ]
    assert [b["orders"] for b in series["buckets"]] == [0, 1, 0]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-25", "2026-04-30"),
        ("2026-04-01", "2026-04-02"),
        ("2026-04-02", "2026-04-03"),
        ("2026-04-01T10:00:00Z", "2026-04-01T11:00:00Z"),
        ("2026-06-01", "2026-06-01"),
    ],
)
def test_buckets_add_up_to_the_totals(backend_api: Api, start: str, end: str) -> None:
    shop, _ = _mix(backend_api)
    admin = backend_api.admin_headers()
    for interval in ("day", "hour"):
        mine = _ok(
            backend_api, MERCHANT_SERIES, shop.key, interval=interval, **{"from": start, "to": end}
        )
        if interval == "hour" or "T" not in start:
            assert (mine["from"][:10], mine["to"][:10]) == (start[:10], end[:10])
        stats = _ok(
            backend_api, "/merchants/stats/", shop.key, **{"from": mine["from"], "to": mine["to"]}
        )
        assert _added_up(mine) == _totals_shape(stats)
        everyone = _ok(
            backend_api, ADMIN_SERIES, admin, interval=interval, **{"from": start, "to": end}
        )
        stats = _ok(
            backend_api, "/admin/stats/", admin, **{"from": everyone["from"], "to": everyone["to"]}
        )
        assert _added_up(everyone) == _totals_shape(stats)
        one = _ok(
            backend_api,
            ADMIN_SERIES,
            admin,
            interval=interval,
            merchant_id=shop.merchant_id,
            **{"from": start, "to": end},
        )
        assert one == mine


def test_unaligned_ends_widen_to_whole_buckets(api: Api, merchant: Merchant) -> None:
    series = _ok(
        api,
        MERCHANT_SERIES,
        merchant.key,
        **{"from": "2026-04-01T10:30:00Z", "to": "2026-04-02T00:00:00.000001Z"},
    )
    assert (series["from"], series["to"]) == ("2026-04-01T00:00:00Z", "2026-04-03T00:00:00Z")
    assert len(series["buckets"]) == 2
    hours = _ok(
        api,
        MERCHANT_SERIES,
        merchant.key,
        interval="hour",
        **{"from": "2026-04-01T10:30:00Z", "to": "2026-04-01T10:45:00Z"},
    )
    assert (hours["from"], hours["to"]) == ("2026-04-01T10:00:00Z", "2026-04-01T11:00:00Z")
    empty = _ok(
        api,
        MERCHANT_SERIES,
        merchant.key,
        **{"from": "2026-04-01T10:30:00Z", "to": "2026-04-01T10:30:00Z"},
    )
    assert empty["buckets"] == []


def test_defaults_end_at_the_current_buckets_end(api: Api, merchant: Merchant) -> None:
    api.clock.set(datetime(2026, 4, 10, 13, 45, tzinfo=UTC))
    days = _ok(api, MERCHANT_SERIES, merchant.key)
    assert (days["interval"], days["from"], days["to"]) == (
        "day",
        "2026-03-12T00:00:00Z",
        "2026-04-11T00:00:00Z",
    )
    assert len(days["buckets"]) == 30
    hours = _ok(api, MERCHANT_SERIES, merchant.key, interval="hour")
    assert (hours["from"], hours["to"]) == ("2026-04-08T14:00:00Z", "2026-04-10T14:00:00Z")
    assert len(hours["buckets"]) == 48
    back = _ok(api, MERCHANT_SERIES, merchant.key, to="2026-01-05")
    assert (back["from"], back["to"]) == ("2025-12-06T00:00:00Z", "2026-01-05T00:00:00Z")
    since = _ok(api, MERCHANT_SERIES, merchant.key, **{"from": "2026-04-08"})
    assert (since["from"], since["to"]) == ("2026-04-08T00:00:00Z", "2026-04-11T00:00:00Z")


def test_at_most_a_thousand_buckets(api: Api, merchant: Merchant) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    most = (start + timedelta(hours=1000)).isoformat()
    full = _ok(
        api,
        MERCHANT_SERIES,
        merchant.key,
        interval="hour",
        **{"from": start.isoformat(), "to": most},
    )
    assert len(full["buckets"]) == 1000
    assert full["buckets"][-1]["start"] == "2026-02-11T15:00:00Z"
    over = (start + timedelta(hours=1000, seconds=1)).isoformat()
    assert _refused(
        api,
        MERCHANT_SERIES,
        merchant.key,
        interval="hour",
        **{"from": start.isoformat(), "to": over},
    ) == (422, 1020)
    assert _refused(
        api, MERCHANT_SERIES, merchant.key, **{"from": "2020-01-01", "to": "2026-01-01"}
    ) == (422, 1020)


@pytest.mark.parametrize(
    "params",
    [
        {"interval": "week"},
        {"interval": "DAY"},
        {"interval": ""},
        {"from": "2026-04-02", "to": "2026-04-01"},
        {"from": "yesterday"},
        {"to": "2026-13-01"},
        {"from": "2030-01-01"},  # after the default `to`
        {"from": "0001-01-01", "to": "2026-01-01"},  # far too many buckets
        {"to": "0001-01-01T00:00:00Z"},  # the default `from` would be before year 1
        {"interval": "hour", "from": "9999-12-31T22:00:00Z", "to": "9999-12-31T23:30:00Z"},
    ],
)
def test_bad_queries_are_422_1020(api: Api, merchant: Merchant, params: dict[str, str]) -> None:
    assert _refused(api, MERCHANT_SERIES, merchant.key, **params) == (422, 1020)
    assert _refused(api, ADMIN_SERIES, api.admin_headers(), **params) == (422, 1020)


def test_admin_merchant_id_is_checked(api: Api, merchant: Merchant) -> None:
    admin = api.admin_headers()
    assert _refused(api, ADMIN_SERIES, admin, merchant_id="nope") == (422, 1020)
    assert _refused(api, ADMIN_SERIES, admin, merchant_id=uuid_text(1)) == (404, 1019)
    assert _ok(api, ADMIN_SERIES, admin, merchant_id=merchant.merchant_id)["interval"] == "day"


def test_who_may_read_which_series(api: Api, merchant: Merchant) -> None:
    assert _ok(api, MERCHANT_SERIES, merchant.bearer)["interval"] == "day"
    assert _refused(api, MERCHANT_SERIES, {}) == (401, 1002)
    assert _refused(api, ADMIN_SERIES, merchant.bearer)[0] == 403
    assert _refused(api, ADMIN_SERIES, merchant.key)[0] in {401, 403}
    assert _refused(api, MERCHANT_SERIES, api.admin_headers())[0] == 403


def test_the_series_routes_are_documented(api: Api) -> None:
    document = api.client.get("/schema/openapi.json").json()
    for path, operation in (
        (MERCHANT_SERIES, "getMerchantStatsSeries"),
        (ADMIN_SERIES, "getAdminStatsSeries"),
    ):
        get = document["paths"][f"/paygate/api/v1{path.rstrip('/')}"]["get"]
        assert get["operationId"] == operation
        assert {"422", "401", "403"} <= set(get["responses"])
        names = {parameter["name"] for parameter in get["parameters"]}
        assert {"interval", "from", "to"} <= names
    schemas = document["components"]["schemas"]
    data = schemas["StatsSeriesData"]["properties"]
    assert set(data) == {"interval", "from", "to", "buckets"}
