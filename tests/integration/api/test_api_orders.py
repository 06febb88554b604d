"""POST/GET orders/: amounts stay exact, currencies govern formatting, lists paginate."""

from __future__ import annotations

import pytest
from api_harness import Api, Merchant, error_of, uuid_text


def test_order_is_created_with_the_contract_shape(api: Api, merchant: Merchant) -> None:
    response = api.post(
        "/orders/",
        b'{"amount": 100.00, "currency": "inr", "receipt": "inv-42", "notes": {"k": "v"}}',
        merchant.key,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Order created successfully"
    data = body["data"]
    assert list(data) == [
        "order_id",
        "amount",
        "currency",
        "status",
        "receipt",
        "notes",
        "created_at",
        "updated_at",
        "return_url",
        "checkout_url",
    ]
    assert data["amount"] == "100.00"
    assert data["currency"] == "INR"
    assert data["status"] == "created"
    assert data["receipt"] == "inv-42"
    assert data["notes"] == {"k": "v"}
    assert data["created_at"].endswith("Z")


def test_currency_defaults_to_inr_and_optional_fields_are_empty(
    api: Api, merchant: Merchant
) -> None:
    data = api.post("/orders/", {"amount": "5"}, merchant.key).json()["data"]
    assert (data["amount"], data["currency"], data["receipt"], data["notes"]) == (
        "5.00",
        "INR",
        None,
        {},
    )


@pytest.mark.parametrize(
    ("raw", "currency", "shown"),
    [
        (b"100", "JPY", "100"),
        (b'"100"', "jpy", "100"),
        (b"0.1", "USD", "0.10"),
        (b'"99999999.99"', "EUR", "99999999.99"),
        (b"12.345", "BHD", "12.345"),
        (b"0.30000000000000004", "BHD", None),
    ],
)
def test_amounts_are_exact_decimals_formatted_with_the_currency_minor_units(
    api: Api, merchant: Merchant, raw: bytes, currency: str, shown: str | None
) -> None:
    body = b'{"amount": ' + raw + b', "currency": "' + currency.encode() + b'"}'
    response = api.post("/orders/", body, merchant.key)
    if shown is None:  # a float artefact is never rounded into a valid amount
        assert error_of(response) == (422, 1014)
    else:
        assert response.status_code == 201, response.text
        assert response.json()["data"]["amount"] == shown


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'"0"', 1014),
        (b"-5", 1014),
        (b'"1.001"', 1014),
        (b"100000000", 1014),
        (b"1e2", 1014),
        (b'"1E2"', 1014),
        (b"NaN", 1014),
        (b"Infinity", 1014),
        (b'"abc"', 1014),
        (b"true", 1004),
        (b"null", 1004),
        (b"[1]", 1004),
        (b'{"v": 1}', 1004),
    ],
)
def test_invalid_amounts_are_refused(api: Api, merchant: Merchant, raw: bytes, code: int) -> None:
    response = api.post("/orders/", b'{"amount": ' + raw + b"}", merchant.key)
    assert error_of(response) == (422, code)


def test_jpy_amount_with_decimals_is_refused(api: Api, merchant: Merchant) -> None:
    response = api.post("/orders/", {"amount": "100.5", "currency": "JPY"}, merchant.key)
    assert error_of(response) == (422, 1014)
    assert "amount" in response.json()["exception"]["description"]


def test_unsupported_currency_is_1014_and_wrong_type_1004(api: Api, merchant: Merchant) -> None:
    assert error_of(api.post("/orders/", {"amount": "1", "currency": "XXX"}, merchant.key)) == (
        422,
        1014,
    )
    assert error_of(api.post("/orders/", {"amount": "1", "currency": 840}, merchant.key)) == (
        422,
        1004,
    )


def test_missing_amount_names_the_field(api: Api, merchant: Merchant) -> None:
    response = api.post("/orders/", {}, merchant.key)
    assert error_of(response) == (422, 1004)
    assert response.json()["exception"]["meta"] == {"fields": {"amount": "is required"}}


@pytest.mark.parametrize(
    "extra",
    [
        {"receipt": "r" * 41},
        {"receipt": 42},
        {"notes": {str(i): "v" for i in range(16)}},
        {"notes": {"k": 1}},
        {"notes": ["k"]},
    ],
)
def test_receipt_and_notes_are_bounded(
    api: Api, merchant: Merchant, extra: dict[str, object]
) -> None:
    response = api.post("/orders/", {"amount": "1", **extra}, merchant.key)
    assert error_of(response) == (422, 1004)


def test_malformed_json_is_400_and_a_non_object_422(api: Api, merchant: Merchant) -> None:
    assert error_of(api.post("/orders/", b'{"amount": ', merchant.key)) == (400, 1004)
    assert error_of(api.post("/orders/", b"[1, 2]", merchant.key)) == (422, 1004)


def test_body_over_64_kib_is_413(api: Api, merchant: Merchant) -> None:
    body = b'{"amount": "1", "receipt": "' + b"x" * 70_000 + b'"}'
    assert error_of(api.post("/orders/", body, merchant.key)) == (413, 9003)


def test_get_order_lists_its_payments_newest_first(api: Api, merchant: Merchant) -> None:
    from api_harness import DECLINED_CARD

    order = api.order(merchant)
    declined = api.pay(merchant, order["order_id"], DECLINED_CARD).json()["data"]
    approved = api.pay(merchant, order["order_id"]).json()["data"]
    response = api.get(f"/orders/{order['order_id']}/", merchant.key)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Order retrieved successfully"
    data = body["data"]
    assert data["status"] == "paid"
    assert [p["payment_id"] for p in data["payments"]] == [
        approved["payment_id"],
        declined["payment_id"],
    ]
    assert data["payments"][0] == approved | {"updated_at": data["payments"][0]["updated_at"]}


@pytest.mark.parametrize("order_id", ["not-a-uuid", uuid_text(1), "12345"])
def test_unknown_or_malformed_order_id_is_1008(api: Api, merchant: Merchant, order_id: str) -> None:
    assert error_of(api.get(f"/orders/{order_id}/", merchant.key)) == (404, 1008)


def test_orders_list_newest_first_with_cursor_pages(api: Api, merchant: Merchant) -> None:
    created = [api.order(merchant, str(n))["order_id"] for n in range(1, 6)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = api.get("/orders/", merchant.key, params).json()["data"]
        seen += [item["order_id"] for item in page["items"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert seen == list(reversed(created))


def test_orders_list_filters_by_status(api: Api, merchant: Merchant) -> None:
    from api_harness import DECLINED_CARD

    paid = api.order(merchant)["order_id"]
    failed = api.order(merchant)["order_id"]
    created = api.order(merchant)["order_id"]
    api.pay(merchant, paid)
    api.pay(merchant, failed, DECLINED_CARD)
    for status, expected in (("paid", paid), ("FAILED", failed), ("created", created)):
        page = api.get("/orders/", merchant.key, {"status": status}).json()["data"]
        assert [item["order_id"] for item in page["items"]] == [expected]


@pytest.mark.parametrize(
    "params",
    [{"status": "shipped"}, {"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"cursor": "!!!"}],
)
def test_bad_list_parameters_are_1004(api: Api, merchant: Merchant, params: dict[str, str]) -> None:
    assert error_of(api.get("/orders/", merchant.key, params)) == (422, 1004)


def test_routes_answer_with_and_without_trailing_slash(api: Api, merchant: Merchant) -> None:
    assert api.post("/orders", {"amount": "1"}, merchant.key).status_code == 201
    assert api.get("/orders", merchant.key).status_code == 200
    assert api.get("/orders/", merchant.key).status_code == 200
    assert api.get("/merchants/stats", merchant.key).status_code == 200


def test_wrong_methods_are_405_9002(api: Api, merchant: Merchant) -> None:
    from api_harness import BASE

    for method, path in (
        ("PUT", "/orders/"),
        ("DELETE", "/payments/"),
        ("PATCH", "/refunds/"),
        ("GET", f"/payments/{uuid_text(1)}/capture/"),
        ("POST", "/merchants/stats/"),
        ("DELETE", "/webhooks/events/"),
    ):
        response = api.client.request(method, BASE + path, headers=merchant.key)
        assert error_of(response) == (405, 9002), (method, path)
