"""What a merchant's endpoint receives: body, headers and signature of each event type."""

from __future__ import annotations

import json
from decimal import Decimal

from webhook_harness import DECLINED_CARD, Receiver, Reply, World

from paygate_core import RefundPayment, UpdateMerchant
from paygate_core.events import DeliveryStatus, WebhookAttemptStatus
from paygate_core.signatures import verify_signature


def test_each_event_type_is_delivered_as_signed_compact_json_with_the_contract_headers(
    world: World,
    receiver: Receiver,
) -> None:
    merchant = world.merchant(receiver.url())
    paid = world.pay(merchant)
    world.app.capture_payment(merchant.id, paid.id)
    world.app.refund_payment(RefundPayment(merchant.id, paid.id, "40.00", "customer request"))
    world.pay(merchant, card=DECLINED_CARD)

    assert world.dispatcher().run_once() == 4

    received = receiver.wait_for(4)
    events = {str(e.id): e for e in world.events(merchant)}
    assert sorted(r.header("X-Paygate-Event") or "" for r in received) == [
        "payment.authorized",
        "payment.captured",
        "payment.failed",
        "payment.refunded",
    ]
    now = int(world.clock.now().timestamp())
    for request in received:
        event = events[request.header("X-Paygate-Event-Id") or ""].event
        assert request.path == "/hook"
        assert request.body == json.dumps(event.payload(), separators=(",", ":")).encode()
        assert request.header("Content-Type") == "application/json"
        assert request.header("X-Paygate-Event") == event.type.value
        assert request.header("X-Paygate-Delivery-Attempt") == "1"
        signature = request.header("X-Paygate-Signature") or ""
        assert signature.startswith(f"t={now},v1=")
        assert verify_signature(merchant.webhook_secret, signature, request.body, now=now)


def test_bodies_are_snapshots_of_the_payment_when_each_event_happened(
    world: World,
    receiver: Receiver,
) -> None:
    merchant = world.merchant(receiver.url())
    paid = world.pay(merchant)
    world.app.refund_payment(RefundPayment(merchant.id, paid.id, "40.00"))
    outcome = world.app.refund_payment(RefundPayment(merchant.id, paid.id))
    declined = world.pay(merchant, card=DECLINED_CARD)

    world.dispatcher().run_once()

    bodies = [json.loads(r.body) for r in receiver.wait_for(4)]
    by_event: dict[str, list[dict[str, object]]] = {}
    for body in bodies:
        by_event.setdefault(str(body["event"]), []).append(body)
    authorized = by_event["payment.authorized"][0]
    assert authorized["status"] == "authorized"
    assert authorized["amount"] == "100.00"
    assert authorized["amount_refunded"] == "0.00"
    assert authorized["refund"] is None
    refunds = sorted(by_event["payment.refunded"], key=lambda b: Decimal(str(b["amount_refunded"])))
    assert [(b["status"], b["amount_refunded"]) for b in refunds] == [
        ("authorized", "40.00"),
        ("refunded", "100.00"),
    ]
    assert refunds[1]["refund"] == {"refund_id": str(outcome.refund.id), "amount": "60.00"}
    failed = by_event["payment.failed"][0]
    assert failed["payment_id"] == str(declined.id)
    assert failed["failure_reason"] == "card_declined"
    assert set(failed) == {
        "event_id",
        "event",
        "payment_id",
        "order_id",
        "amount",
        "currency",
        "status",
        "amount_refunded",
        "failure_reason",
        "refund",
        "created_at",
        "occurred_at",
    }
    assert all(b"4242" not in r.body and b"0002" not in r.body for r in receiver.requests)


def test_the_merchant_helper_verifies_real_deliveries_against_its_own_clock(
    world: World,
    receiver: Receiver,
) -> None:
    merchant = world.merchant(receiver.url())
    world.pay(merchant)

    world.dispatcher().run_once()

    [request] = receiver.wait_for(1)
    signature = request.header("X-Paygate-Signature") or ""
    assert verify_signature(merchant.webhook_secret, signature, request.body)
    assert not verify_signature(merchant.webhook_secret, signature, request.body + b" ")
    assert not verify_signature("whsec_someone-else", signature, request.body)


def test_a_delivered_attempt_is_logged_sent_with_status_and_answer(
    world: World,
    receiver: Receiver,
) -> None:
    receiver.default = Reply(202, b'{"received": true}')
    merchant = world.merchant(receiver.url())
    payment = world.pay(merchant)

    world.dispatcher().run_once()

    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.DELIVERED
    assert event.attempts == 1
    assert event.next_attempt_at is None
    assert event.last_attempt_at == world.clock.now()
    [attempt] = world.attempts(merchant)
    assert attempt.event_id == event.id
    assert attempt.payment_id == payment.id
    assert attempt.event_type.value == "payment.authorized"
    assert attempt.attempt == 1
    assert attempt.url == receiver.url()
    assert attempt.status is WebhookAttemptStatus.SENT
    assert attempt.http_status == 202
    assert attempt.response_body == '{"received": true}'
    assert attempt.error is None
    assert 0 <= attempt.duration_ms < 2000


def test_only_the_first_kibibyte_of_the_answer_is_logged(
    world: World,
    receiver: Receiver,
) -> None:
    receiver.default = Reply(200, b"x" * 5000)
    merchant = world.merchant(receiver.url())
    world.pay(merchant)

    world.dispatcher().run_once()

    [attempt] = world.attempts(merchant)
    assert attempt.response_body == "x" * 1024


def test_events_of_a_merchant_without_webhook_url_are_skipped_and_nothing_is_sent(
    world: World,
    receiver: Receiver,
) -> None:
    merchant = world.merchant(None)
    world.pay(merchant)

    assert world.dispatcher().run_once() == 0

    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.SKIPPED
    assert world.attempts(merchant) == []
    assert receiver.requests == []


def test_a_webhook_url_removed_before_delivery_skips_the_queued_event(
    world: World,
    receiver: Receiver,
) -> None:
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    world.app.update_merchant(UpdateMerchant(merchant.id, webhook_url=None))

    assert world.dispatcher().run_once() == 0

    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.SKIPPED
    assert receiver.requests == []


def test_resend_delivers_the_same_event_again_with_the_same_event_id(
    world: World,
    receiver: Receiver,
) -> None:
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    dispatcher = world.dispatcher()
    dispatcher.run_once()
    [event] = world.events(merchant)

    requeued = world.app.resend_webhook_event(merchant.id, event.id)
    assert requeued.delivery_status is DeliveryStatus.PENDING
    assert dispatcher.run_once() == 1

    first, second = receiver.wait_for(2)
    assert (
        second.header("X-Paygate-Event-Id") == first.header("X-Paygate-Event-Id") == str(event.id)
    )
    assert second.body == first.body
    assert second.header("X-Paygate-Delivery-Attempt") == "2"
    assert [a.status for a in world.attempts(merchant)] == [WebhookAttemptStatus.SENT] * 2
    assert world.event(merchant, event.id).delivery_status is DeliveryStatus.DELIVERED
