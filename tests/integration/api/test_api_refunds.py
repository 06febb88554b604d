"""POST/GET refunds/: partial refunds add up, never beyond the payment amount."""

from __future__ import annotations

import pytest
from api_harness import DECLINED_CARD, Api, Merchant, error_of, uuid_text


def test_partial_refund_has_the_contract_shape(api: Api, merchant: Merchant) -> None:
    payment = api.paid_order(merchant)
    response = api.refund(merchant, payment["payment_id"], "40.00", reason="customer request")
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Refund processed successfully"
    data = body["data"]
    assert list(data) == [
        "refund_id",
        "payment_id",
        "order_id",
        "amount",
        "currency",
        "status",
        "reason",
        "created_at",
        "payment",
    ]
    assert (data["payment_id"], data["order_id"]) == (payment["payment_id"], payment["order_id"])
    assert (data["amount"], data["currency"], data["status"], data["reason"]) == (
        "40.00",
        "INR",
        "processed",
        "customer request",
    )
    assert data["payment"] == {
        "payment_id": payment["payment_id"],
        "status": "authorized",
        "amount_refunded": "40.00",
    }


def test_refunds_up_to_the_amount_make_the_payment_refunded(api: Api, merchant: Merchant) -> None:
    payment_id = api.paid_order(merchant)["payment_id"]
    api.post(f"/payments/{payment_id}/capture/", None, merchant.key)
    assert api.refund(merchant, payment_id, "60.00").json()["data"]["payment"] == {
        "payment_id": payment_id,
        "status": "captured",
        "amount_refunded": "60.00",
    }
    assert error_of(api.refund(merchant, payment_id, "40.01")) == (422, 1013)
    last = api.refund(merchant, payment_id, 40).json()["data"]
    assert last["payment"] == {
        "payment_id": payment_id,
        "status": "refunded",
        "amount_refunded": "100.00",
    }
    assert error_of(api.refund(merchant, payment_id, "1.00")) == (409, 1012)
    order = api.get(f"/orders/{last['order_id']}/", merchant.key).json()["data"]
    assert order["status"] == "paid"


def test_refund_without_amount_refunds_the_whole_balance_and_reason_is_null(
    api: Api, merchant: Merchant
) -> None:
    payment_id = api.paid_order(merchant, "1000", "JPY")["payment_id"]
    api.refund(merchant, payment_id, "300")
    data = api.refund(merchant, payment_id).json()["data"]
    assert (data["amount"], data["currency"], data["reason"]) == ("700", "JPY", None)
    assert data["payment"]["status"] == "refunded"


@pytest.mark.parametrize("raw", ["0", "-1", "1.001", "100.01", "1e1", True])
def test_bad_refund_amounts_are_1013_or_1004(api: Api, merchant: Merchant, raw: object) -> None:
    payment_id = api.paid_order(merchant)["payment_id"]
    expected = (422, 1004) if raw is True else (422, 1013)
    assert error_of(api.refund(merchant, payment_id, raw)) == expected


def test_a_failed_payment_cannot_be_refunded(api: Api, merchant: Merchant) -> None:
    order_id = api.order(merchant)["order_id"]
    payment_id = api.pay(merchant, order_id, DECLINED_CARD).json()["data"]["payment_id"]
    assert error_of(api.refund(merchant, payment_id, "1.00")) == (409, 1012)
    assert error_of(api.refund(merchant, payment_id)) == (409, 1012)


def test_reason_is_at_most_255_characters(api: Api, merchant: Merchant) -> None:
    payment_id = api.paid_order(merchant)["payment_id"]
    assert error_of(api.refund(merchant, payment_id, "1", reason="r" * 256)) == (422, 1004)
    assert api.refund(merchant, payment_id, "1", reason="r" * 255).status_code == 201


def test_refunding_an_unknown_or_malformed_payment(api: Api, merchant: Merchant) -> None:
    assert error_of(api.refund(merchant, uuid_text(5), "1")) == (404, 1011)
    assert error_of(api.refund(merchant, "nope", "1")) == (422, 1004)
    assert error_of(api.post("/refunds/", {}, merchant.key)) == (422, 1004)


def test_get_refund_embeds_the_payment_as_it_stands(api: Api, merchant: Merchant) -> None:
    payment_id = api.paid_order(merchant)["payment_id"]
    refund_id = api.refund(merchant, payment_id, "30.00").json()["data"]["refund_id"]
    api.refund(merchant, payment_id, "70.00")
    response = api.get(f"/refunds/{refund_id}/", merchant.key)
    assert response.status_code == 200
    assert response.json()["message"] == "Refund retrieved successfully"
    data = response.json()["data"]
    assert data["amount"] == "30.00"
    assert data["payment"] == {
        "payment_id": payment_id,
        "status": "refunded",
        "amount_refunded": "100.00",
    }


@pytest.mark.parametrize("refund_id", ["nope", uuid_text(6)])
def test_unknown_or_malformed_refund_id_is_1021(
    api: Api, merchant: Merchant, refund_id: str
) -> None:
    assert error_of(api.get(f"/refunds/{refund_id}/", merchant.key)) == (404, 1021)


def test_refunds_list_newest_first_filtered_by_payment(api: Api, merchant: Merchant) -> None:
    first = api.paid_order(merchant)["payment_id"]
    second = api.paid_order(merchant)["payment_id"]
    a = api.refund(merchant, first, "1").json()["data"]["refund_id"]
    b = api.refund(merchant, second, "2").json()["data"]["refund_id"]
    c = api.refund(merchant, first, "3").json()["data"]["refund_id"]

    def ids(params: dict[str, str]) -> list[str]:
        response = api.get("/refunds/", merchant.key, params)
        assert response.status_code == 200, response.text
        return [item["refund_id"] for item in response.json()["data"]["items"]]

    assert ids({}) == [c, b, a]
    assert ids({"payment_id": first}) == [c, a]
    assert ids({"payment_id": first, "limit": "1"}) == [c]
    assert error_of(api.get("/refunds/", merchant.key, {"payment_id": "x"})) == (422, 1004)


def test_each_refund_queues_a_payment_refunded_event(api: Api, merchant: Merchant) -> None:
    payment_id = api.paid_order(merchant)["payment_id"]
    api.refund(merchant, payment_id, "10")
    api.refund(merchant, payment_id, "20")
    events = api.get("/webhooks/events/", merchant.key).json()["data"]["items"]
    assert [e["event"] for e in events] == [
        "payment.refunded",
        "payment.refunded",
        "payment.authorized",
    ]
