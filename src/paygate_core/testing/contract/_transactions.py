"""The contract of the ``UnitOfWork`` itself: commit, rollback and isolation across every
repository it holds."""

from __future__ import annotations

import copy
from uuid import UUID

import attrs
import pytest

from paygate_core.accounts import Merchant, Role, User
from paygate_core.events import (
    DeliveryStatus,
    EventType,
    PaymentEvent,
)
from paygate_core.money import Money
from paygate_core.orders import Order
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.ports import (
    UnitOfWork,
)
from paygate_core.refunds import Refund
from paygate_core.stats import StatsPeriod
from paygate_core.testing._builders import Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    LEASE,
    STALE,
    Factory,
    add_object,
    collect_pages,
    reading,
    seed_merchant,
)
from paygate_core.tokens import RefreshToken


@attrs.frozen
class _Batch:
    """One of everything a unit of work writes, for the commit/rollback tests."""

    order: Order
    payment: Payment
    refund: Refund
    event: PaymentEvent
    token: RefreshToken

    @classmethod
    def of(cls, b: Builder, user: User, merchant: Merchant) -> _Batch:
        order = b.order(merchant, created_at=at(50))
        payment = b.payment(order, status=PaymentStatus.CAPTURED)
        refund = b.refund(payment, Money.of("1.00", "USD"))
        return cls(
            order,
            payment,
            refund,
            b.event(payment, EventType.PAYMENT_CAPTURED),
            b.refresh_token(user),
        )

    def write_into(self, uow: UnitOfWork) -> None:
        for obj in (self.order, self.payment, self.refund, self.token):
            add_object(uow, copy.deepcopy(obj))
        uow.outbox.add(copy.deepcopy(self.event), deliver=True, now=at(50))


class _Boom(Exception):
    pass


class TransactionContract:
    def test_leaving_without_commit_leaves_nothing_behind(self, uow_factory: Factory) -> None:
        b = Builder()
        user, merchant = seed_merchant(uow_factory, b)
        batch = _Batch.of(b, user, merchant)
        stranger = b.user(email="new@shop.example")
        with uow_factory() as uow:
            for obj in (stranger, b.merchant(stranger)):
                add_object(uow, obj)
            batch.write_into(uow)
            uow.outbox.claim_due(at(51), 10, LEASE)
            uow.outbox.record_attempt(
                b.attempt(batch.event, created_at=at(52)), DeliveryStatus.DELIVERED, None
            )
            uow.tokens.revoke_access(UUID(int=7), at(900))
            assert uow.idempotency.claim(merchant.id, "k", "h", at(50), STALE) is None
            user.soft_delete(at(50))
            uow.users.update(copy.deepcopy(user))
        self._assert_untouched(uow_factory, merchant, batch)
        with reading(uow_factory) as uow:
            assert uow.users.get_by_email(stranger.email) is None
            assert uow.users.count(Role.MERCHANT) == 1

    def _assert_untouched(self, factory: Factory, merchant: Merchant, batch: _Batch) -> None:
        with reading(factory) as uow:
            assert uow.orders.get(batch.order.id, merchant.id) is None
            assert uow.payments.get(batch.payment.id, merchant.id) is None
            assert uow.refunds.get(batch.refund.id, merchant.id) is None
            assert uow.outbox.get(batch.event.id, merchant.id) is None
            assert collect_pages(lambda p: uow.outbox.list_attempts(merchant.id, p), 5) == []
            assert uow.tokens.get_refresh(batch.token.jti) is None
            assert not uow.tokens.is_access_revoked(UUID(int=7))
            user = uow.users.get(merchant.user_id)
            assert user is not None
            assert not user.deleted
        with factory() as uow:
            assert uow.idempotency.claim(merchant.id, "k", "h", at(60), STALE) is None

    def _write_then_fail(self, factory: Factory, batch: _Batch) -> None:
        with factory() as uow:
            batch.write_into(uow)
            raise _Boom

    def test_an_exception_rolls_back_and_propagates(self, uow_factory: Factory) -> None:
        b = Builder()
        user, merchant = seed_merchant(uow_factory, b)
        batch = _Batch.of(b, user, merchant)
        with pytest.raises(_Boom):
            self._write_then_fail(uow_factory, batch)
        self._assert_untouched(uow_factory, merchant, batch)

    def test_commit_makes_everything_visible_together(self, uow_factory: Factory) -> None:
        b = Builder()
        user, merchant = seed_merchant(uow_factory, b)
        batch = _Batch.of(b, user, merchant)
        with uow_factory() as uow:
            batch.write_into(uow)
            uow.commit()
        with reading(uow_factory) as uow:
            assert_identical(uow.orders.get(batch.order.id, merchant.id), batch.order)
            assert_identical(uow.payments.get(batch.payment.id, merchant.id), batch.payment)
            assert_identical(uow.refunds.get(batch.refund.id, merchant.id), batch.refund)
            assert_identical(uow.tokens.get_refresh(batch.token.jti), batch.token)
            stored = uow.outbox.get(batch.event.id, merchant.id)
            assert stored is not None
            assert_identical(stored.event, batch.event)

    def test_rollback_discards_and_the_unit_of_work_goes_on(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        dropped, kept = b.order(merchant), b.order(merchant, created_at=at(1))
        with uow_factory() as uow:
            uow.orders.add(copy.deepcopy(dropped))
            uow.rollback()
            uow.orders.add(copy.deepcopy(kept))
            uow.commit()
        with reading(uow_factory) as uow:
            assert uow.orders.get(dropped.id, merchant.id) is None
            assert_identical(uow.orders.get(kept.id, merchant.id), kept)

    def test_work_after_a_commit_needs_its_own_commit(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        committed, abandoned = b.order(merchant), b.order(merchant, created_at=at(1))
        with uow_factory() as uow:
            uow.orders.add(copy.deepcopy(committed))
            uow.commit()
            uow.orders.add(copy.deepcopy(abandoned))
        with reading(uow_factory) as uow:
            assert_identical(uow.orders.get(committed.id, merchant.id), committed)
            assert uow.orders.get(abandoned.id, merchant.id) is None

    def test_uncommitted_changes_are_invisible_to_other_units_of_work(
        self, uow_factory: Factory
    ) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        order = b.order(merchant)
        with uow_factory() as writer:
            writer.orders.add(copy.deepcopy(order))
            assert_identical(writer.orders.get(order.id, merchant.id), order)
            with reading(uow_factory) as other:
                assert other.orders.get(order.id, merchant.id) is None
            writer.commit()
        with reading(uow_factory) as uow:
            assert_identical(uow.orders.get(order.id, merchant.id), order)

    def test_read_only_unit_of_work_reads_what_is_committed(self, uow_factory: Factory) -> None:
        b = Builder()
        user, merchant = seed_merchant(uow_factory, b)
        with uow_factory(read_only=True) as uow:
            assert_identical(uow.users.get(user.id), user)
            assert_identical(uow.merchants.get_by_api_key(merchant.api_key), merchant)
            assert uow.stats.merchant_stats(merchant.id, StatsPeriod()).total_orders == 0
        with uow_factory(read_only=True) as first, uow_factory(read_only=True) as second:
            assert_identical(first.users.get(user.id), second.users.get(user.id))
