"""Idempotency-Key on POST orders/, payments/, refunds/ (contract section 5, ADR 0005)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from api_harness import GOOD_CARD, Api, Merchant, error_of, running_api

from paygate_core.cards import CardDetails
from paygate_core.errors import ProcessorUnavailable
from paygate_core.idempotency import (
    LEASE,
    RETENTION,
    IdempotencyRecord,
    IdempotentAnswer,
    StoredAnswer,
)
from paygate_core.money import Money
from paygate_core.orders import Order
from paygate_core.payments import ProcessorDecision
from paygate_core.use_cases.payments import CreateOrder, PayOrder, RefundPayment
from paygate_http.api.controllers.orders import order_created
from paygate_http.api.controllers.payments import payment_processed
from paygate_http.api.controllers.refunds import refund_processed
from paygate_http.pipeline.rate_limits import RateLimit
from paygate_http.pipeline.request_fingerprint import (
    FingerprintKeys,
    canonical_json,
    fingerprint_keys,
    request_fingerprint,
)
from paygate_http.services import SERVICES_STATE_KEY

ORDERS = "/paygate/api/v1/orders/"


def _keyed(merchant: Merchant, key: str) -> dict[str, str]:
    return {**merchant.key, "Idempotency-Key": key}


def _order_count(api: Api, merchant: Merchant) -> int:
    return len(api.get("/orders/", merchant.key, {"limit": "100"}).json()["data"]["items"])


def _record(api: Api, merchant: Merchant, key: str) -> IdempotencyRecord | None:
    """The stored record, read through the port (a probe claim, undone when it took)."""
    merchant_id = UUID(merchant.merchant_id)
    with api.paygate.uow() as work:
        found = work.idempotency.claim(merchant_id, key, "probe", api.clock.now(), LEASE)
        if found is None:
            work.idempotency.release(merchant_id, key)
        work.commit()
    return found


# --- replays ---------------------------------------------------------------------------------


def test_a_repeat_replays_the_first_answer_and_creates_one_order(backend_api: Api) -> None:
    shop = backend_api.merchant()
    body = {"amount": "10.00", "currency": "USD", "receipt": "inv-1"}
    first = backend_api.post("/orders/", body, _keyed(shop, "order-1"))
    again = backend_api.post("/orders/", body, _keyed(shop, "order-1"))
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/json"
    assert again.content == first.content
    assert _order_count(backend_api, shop) == 1


def test_a_repeated_payment_charges_once(api: Api, merchant: Merchant) -> None:
    order_id = api.order(merchant)["order_id"]
    body = {"order_id": order_id, "card_details": GOOD_CARD}
    first = api.post("/payments/", body, _keyed(merchant, "pay-1"))
    again = api.post("/payments/", body, _keyed(merchant, "pay-1"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    order = api.get(f"/orders/{order_id}/", merchant.key).json()["data"]
    assert len(order["payments"]) == 1
    assert len(api.get("/webhooks/events/", merchant.key).json()["data"]["items"]) == 1


def test_a_repeated_refund_refunds_once(api: Api, merchant: Merchant) -> None:
    payment_id = api.paid_order(merchant)["payment_id"]
    body = {"payment_id": payment_id, "amount": "25.00"}
    first = api.post("/refunds/", body, _keyed(merchant, "refund-1"))
    again = api.post("/refunds/", body, _keyed(merchant, "refund-1"))
    assert again.json() == first.json()
    payment = api.get(f"/payments/{payment_id}/", merchant.key).json()["data"]
    assert (payment["amount_refunded"], len(payment["refunds"])) == ("25.00", 1)


def test_the_same_json_written_differently_is_the_same_request(
    api: Api, merchant: Merchant
) -> None:
    first = api.post(
        "/orders/", b'{"amount": 10.50, "notes": {"a": "1", "b": "2"}}', _keyed(merchant, "k")
    )
    again = api.post(
        "/orders", b'{ "notes":{"b":"2","a":"1"},\n  "amount":10.50 }', _keyed(merchant, "k")
    )
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content


@pytest.mark.parametrize(
    "other_body",
    [
        b'{"amount": "10.50"}',  # a string is not the number 10.50
        b'{"amount": 10.5}',  # nor is a differently written number
        b'{"amount": 10.50, "receipt": "x"}',
    ],
)
def test_the_same_key_with_another_body_is_422_1007(
    api: Api, merchant: Merchant, other_body: bytes
) -> None:
    api.post("/orders/", b'{"amount": 10.50}', _keyed(merchant, "k"))
    response = api.post("/orders/", other_body, _keyed(merchant, "k"))
    assert error_of(response) == (422, 1007)
    assert _order_count(api, merchant) == 1


def test_the_same_key_on_another_route_is_422_1007(api: Api, merchant: Merchant) -> None:
    payment_id = api.paid_order(merchant)["payment_id"]
    api.post("/refunds/", {"payment_id": payment_id}, _keyed(merchant, "k"))
    response = api.post("/orders/", {"payment_id": payment_id}, _keyed(merchant, "k"))
    assert error_of(response) == (422, 1007)


def test_keys_are_scoped_to_the_merchant(
    api: Api, merchant: Merchant, other_merchant: Merchant
) -> None:
    mine = api.post("/orders/", {"amount": "1"}, _keyed(merchant, "shared"))
    theirs = api.post("/orders/", {"amount": "1"}, _keyed(other_merchant, "shared"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["data"]["order_id"] != theirs.json()["data"]["order_id"]


def test_client_errors_are_stored_and_replayed(api: Api, merchant: Merchant) -> None:
    first = api.post("/orders/", {"amount": "-1"}, _keyed(merchant, "bad"))
    again = api.post("/orders/", {"amount": "-1"}, _keyed(merchant, "bad"))
    assert error_of(first) == error_of(again) == (422, 1014)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content


def test_declined_payments_are_stored_too(api: Api, merchant: Merchant) -> None:
    from api_harness import DECLINED_CARD

    order_id = api.order(merchant)["order_id"]
    body = {"order_id": order_id, "card_details": DECLINED_CARD}
    first = api.post("/payments/", body, _keyed(merchant, "declined"))
    again = api.post("/payments/", body, _keyed(merchant, "declined"))
    assert first.json()["data"]["status"] == "failed"
    assert again.json() == first.json()
    assert len(api.get(f"/orders/{order_id}/", merchant.key).json()["data"]["payments"]) == 1


def test_records_are_kept_for_24_hours(api: Api, merchant: Merchant) -> None:
    first = api.post("/orders/", {"amount": "1"}, _keyed(merchant, "day"))
    api.clock.advance(RETENTION - timedelta(minutes=1))
    again = api.post("/orders/", {"amount": "1"}, _keyed(merchant, "day"))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content


# --- answers that are not stored ----------------------------------------------------------


class _FlakyProcessor:
    """Down for the first call, then approving everything."""

    def __init__(self) -> None:
        self.calls = 0

    def authorize(self, card: CardDetails, amount: Money) -> ProcessorDecision:
        self.calls += 1
        if self.calls == 1:
            raise ProcessorUnavailable("The processor did not answer")
        return ProcessorDecision(approved=True)


def test_server_errors_are_not_stored_so_a_retry_runs_again() -> None:
    with running_api("memory", processor=_FlakyProcessor()) as api:
        shop = api.merchant()
        body = {"order_id": api.order(shop)["order_id"], "card_details": GOOD_CARD}
        assert error_of(api.post("/payments/", body, _keyed(shop, "p"))) == (503, 1015)
        assert _record(api, shop, "p") is None
        retry = api.post("/payments/", body, _keyed(shop, "p"))
        assert retry.status_code == 201
        assert "idempotent-replayed" not in retry.headers


def test_unauthenticated_requests_do_not_touch_the_key(api: Api, merchant: Merchant) -> None:
    denied = api.post(
        "/orders/", {"amount": "1"}, {"X-API-Key": "pk_wrong", "Idempotency-Key": "k"}
    )
    assert error_of(denied) == (401, 1002)
    assert _record(api, merchant, "k") is None
    assert api.post("/orders/", {"amount": "1"}, _keyed(merchant, "k")).status_code == 201


def test_rate_limited_requests_are_not_stored() -> None:
    from api_harness import api_settings

    with running_api("memory", settings=api_settings(api_rate_limit=RateLimit(1, 60))) as api:
        shop = api.merchant()
        assert api.post("/orders/", {"amount": "1"}, _keyed(shop, "a")).status_code == 201
        limited = api.post("/orders/", {"amount": "1"}, _keyed(shop, "b"))
        assert error_of(limited) == (429, 1006)
        assert "retry-after" in limited.headers
        assert _record(api, shop, "b") is None


def test_admins_cannot_use_the_payment_routes_with_a_key(api: Api) -> None:
    response = api.post(
        "/orders/", {"amount": "1"}, {**api.admin_headers(), "Idempotency-Key": "k"}
    )
    assert error_of(response) == (403, 1003)


# --- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\xe9", "tab\there", "\x7f"])
def test_malformed_keys_are_422_1004_naming_the_header(
    api: Api, merchant: Merchant, key: str
) -> None:
    headers = [
        (b"x-api-key", merchant.api_key.encode()),
        (b"idempotency-key", key.encode("latin-1")),
    ]
    response = api.client.post(ORDERS, json={"amount": "1"}, headers=headers)
    assert error_of(response) == (422, 1004)
    meta = response.json()["exception"]["meta"]
    assert meta == {"fields": {"Idempotency-Key": "must be 1 to 255 printable ASCII characters"}}
    assert _order_count(api, merchant) == 0


@pytest.mark.parametrize("key", ["a", "x" * 255, "~ !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"])
def test_any_printable_ascii_key_of_1_to_255_characters_works(
    api: Api, merchant: Merchant, key: str
) -> None:
    assert api.post("/orders/", {"amount": "1"}, _keyed(merchant, key)).status_code == 201
    assert (
        api.post("/orders/", {"amount": "1"}, _keyed(merchant, key)).headers["idempotent-replayed"]
        == "true"
    )


# --- in flight, takeover, purge ------------------------------------------------------------------


def _claim_as_if_running(
    api: Api, merchant: Merchant, key: str, body: bytes, path: str = ORDERS
) -> None:
    """A first request with ``body`` that has claimed the key and not answered yet."""
    keys = fingerprint_keys(api.client.app.state[SERVICES_STATE_KEY])
    fingerprint = request_fingerprint("POST", path, body, keys)
    with api.paygate.uow() as work:
        assert (
            work.idempotency.claim(
                UUID(merchant.merchant_id), key, fingerprint, api.clock.now(), LEASE
            )
            is None
        )
        work.commit()


def test_a_repeat_while_the_first_runs_is_409_1007_until_its_lease_ends(backend_api: Api) -> None:
    shop = backend_api.merchant()
    body = b'{"amount": "7.00"}'
    _claim_as_if_running(backend_api, shop, "busy", body)
    assert error_of(backend_api.post("/orders/", body, _keyed(shop, "busy"))) == (409, 1007)
    assert error_of(backend_api.post("/orders/", b'{"amount": "8"}', _keyed(shop, "busy"))) == (
        422,
        1007,
    )
    backend_api.clock.advance(LEASE + timedelta(seconds=1))  # the first request died
    taken_over = backend_api.post("/orders/", body, _keyed(shop, "busy"))
    assert taken_over.status_code == 201
    assert backend_api.post("/orders/", body, _keyed(shop, "busy")).content == taken_over.content
    assert _order_count(backend_api, shop) == 1


def test_concurrent_repeats_create_exactly_one_order(backend_api: Api) -> None:
    shop = backend_api.merchant()

    def send(_: int) -> Any:
        return backend_api.post("/orders/", {"amount": "3.00"}, _keyed(shop, "race"))

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(send, range(10)))
    created = {r.json()["data"]["order_id"] for r in responses if r.status_code == 201}
    conflicts = [error_of(r) for r in responses if r.status_code != 201]
    assert len(created) == 1
    assert set(conflicts) <= {(409, 1007)}
    assert _order_count(backend_api, shop) == 1


def test_expired_records_are_purged(backend_api: Api) -> None:
    shop = backend_api.merchant()
    merchant_id = UUID(shop.merchant_id)
    with backend_api.paygate.uow() as work:
        now = backend_api.clock.now()
        for key, age in (
            ("old", RETENTION + timedelta(hours=1)),
            ("young", RETENTION - timedelta(hours=1)),
        ):
            work.idempotency.claim(merchant_id, key, "h", now - age, LEASE)
            work.idempotency.complete(merchant_id, key, 201, b"{}", now - age)
        work.commit()
    # The first keyed request of a process starts the purge in the background.
    backend_api.post("/orders/", {"amount": "1"}, _keyed(shop, "trigger"))
    deadline = time.monotonic() + 5
    while _record(backend_api, shop, "old") is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _record(backend_api, shop, "old") is None
    young = _record(backend_api, shop, "young")
    assert young is not None
    assert young.answer == StoredAnswer(201, b"{}")
    assert backend_api.paygate.purge_idempotency_keys() == 0


# --- a crash between the change and the answer ---------------------------------------------------


def test_a_request_that_dies_after_its_change_committed_is_replayed_not_rerun(
    backend_api: Api,
) -> None:
    """A first request claimed each key and ran its use case as the route does (with the
    route's answer), then its process died before answering. The retries, even after the
    lease, replay what the change committed with it: one order, one payment, one refund."""
    api = backend_api
    shop = api.merchant()
    merchant_id = UUID(shop.merchant_id)
    order_body = b'{"amount": "7.00"}'
    _claim_as_if_running(api, shop, "o", order_body)
    order = api.paygate.create_order(
        CreateOrder(merchant_id, "7.00", idempotency=IdempotentAnswer("o", order_created))
    )

    pay_body = (
        b'{"order_id": "%s", "card_details": {"card_number": "4242424242424242", '
        b'"expiry": "12/30", "cvv": "123"}}' % str(order.id).encode()
    )
    _claim_as_if_running(api, shop, "p", pay_body, "/paygate/api/v1/payments/")
    payment = api.paygate.pay_order(
        PayOrder(
            merchant_id,
            str(order.id),
            "4242424242424242",
            "12/30",
            "123",
            idempotency=IdempotentAnswer("p", payment_processed),
        )
    )

    refund_body = b'{"payment_id": "%s", "amount": "2.00"}' % str(payment.id).encode()
    _claim_as_if_running(api, shop, "r", refund_body, "/paygate/api/v1/refunds/")
    outcome = api.paygate.refund_payment(
        RefundPayment(
            merchant_id,
            str(payment.id),
            "2.00",
            idempotency=IdempotentAnswer("r", refund_processed),
        )
    )

    api.clock.advance(LEASE + timedelta(seconds=1))
    for path, body, key, field, ident in (
        ("/orders/", order_body, "o", "order_id", order.id),
        ("/payments/", pay_body, "p", "payment_id", payment.id),
        ("/refunds/", refund_body, "r", "refund_id", outcome.refund.id),
    ):
        retry = api.post(path, body, _keyed(shop, key))
        assert retry.status_code == 201, retry.text
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.json()["data"][field] == str(ident)
    assert _order_count(api, shop) == 1
    details = api.get(f"/payments/{payment.id}/", shop.key).json()["data"]
    assert details["amount_refunded"] == "2.00"
    assert len(details["refunds"]) == 1


def _unrenderable(order: Order) -> tuple[int, bytes]:
    raise RuntimeError("render failed")


def test_the_answer_and_the_change_commit_together_or_not_at_all(backend_api: Api) -> None:
    api = backend_api
    shop = api.merchant()
    _claim_as_if_running(api, shop, "k", b'{"amount": "5"}')
    with pytest.raises(RuntimeError):
        api.paygate.create_order(
            CreateOrder(
                UUID(shop.merchant_id), "5", idempotency=IdempotentAnswer("k", _unrenderable)
            )
        )
    assert _order_count(api, shop) == 0
    record = _record(api, shop, "k")
    assert record is not None
    assert not record.completed


def test_the_route_stores_the_exact_bytes_it_sends(backend_api: Api) -> None:
    shop = backend_api.merchant()
    first = backend_api.post("/orders/", {"amount": "4.00"}, _keyed(shop, "exact"))
    record = _record(backend_api, shop, "exact")
    assert record is not None
    assert record.answer == StoredAnswer(201, first.content)


# --- the fingerprint -----------------------------------------------------------------------------


def test_canonical_json_sorts_keys_and_keeps_numbers_as_written() -> None:
    value = {"b": [1, True, None, "x"], "a": Decimal("10.50"), "c": {"z": "1", "y": "2"}}
    assert canonical_json(value) == '{"a":10.50,"b":[1,true,null,"x"],"c":{"y":"2","z":"1"}}'
    assert canonical_json({"a": Decimal("10.50")}) != canonical_json({"a": "10.50"})


def test_the_fingerprint_covers_method_path_and_body() -> None:
    keys = FingerprintKeys(request=b"r" * 32, card=b"c" * 32)

    def fingerprint(method: str, path: str, body: bytes) -> str:
        return request_fingerprint(method, path, body, keys)

    base = fingerprint("POST", "/p/orders/", b'{"a": 1, "b": 2}')
    assert base == fingerprint("POST", "/p/orders", b'{"b":2,"a":1}')
    assert base != fingerprint("POST", "/p/payments/", b'{"a": 1, "b": 2}')
    assert base != fingerprint("PUT", "/p/orders/", b'{"a": 1, "b": 2}')
    assert base != fingerprint("POST", "/p/orders/", b'{"a": 1, "b": 3}')
    # Bodies that are not JSON objects are compared byte for byte.
    assert fingerprint("POST", "/p", b"{oops") != fingerprint("POST", "/p", b"{oops ")
    assert fingerprint("POST", "/p", b"") == fingerprint("POST", "/p", b"")
