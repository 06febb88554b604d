"""The contract of the ``EventOutbox`` port: events, their webhook deliveries (claimed
under a lease, settled by recorded attempts) and the attempt log."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from uuid import UUID

from paygate_core.accounts import Merchant
from paygate_core.events import (
    Delivery,
    DeliveryStatus,
    EventType,
    PaymentEvent,
    WebhookAttemptStatus,
    WebhookEvent,
)
from paygate_core.money import Money
from paygate_core.payments import Payment
from paygate_core.testing._builders import Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    LEASE,
    STRANGER,
    Factory,
    assert_listed,
    collect_pages,
    read_committed,
    reading,
    seed_merchant,
    write,
)


def _add_event(
    factory: Factory, event: PaymentEvent, *, now: datetime, deliver: bool = True
) -> None:
    with factory() as uow:
        uow.outbox.add(copy.deepcopy(event), deliver=deliver, now=now)
        uow.commit()


def _claim(
    factory: Factory, now: datetime, limit: int = 10, lease: timedelta = LEASE
) -> list[Delivery]:
    with factory() as uow:
        claimed = list(uow.outbox.claim_due(now, limit, lease))
        uow.commit()
    return claimed


def _event(factory: Factory, event_id: UUID, merchant_id: UUID) -> WebhookEvent | None:
    found: WebhookEvent | None = read_committed(
        factory, lambda uow: uow.outbox.get(event_id, merchant_id)
    )
    return found


class EventOutboxContract:
    def _payment(
        self,
        factory: Factory,
        b: Builder,
        webhook_url: str | None = "https://shop.example/hooks",
    ) -> tuple[Merchant, Payment]:
        _, merchant = seed_merchant(factory, b, webhook_url=webhook_url)
        order = b.order(merchant, Money.of("100.00", "INR"))
        payment = b.payment(order)
        write(factory, order, payment)
        return merchant, payment

    def test_event_round_trips_with_its_snapshot_and_pending_delivery(
        self, uow_factory: Factory
    ) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        payment.apply_refund(Money.of("40.00", "INR"), at(30))
        refund = b.refund(payment, Money.of("40.00", "INR"))
        write(uow_factory, refund)
        event = b.event(payment, refund=refund)
        _add_event(uow_factory, event, now=at(30, microseconds=3))
        stored = _event(uow_factory, event.id, merchant.id)
        assert_identical(
            stored,
            WebhookEvent(
                event=event,
                delivery_status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=at(30, microseconds=3),
                last_attempt_at=None,
                created_at=at(30, microseconds=3),
            ),
        )

    def test_event_without_delivery_is_recorded_as_skipped(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b, webhook_url=None)
        event = b.event(payment)
        _add_event(uow_factory, event, now=at(1), deliver=False)
        assert_identical(
            _event(uow_factory, event.id, merchant.id),
            WebhookEvent(
                event=event,
                delivery_status=DeliveryStatus.SKIPPED,
                attempts=0,
                next_attempt_at=None,
                last_attempt_at=None,
                created_at=at(1),
            ),
        )
        assert _claim(uow_factory, at(days=30)) == []

    def test_events_are_the_merchants_newest_first(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        other, theirs = self._payment(uow_factory, b)
        events = [b.event(payment, EventType.PAYMENT_AUTHORIZED) for _ in range(3)]
        for i, event in enumerate(events):
            _add_event(uow_factory, event, now=at(10 - i))
        foreign = b.event(theirs)
        _add_event(uow_factory, foreign, now=at(20))
        assert _event(uow_factory, foreign.id, merchant.id) is None
        assert _event(uow_factory, STRANGER, merchant.id) is None
        with reading(uow_factory) as uow:
            listed = collect_pages(lambda p: uow.outbox.list(merchant.id, p), 2)
            assert [e.id for e in listed] == [e.id for e in events]
            assert [e.id for e in collect_pages(lambda p: uow.outbox.list(other.id, p), 2)] == [
                foreign.id
            ]

    def test_claim_takes_due_events_oldest_first_up_to_the_limit(
        self, uow_factory: Factory
    ) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        events = [b.event(payment) for _ in range(4)]
        for event, t in zip(events, (1, 2, 3, 60), strict=True):
            _add_event(uow_factory, event, now=at(t))
        claimed = _claim(uow_factory, at(3), limit=2)
        assert [(d.webhook.id, d.attempt) for d in claimed] == [
            (events[0].id, 1),
            (events[1].id, 1),
        ]
        assert all(
            (d.url, d.secret) == (merchant.webhook_url, merchant.webhook_secret) for d in claimed
        )
        assert_identical(claimed[0].webhook.event, events[0])
        assert claimed[0].webhook.attempts == 1
        # events[3] is not due yet; the first two are leased.
        assert [d.webhook.id for d in _claim(uow_factory, at(3))] == [events[2].id]
        assert _claim(uow_factory, at(59)) == []

    def test_claimed_event_is_hidden_until_its_lease_expires(
        self,
        uow_factory: Factory,
    ) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        event = b.event(payment)
        _add_event(uow_factory, event, now=at(0))
        assert [d.attempt for d in _claim(uow_factory, at(1), lease=LEASE)] == [1]
        stored = _event(uow_factory, event.id, merchant.id)
        assert stored is not None
        assert (stored.delivery_status, stored.attempts) == (DeliveryStatus.PENDING, 1)
        assert stored.next_attempt_at == at(1) + LEASE
        assert _claim(uow_factory, at(1) + LEASE - timedelta(microseconds=1)) == []
        again = _claim(uow_factory, at(1) + LEASE)
        assert [(d.webhook.id, d.attempt, d.webhook.attempts) for d in again] == [(event.id, 2, 2)]

    def test_claim_skips_events_whose_merchant_has_no_webhook_url_any_more(
        self, uow_factory: Factory
    ) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        event = b.event(payment)
        _add_event(uow_factory, event, now=at(0))
        merchant.webhook_url = None
        with uow_factory() as uow:
            uow.merchants.update(copy.deepcopy(merchant))
            uow.commit()
        assert _claim(uow_factory, at(1)) == []
        stored = _event(uow_factory, event.id, merchant.id)
        assert stored is not None
        assert stored.delivery_status is DeliveryStatus.SKIPPED
        assert stored.next_attempt_at is None
        assert stored.attempts == 0

    def test_claim_sends_to_the_merchants_current_url_and_secret(
        self, uow_factory: Factory
    ) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        _add_event(uow_factory, b.event(payment), now=at(0))
        merchant.webhook_url = "https://new.shop.example/hooks"
        merchant.webhook_secret = "whsec_new"
        with uow_factory() as uow:
            uow.merchants.update(copy.deepcopy(merchant))
            uow.commit()
        [delivery] = _claim(uow_factory, at(1))
        assert (delivery.url, delivery.secret) == ("https://new.shop.example/hooks", "whsec_new")

    def test_claim_left_uncommitted_counts_nothing(self, uow_factory: Factory) -> None:
        b = Builder()
        _, payment = self._payment(uow_factory, b)
        event = b.event(payment)
        _add_event(uow_factory, event, now=at(0))
        with uow_factory() as uow:
            assert len(uow.outbox.claim_due(at(1), 10, LEASE)) == 1
        assert [d.attempt for d in _claim(uow_factory, at(1))] == [1]

    def test_next_due_at_is_the_earliest_wait_of_an_event_still_to_deliver(
        self, uow_factory: Factory
    ) -> None:
        def next_due() -> datetime | None:
            with reading(uow_factory) as uow:
                return uow.outbox.next_due_at()

        b = Builder()
        _, payment = self._payment(uow_factory, b)
        assert next_due() is None
        _add_event(uow_factory, b.event(payment), now=at(5), deliver=False)  # skipped
        assert next_due() is None
        first, second = b.event(payment), b.event(payment)
        _add_event(uow_factory, first, now=at(7))
        _add_event(uow_factory, second, now=at(9))
        assert next_due() == at(7)
        _claim(uow_factory, at(8), limit=1)  # first: leased until at(8) + LEASE
        assert next_due() == at(9)
        _claim(uow_factory, at(10))
        assert next_due() == at(8) + LEASE
        with uow_factory() as uow:
            for event, when in ((first, at(11)), (second, at(12))):
                uow.outbox.record_attempt(
                    b.attempt(event, created_at=when), DeliveryStatus.DELIVERED, None
                )
            uow.commit()
        assert next_due() is None

    def test_record_attempt_logs_it_and_settles_the_delivery(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        delivered, failing = b.event(payment), b.event(payment)
        _add_event(uow_factory, delivered, now=at(0))
        _add_event(uow_factory, failing, now=at(0))
        _claim(uow_factory, at(1))
        ok = b.attempt(delivered, created_at=at(2))
        bad = b.attempt(
            failing,
            status=WebhookAttemptStatus.FAILED,
            http_status=None,
            error="blocked destination",
            created_at=at(3),
        )
        with uow_factory() as uow:
            uow.outbox.record_attempt(ok, DeliveryStatus.DELIVERED, None)
            uow.outbox.record_attempt(bad, DeliveryStatus.PENDING, at(33))
            uow.commit()
        done = _event(uow_factory, delivered.id, merchant.id)
        retry = _event(uow_factory, failing.id, merchant.id)
        assert done is not None
        assert retry is not None
        assert (
            done.delivery_status,
            done.next_attempt_at,
            done.last_attempt_at,
            done.attempts,
        ) == (DeliveryStatus.DELIVERED, None, at(2), 1)
        assert (retry.delivery_status, retry.next_attempt_at, retry.last_attempt_at) == (
            DeliveryStatus.PENDING,
            at(33),
            at(3),
        )
        assert _claim(uow_factory, at(32)) == []
        assert [(d.webhook.id, d.attempt) for d in _claim(uow_factory, at(33))] == [(failing.id, 2)]
        last = b.attempt(
            failing,
            attempt=2,
            status=WebhookAttemptStatus.FAILED,
            http_status=500,
            created_at=at(34),
        )
        with uow_factory() as uow:
            uow.outbox.record_attempt(last, DeliveryStatus.FAILED, None)
            uow.commit()
        assert _claim(uow_factory, at(days=9)) == []
        with reading(uow_factory) as uow:
            assert_listed(lambda p: uow.outbox.list_attempts(merchant.id, p), [ok, bad, last])

    def test_attempts_list_filters_by_event_payment_and_merchant(
        self, uow_factory: Factory
    ) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        order = b.order(merchant)
        second = b.payment(order)
        write(uow_factory, order, second)
        other, theirs = self._payment(uow_factory, b)
        e1, e2, e3, foreign = b.event(payment), b.event(payment), b.event(second), b.event(theirs)
        for event in (e1, e2, e3, foreign):
            _add_event(uow_factory, event, now=at(0))
        attempts = [
            b.attempt(e1, created_at=at(1)),
            b.attempt(e1, attempt=2, created_at=at(2)),
            b.attempt(e2, created_at=at(2)),
            b.attempt(e3, created_at=at(3)),
        ]
        alien = b.attempt(foreign, created_at=at(4))
        with uow_factory() as uow:
            for attempt in (*attempts, alien):
                uow.outbox.record_attempt(attempt, DeliveryStatus.DELIVERED, None)
            uow.commit()
        with reading(uow_factory) as uow:
            assert_listed(lambda p: uow.outbox.list_attempts(merchant.id, p), attempts)
            assert_listed(
                lambda p: uow.outbox.list_attempts(merchant.id, p, event_id=e1.id), attempts[:2]
            )
            assert_listed(
                lambda p: uow.outbox.list_attempts(merchant.id, p, payment_id=payment.id),
                attempts[:3],
            )
            assert_listed(
                lambda p: uow.outbox.list_attempts(
                    merchant.id, p, payment_id=second.id, event_id=e1.id
                ),
                [],
            )
            assert_listed(
                lambda p: uow.outbox.list_attempts(merchant.id, p, event_id=foreign.id), []
            )
            assert_listed(lambda p: uow.outbox.list_attempts(other.id, p), [alien])

    def test_requeue_makes_a_settled_event_due_again(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        event = b.event(payment)
        _add_event(uow_factory, event, now=at(0))
        _claim(uow_factory, at(1))
        with uow_factory() as uow:
            uow.outbox.record_attempt(
                b.attempt(event, created_at=at(2)), DeliveryStatus.DELIVERED, None
            )
            uow.commit()
        with uow_factory() as uow:
            uow.outbox.requeue(event.id, at(100))
            uow.outbox.requeue(STRANGER, at(100))  # unknown: nothing happens
            uow.commit()
        stored = _event(uow_factory, event.id, merchant.id)
        assert stored is not None
        assert (stored.delivery_status, stored.next_attempt_at, stored.attempts) == (
            DeliveryStatus.PENDING,
            at(100),
            1,
        )
        assert _claim(uow_factory, at(99)) == []
        assert [d.attempt for d in _claim(uow_factory, at(100))] == [2]
