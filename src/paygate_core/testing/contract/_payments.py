"""The contract of the ``PaymentRepository`` port."""

from __future__ import annotations

import copy

from paygate_core.money import Money
from paygate_core.payments import PaymentStatus
from paygate_core.testing._builders import Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    STRANGER,
    Factory,
    assert_listed,
    newest_first,
    read_committed,
    reading,
    seed_merchant,
    write,
)


class PaymentRepositoryContract:
    def test_payment_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        order = b.order(merchant, Money.of("10.00", "EUR"))
        failed = b.payment(
            order, status=PaymentStatus.FAILED, failure_reason="insufficient_funds", last4="9995"
        )
        paid = b.payment(
            order,
            refunded=Money.of("2.50", "EUR"),
            created_at=at(1),
            updated_at=at(2, microseconds=1),
        )
        write(uow_factory, order, failed, paid)
        with reading(uow_factory) as uow:
            assert_identical(uow.payments.get(failed.id, merchant.id), failed)
            assert_identical(uow.payments.get(paid.id, merchant.id), paid)

    def test_payment_update_round_trips_refunds_and_status(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        order = b.order(merchant, Money.of("5", "JPY"))
        payment = b.payment(order)
        write(uow_factory, order, payment)
        payment.capture(at(10))
        payment.apply_refund(Money.of("2", "JPY"), at(11))
        with uow_factory() as uow:
            uow.payments.update(copy.deepcopy(payment))
            uow.commit()
        assert_identical(
            read_committed(uow_factory, lambda u: u.payments.get(payment.id, merchant.id)), payment
        )
        payment.apply_refund(Money.of("3", "JPY"), at(12))
        with uow_factory() as uow:
            uow.payments.update(copy.deepcopy(payment))
            uow.commit()
        with uow_factory() as uow:
            stored = uow.payments.get(payment.id, merchant.id, for_update=True)
        assert_identical(stored, payment)
        assert stored is not None
        assert stored.status is PaymentStatus.REFUNDED

    def test_another_merchants_payment_is_none(self, uow_factory: Factory) -> None:
        b = Builder()
        _, mine = seed_merchant(uow_factory, b)
        _, theirs = seed_merchant(uow_factory, b)
        order = b.order(mine)
        payment = b.payment(order)
        write(uow_factory, order, payment)
        with uow_factory() as uow:
            assert uow.payments.get(payment.id, theirs.id) is None
            assert uow.payments.get(payment.id, theirs.id, for_update=True) is None
            assert uow.payments.get(STRANGER, mine.id) is None

    def test_payments_list_filters_by_status_and_order(self, uow_factory: Factory) -> None:
        b = Builder()
        _, mine = seed_merchant(uow_factory, b)
        _, theirs = seed_merchant(uow_factory, b)
        first, second = b.order(mine), b.order(mine, created_at=at(1))
        declined = b.payment(first, status=PaymentStatus.FAILED, created_at=at(2))
        retried = b.payment(first, created_at=at(3))
        captured = b.payment(second, status=PaymentStatus.CAPTURED, created_at=at(3))
        other_order = b.order(theirs)
        foreign = b.payment(other_order, created_at=at(4))
        write(uow_factory, first, second, other_order, declined, retried, captured, foreign)
        mine_all = [declined, retried, captured]
        with reading(uow_factory) as uow:
            assert_listed(lambda p: uow.payments.list(mine.id, p), mine_all)
            assert_listed(
                lambda p: uow.payments.list(mine.id, p, status=PaymentStatus.AUTHORIZED), [retried]
            )
            assert_listed(
                lambda p: uow.payments.list(mine.id, p, order_id=first.id), [declined, retried]
            )
            assert_listed(
                lambda p: uow.payments.list(
                    mine.id, p, order_id=first.id, status=PaymentStatus.FAILED
                ),
                [declined],
            )
            assert_listed(lambda p: uow.payments.list(mine.id, p, order_id=other_order.id), [])
            assert_listed(lambda p: uow.payments.list(theirs.id, p), [foreign])

    def test_payments_for_an_order_are_newest_first(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        order, other = b.order(merchant), b.order(merchant)
        payments = [
            b.payment(order, status=PaymentStatus.FAILED, created_at=at(t)) for t in (5, 1, 3)
        ]
        write(uow_factory, order, other, *payments, b.payment(other))
        with reading(uow_factory) as uow:
            assert_identical(list(uow.payments.for_order(order.id)), newest_first(payments))
            assert list(uow.payments.for_order(STRANGER)) == []
