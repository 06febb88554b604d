"""POST/GET payments/ and capture: declines are recorded, a paid order takes no more."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_harness import DECLINED_CARD, GOOD_CARD, NO_FUNDS_CARD, Api, Merchant, error_of, uuid_text


def test_approved_payment_has_the_contract_shape(api: Api, merchant: Merchant) -> None:
    order = api.order(merchant, "250.50", "usd")
    response = api.pay(merchant, order["order_id"])
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Payment processed successfully"
    data = body["data"]
    assert list(data) == [
        "payment_id",
        "order",
        "order_id",
        "amount",
        "currency",
        "status",
        "failure_reason",
        "amount_refunded",
        "card",
        "created_at",
        "updated_at",
    ]
    assert data["order"] == data["order_id"] == order["order_id"]
    assert (data["amount"], data["currency"], data["status"]) == ("250.50", "USD", "authorized")
    assert data["failure_reason"] is None
    assert data["amount_refunded"] == "0.00"
    assert data["card"]["last4"] == "4242"
    assert re.fullmatch(r"[0-9a-f]{64}", data["card"]["fingerprint"])
    assert set(data["card"]) == {"last4", "fingerprint"}


@pytest.mark.parametrize(
    ("card", "reason"), [(DECLINED_CARD, "card_declined"), (NO_FUNDS_CARD, "insufficient_funds")]
)
def test_declined_payment_is_201_with_failure_reason_and_fails_the_order(
    api: Api, merchant: Merchant, card: dict[str, str], reason: str
) -> None:
    order = api.order(merchant)
    response = api.pay(merchant, order["order_id"], card)
    assert response.status_code == 201
    assert response.json()["message"] == "Payment processed successfully"
    data = response.json()["data"]
    assert (data["status"], data["failure_reason"]) == ("failed", reason)
    assert (
        api.get(f"/orders/{order['order_id']}/", merchant.key).json()["data"]["status"] == "failed"
    )


def test_a_declined_order_can_be_paid_again_then_takes_no_more_payments(
    api: Api, merchant: Merchant
) -> None:
    order_id = api.order(merchant)["order_id"]
    assert api.pay(merchant, order_id, DECLINED_CARD).json()["data"]["status"] == "failed"
    assert api.pay(merchant, order_id, DECLINED_CARD).json()["data"]["status"] == "failed"
    retry = api.pay(merchant, order_id)
    assert retry.status_code == 201
    assert retry.json()["data"]["status"] == "authorized"
    assert error_of(api.pay(merchant, order_id)) == (409, 1009)
    order = api.get(f"/orders/{order_id}/", merchant.key).json()["data"]
    assert order["status"] == "paid"
    assert [p["status"] for p in order["payments"]] == ["authorized", "failed", "failed"]


def test_same_card_has_the_same_fingerprint(api: Api, merchant: Merchant) -> None:
    first = api.pay(merchant, api.order(merchant)["order_id"]).json()["data"]
    spaced = {**GOOD_CARD, "card_number": "4242-4242-4242-4242"}
    second = api.pay(merchant, api.order(merchant)["order_id"], spaced).json()["data"]
    assert first["card"]["fingerprint"] == second["card"]["fingerprint"]


@pytest.mark.parametrize(
    ("card", "field"),
    [
        ({"card_number": "4242 4242 424"}, "card_details.card_number"),
        ({"card_number": "4242 4242 4242 4242 4242"}, "card_details.card_number"),
        ({"card_number": "4242x4242x4242x4242"}, "card_details.card_number"),
        ({"expiry": "13/30"}, "card_details.expiry"),
        ({"expiry": "1230"}, "card_details.expiry"),
        ({"expiry": "01/20"}, "card_details.expiry"),
        ({"cvv": "12"}, "card_details.cvv"),
        ({"cvv": "12345"}, "card_details.cvv"),
    ],
)
def test_invalid_card_details_are_1010_naming_the_field(
    api: Api, merchant: Merchant, card: dict[str, str], field: str
) -> None:
    order_id = api.order(merchant)["order_id"]
    response = api.pay(merchant, order_id, {**GOOD_CARD, **card})
    assert error_of(response) == (422, 1010)
    assert field in response.json()["exception"]["description"]
    assert api.get(f"/orders/{order_id}/", merchant.key).json()["data"]["payments"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"order_id": "x"},
        {"card_details": GOOD_CARD},
        {"order_id": "not-a-uuid", "card_details": GOOD_CARD},
        {"order_id": uuid_text(1), "card_details": "4242"},
        {"order_id": uuid_text(1), "card_details": {**GOOD_CARD, "cvv": 123}},
    ],
)
def test_malformed_payment_requests_are_1004(
    api: Api, merchant: Merchant, body: dict[str, Any]
) -> None:
    assert error_of(api.post("/payments/", body, merchant.key)) == (422, 1004)


def test_paying_an_unknown_order_is_1008(api: Api, merchant: Merchant) -> None:
    assert error_of(api.pay(merchant, uuid_text(2))) == (404, 1008)


def test_get_payment_lists_its_refunds(api: Api, merchant: Merchant) -> None:
    payment = api.paid_order(merchant)
    first = api.refund(merchant, payment["payment_id"], "10.00").json()["data"]
    second = api.refund(merchant, payment["payment_id"], "5.00").json()["data"]
    response = api.get(f"/payments/{payment['payment_id']}/", merchant.key)
    assert response.status_code == 200
    assert response.json()["message"] == "Payment retrieved successfully"
    data = response.json()["data"]
    assert data["amount_refunded"] == "15.00"
    assert [r["refund_id"] for r in data["refunds"]] == [second["refund_id"], first["refund_id"]]
    assert "payment" not in data["refunds"][0]


@pytest.mark.parametrize("payment_id", ["nope", uuid_text(3)])
def test_unknown_or_malformed_payment_id_is_1011(
    api: Api, merchant: Merchant, payment_id: str
) -> None:
    assert error_of(api.get(f"/payments/{payment_id}/", merchant.key)) == (404, 1011)
    assert error_of(api.post(f"/payments/{payment_id}/capture/", None, merchant.key)) == (404, 1011)


def test_payments_list_filters_by_status_and_order(api: Api, merchant: Merchant) -> None:
    order_id = api.order(merchant)["order_id"]
    failed = api.pay(merchant, order_id, DECLINED_CARD).json()["data"]["payment_id"]
    authorized = api.pay(merchant, order_id).json()["data"]["payment_id"]
    other = api.paid_order(merchant)["payment_id"]

    def ids(params: dict[str, str]) -> list[str]:
        response = api.get("/payments/", merchant.key, params)
        assert response.status_code == 200, response.text
        return [item["payment_id"] for item in response.json()["data"]["items"]]

    assert ids({}) == [other, authorized, failed]
    assert ids({"order_id": order_id}) == [authorized, failed]
    assert ids({"status": "failed"}) == [failed]
    assert ids({"status": "authorized", "order_id": order_id}) == [authorized]
    assert ids({"order_id": uuid_text(4)}) == []
    assert error_of(api.get("/payments/", merchant.key, {"order_id": "x"})) == (422, 1004)
    assert error_of(api.get("/payments/", merchant.key, {"status": "paid"})) == (422, 1004)


def test_capture_moves_authorized_to_captured_once(api: Api, merchant: Merchant) -> None:
    payment_id = api.paid_order(merchant)["payment_id"]
    response = api.post(f"/payments/{payment_id}/capture/", None, merchant.key)
    assert response.status_code == 200
    assert response.json()["message"] == "Payment captured successfully"
    assert response.json()["data"]["status"] == "captured"
    assert error_of(api.post(f"/payments/{payment_id}/capture/", None, merchant.key)) == (409, 1012)
    events = api.get("/webhooks/events/", merchant.key).json()["data"]["items"]
    assert [e["event"] for e in events] == ["payment.captured", "payment.authorized"]


def test_a_failed_payment_cannot_be_captured(api: Api, merchant: Merchant) -> None:
    order_id = api.order(merchant)["order_id"]
    payment_id = api.pay(merchant, order_id, DECLINED_CARD).json()["data"]["payment_id"]
    assert error_of(api.post(f"/payments/{payment_id}/capture/", None, merchant.key)) == (409, 1012)


def test_processor_outage_is_503_and_records_nothing(merchant: Merchant) -> None:
    from api_harness import running_api

    from paygate_core.cards import CardDetails
    from paygate_core.errors import ProcessorUnavailable
    from paygate_core.money import Money
    from paygate_core.payments import ProcessorDecision

    class DownProcessor:
        def authorize(self, card: CardDetails, amount: Money) -> ProcessorDecision:
            raise ProcessorUnavailable("The processor did not answer")

    with running_api("memory", processor=DownProcessor()) as down:
        shop = down.merchant()
        order_id = down.order(shop)["order_id"]
        assert error_of(down.pay(shop, order_id)) == (503, 1015)
        order = down.get(f"/orders/{order_id}/", shop.key).json()["data"]
        assert (order["status"], order["payments"]) == ("created", [])
