"""The adapter contract: tests every storage adapter must pass (needs the ``testing`` extra).

The in-memory adapters in ``paygate_core.testing.memory`` are the reference; an adapter's
test module subclasses the contract classes and provides ONE fixture, ``uow_factory``: a
``UnitOfWorkFactory`` over an EMPTY store, fresh for each test::

    import pytest
    from paygate_core.testing.contract import UnitOfWorkContract, adapter_state_machine

    class TestSqliteUnitOfWork(UnitOfWorkContract):
        @pytest.fixture
        def uow_factory(self, sqlite_url):
            return build_sql_unit_of_work_factory(sqlite_url)  # schema created, tables empty

    # the adapter and the reference driven side by side through random operations
    TestSqliteAgreesWithReference = adapter_state_machine(fresh_sqlite_factory).TestCase

``UnitOfWorkContract`` inherits every class below; subclass one of them to run a part. Each
test writes its own small data set through the ports, with explicit timestamps (no clock).
Results are compared with ``assert_identical``: same types, Decimal amounts with the
currency's minor-unit digits, timezone-aware UTC datetimes with microseconds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from paygate_core.accounts import Merchant, Role, User
from paygate_core.errors import EmailAlreadyRegistered, NotAuthenticated
from paygate_core.events import (
    DeliveryStatus,
    EventType,
    PaymentEvent,
    WebhookAttemptStatus,
    WebhookEvent,
)
from paygate_core.gateway import Paygate
from paygate_core.money import CURRENCIES, Money
from paygate_core.orders import Order, OrderStatus
from paygate_core.pagination import Cursor, Keyed, Page, PageRequest
from paygate_core.payments import REFUNDABLE, Payment, PaymentStatus
from paygate_core.ports import (
    CredentialCache,
    Delivery,
    IdempotencyRecord,
    NoCredentialCache,
    UnitOfWork,
    UnitOfWorkFactory,
)
from paygate_core.principals import CredentialKind, Principal
from paygate_core.refunds import Refund
from paygate_core.simulator import SimulatedProcessor
from paygate_core.stats import CurrencyVolume, GlobalStats, PaymentStats, StatsPeriod
from paygate_core.system import UUID4Ids
from paygate_core.testing import strategies as pst
from paygate_core.testing._builders import T0, Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.memory import (
    FixedClock,
    InMemoryStore,
    PlainPasswordHasher,
    UnsignedTokenService,
)
from paygate_core.tokens import RefreshToken
from paygate_core.use_cases.accounts import UpdateMerchant
from paygate_core.use_cases.auth import MerchantRegistration, RegisterAdmin, RegisterMerchant

__all__ = [
    "T0",
    "Builder",
    "CredentialCacheContract",
    "EventOutboxContract",
    "IdempotencyStoreContract",
    "MerchantRepositoryContract",
    "OrderRepositoryContract",
    "PaymentRepositoryContract",
    "RefundRepositoryContract",
    "StatsReaderContract",
    "TokenStoreContract",
    "TransactionContract",
    "TwoProcesses",
    "UnitOfWorkContract",
    "UserRepositoryContract",
    "adapter_state_machine",
    "assert_identical",
    "assert_listed",
    "at",
    "collect_pages",
    "newest_first",
    "reading",
    "seed_merchant",
    "write",
]

K = TypeVar("K", bound=Keyed)
Factory = UnitOfWorkFactory
STRANGER = UUID("0badc0de-0000-4000-8000-000000000000")  # an id nobody owns
LEASE = timedelta(minutes=5)
STALE = timedelta(minutes=10)


# --- helpers ---------------------------------------------------------------------------------


def _add(uow: UnitOfWork, obj: object) -> None:
    """Add a domain object to the repository that keeps its kind."""
    if isinstance(obj, User):
        uow.users.add(obj)
    elif isinstance(obj, Merchant):
        uow.merchants.add(obj)
    elif isinstance(obj, Order):
        uow.orders.add(obj)
    elif isinstance(obj, Payment):
        uow.payments.add(obj)
    elif isinstance(obj, Refund):
        uow.refunds.add(obj)
    elif isinstance(obj, RefreshToken):
        uow.tokens.add_refresh(obj)
    else:  # pragma: no cover - a mistake in a test
        raise TypeError(f"cannot add {type(obj).__name__}")


def write(factory: Factory, *objects: object) -> None:
    """Add the objects (parents first) in one unit of work and commit it."""
    with factory() as uow:
        for obj in objects:
            _add(uow, copy.deepcopy(obj))
        uow.commit()


@contextmanager
def reading(factory: Factory) -> Iterator[UnitOfWork]:
    """A read-only unit of work: what is committed."""
    with factory(read_only=True) as uow:
        yield uow


def seed_merchant(factory: Factory, b: Builder, *, created_at: datetime = T0,
                  webhook_url: str | None = "https://shop.example/hooks",
                  ) -> tuple[User, Merchant]:
    user = b.user(created_at=created_at)
    merchant = b.merchant(user, webhook_url=webhook_url)
    write(factory, user, merchant)
    return user, merchant


def collect_pages(fetch: Callable[[PageRequest], Page[K]], limit: int) -> list[K]:
    """Every item of a keyset-paginated listing, checking each page's promises on the way."""
    items: list[K] = []
    after: Cursor | None = None
    for _ in range(1000):
        page = fetch(PageRequest(limit=limit, after=after))
        assert len(page.items) <= limit
        items.extend(page.items)
        if not page.has_more:
            assert page.next_cursor is None, "the last page has no cursor"
            return items
        assert len(page.items) == limit, "a page with more after it is full"
        assert page.next_cursor is not None
        after = Cursor.decode(page.next_cursor)
    raise AssertionError("pagination never ended")  # pragma: no cover


def newest_first(objects: list[K]) -> list[K]:
    return sorted(objects, key=lambda o: (o.created_at, o.id), reverse=True)


def assert_listed(fetch: Callable[[PageRequest], Page[K]], expected: list[K], *,
                  limit: int = 2) -> None:
    """The listing holds exactly ``expected``, newest first (ties: higher id first)."""
    listed = collect_pages(fetch, limit)
    assert [o.id for o in listed] == [o.id for o in newest_first(expected)]
    assert_identical(listed, newest_first(expected))


def _stored(factory: Factory, read: Callable[[UnitOfWork], object]) -> Any:
    with reading(factory) as uow:
        return read(uow)


# --- users and merchants ----------------------------------------------------------------------


class UserRepositoryContract:
    def test_user_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        admin = b.user(role=Role.ADMIN, email="root@paygate.example", name="Zoë Ådmin")
        gone = b.user(created_at=at(1), deleted_at=at(2, microseconds=7))
        write(uow_factory, admin, gone)
        with reading(uow_factory) as uow:
            assert_identical(uow.users.get(admin.id), admin)
            assert_identical(uow.users.get(gone.id), gone)
            assert_identical(uow.users.get_by_email(admin.email), admin)

    def test_user_update_round_trips_deletion_and_restore(self, uow_factory: Factory) -> None:
        b = Builder()
        user = b.user()
        write(uow_factory, user)
        user.soft_delete(at(60, microseconds=1))
        user.name = "Renamed"
        with uow_factory() as uow:
            uow.users.update(copy.deepcopy(user))
            uow.commit()
        assert_identical(_stored(uow_factory, lambda uow: uow.users.get(user.id)), user)
        user.restore(at(120))
        with uow_factory() as uow:
            uow.users.update(copy.deepcopy(user))
            uow.commit()
        assert_identical(_stored(uow_factory, lambda uow: uow.users.get(user.id)), user)

    def test_email_is_unique_whatever_its_case(self, uow_factory: Factory) -> None:
        b = Builder()
        first = b.user(email="ada@shop.example")
        write(uow_factory, first)
        with pytest.raises(EmailAlreadyRegistered):
            write(uow_factory, b.user(email="ADA@Shop.Example"))
        with pytest.raises(EmailAlreadyRegistered):  # both new, in one unit of work
            write(uow_factory, b.user(email="bob@shop.example"), b.user(email="Bob@shop.example"))
        with reading(uow_factory) as uow:
            assert_identical(uow.users.get_by_email("ada@shop.example"), first)
            assert uow.users.get_by_email("bob@shop.example") is None
            assert uow.users.count(Role.MERCHANT) == 1

    def test_email_lookup_ignores_case(self, uow_factory: Factory) -> None:
        b = Builder()
        user = b.user(email="grace@shop.example")
        write(uow_factory, user)
        with reading(uow_factory) as uow:
            assert_identical(uow.users.get_by_email("GRACE@Shop.EXAMPLE"), user)

    def test_unknown_user_is_none(self, uow_factory: Factory) -> None:
        write(uow_factory, Builder().user(email="x@shop.example"))
        with reading(uow_factory) as uow:
            assert uow.users.get(STRANGER) is None
            assert uow.users.get_by_email("nobody@shop.example") is None

    def test_users_list_newest_first_by_role_hiding_deleted_by_default(
            self, uow_factory: Factory) -> None:
        b = Builder()
        admin = b.user(role=Role.ADMIN, created_at=at(1))
        old = b.user(created_at=at(2))
        tie_a = b.user(created_at=at(3))
        tie_b = b.user(created_at=at(3))
        deleted = b.user(created_at=at(4), deleted_at=at(5))
        write(uow_factory, admin, old, tie_a, tie_b, deleted)
        with reading(uow_factory) as uow:
            assert_listed(uow.users.list, [admin, old, tie_a, tie_b])
            assert_listed(lambda p: uow.users.list(p, include_deleted=True),
                          [admin, old, tie_a, tie_b, deleted])
            assert_listed(lambda p: uow.users.list(p, role=Role.MERCHANT),
                          [old, tie_a, tie_b])
            assert_listed(lambda p: uow.users.list(p, role=Role.MERCHANT,
                                                   include_deleted=True),
                          [old, tie_a, tie_b, deleted], limit=3)
            assert_listed(lambda p: uow.users.list(p, role=Role.ADMIN), [admin], limit=1)

    def test_count_counts_active_users_of_the_role(self, uow_factory: Factory) -> None:
        b = Builder()
        write(uow_factory, b.user(role=Role.ADMIN), b.user(role=Role.ADMIN, deleted_at=at(1)),
              b.user(), b.user(), b.user(deleted_at=at(2)))
        with reading(uow_factory) as uow:
            assert uow.users.count(Role.ADMIN) == 1
            assert uow.users.count(Role.MERCHANT) == 2


class MerchantRepositoryContract:
    def test_merchant_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        user_a, user_b = b.user(), b.user(created_at=at(1))
        hooked = b.merchant(user_a, webhook_url="https://shop.example/hooks?x=1&y=%C3%A9")
        silent = b.merchant(user_b, webhook_url=None)
        write(uow_factory, user_a, user_b, hooked, silent)
        with reading(uow_factory) as uow:
            assert_identical(uow.merchants.get(hooked.id), hooked)
            assert_identical(uow.merchants.get(silent.id), silent)
            assert_identical(uow.merchants.get_by_user(user_b.id), silent)
            assert_identical(uow.merchants.get_by_api_key(hooked.api_key), hooked)
            account = uow.merchants.get_account_by_api_key(hooked.api_key)
            assert account is not None
            assert_identical(account.merchant, hooked)
            assert_identical(account.user, user_a)

    def test_rotated_api_key_replaces_the_old_one(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        old_key = merchant.api_key
        merchant.api_key = "pk_rotated"
        merchant.webhook_url = None
        merchant.webhook_secret = "whsec_rotated"
        merchant.updated_at = at(30)
        with uow_factory() as uow:
            uow.merchants.update(copy.deepcopy(merchant))
            uow.commit()
        with reading(uow_factory) as uow:
            assert uow.merchants.get_by_api_key(old_key) is None
            assert_identical(uow.merchants.get_by_api_key("pk_rotated"), merchant)
            assert_identical(uow.merchants.get(merchant.id), merchant)

    def test_unknown_merchant_lookups_are_none(self, uow_factory: Factory) -> None:
        user, _ = seed_merchant(uow_factory, Builder())
        admin = Builder(first_id=100).user(role=Role.ADMIN)
        write(uow_factory, admin)
        with reading(uow_factory) as uow:
            assert uow.merchants.get(STRANGER) is None
            assert uow.merchants.get(user.id) is None  # a user id is not a merchant id
            assert uow.merchants.get_by_user(admin.id) is None
            assert uow.merchants.get_by_api_key("pk_nope") is None
            assert uow.merchants.get_account_by_api_key("pk_nope") is None

    def test_merchant_list_counts_orders_and_payments_and_hides_deleted(
            self, uow_factory: Factory) -> None:
        b = Builder()
        u1, u2, u3 = b.user(created_at=at(1)), b.user(created_at=at(2)), b.user(created_at=at(3))
        m1, m2, m3 = b.merchant(u1), b.merchant(u2, webhook_url=None), b.merchant(u3)
        o1, o2 = b.order(m1, created_at=at(10)), b.order(m1, created_at=at(11))
        o3 = b.order(m2, created_at=at(12))
        p1 = b.payment(o1, status=PaymentStatus.FAILED)
        p2 = b.payment(o1, created_at=at(13))
        write(uow_factory, u1, u2, u3, m1, m2, m3, o1, o2, o3, p1, p2)
        u3.soft_delete(at(20))
        with uow_factory() as uow:
            uow.users.update(copy.deepcopy(u3))
            uow.commit()
        with reading(uow_factory) as uow:
            listed = collect_pages(uow.merchants.list, 1)
            assert [(s.id, s.total_orders, s.total_payments) for s in listed] == [
                (m2.id, 1, 0), (m1.id, 2, 2)]
            assert_identical(listed[0].account.merchant, m2)
            assert_identical(listed[0].account.user, u2)
            everyone = collect_pages(lambda p: uow.merchants.list(p, include_deleted=True), 2)
            assert [s.id for s in everyone] == [m3.id, m2.id, m1.id]
            assert_identical(everyone[0].account.user, u3)


# --- orders, payments, refunds -----------------------------------------------------------------


class OrderRepositoryContract:
    def test_order_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        plain = b.order(merchant, Money.of("0.01", "USD"))
        yen = b.order(merchant, Money.of("99999999", "JPY"), receipt="inv-42",
                      notes={"k": "v", "ключ": "значение 💳", "": ""}, created_at=at(1))
        dinar = b.order(merchant, Money.of("12.345", "KWD"), status=OrderStatus.FAILED,
                        receipt="", created_at=at(2), updated_at=at(3, microseconds=999999))
        write(uow_factory, plain, yen, dinar)
        with reading(uow_factory) as uow:
            for order in (plain, yen, dinar):
                assert_identical(uow.orders.get(order.id, merchant.id), order)

    def test_order_update_round_trips_status_and_updated_at(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        order = b.order(merchant)
        write(uow_factory, order)
        order.record_payment(approved=False, now=at(5))
        order.record_payment(approved=True, now=at(6))
        with uow_factory() as uow:
            uow.orders.update(copy.deepcopy(order))
            uow.commit()
        with uow_factory() as uow:
            assert_identical(uow.orders.get(order.id, merchant.id, for_update=True), order)

    def test_another_merchants_order_is_none(self, uow_factory: Factory) -> None:
        b = Builder()
        _, mine = seed_merchant(uow_factory, b)
        _, theirs = seed_merchant(uow_factory, b, created_at=at(1))
        order = b.order(mine)
        write(uow_factory, order)
        with uow_factory() as uow:
            assert uow.orders.get(order.id, theirs.id) is None
            assert uow.orders.get(order.id, theirs.id, for_update=True) is None
            assert uow.orders.get(STRANGER, mine.id) is None

    def test_orders_list_is_the_merchants_newest_first_filtered_by_status(
            self, uow_factory: Factory) -> None:
        b = Builder()
        _, mine = seed_merchant(uow_factory, b)
        _, theirs = seed_merchant(uow_factory, b)
        created = [b.order(mine, created_at=at(i)) for i in range(3)]
        paid = b.order(mine, status=OrderStatus.PAID, created_at=at(1))
        failed = b.order(mine, status=OrderStatus.FAILED, created_at=at(5))
        foreign = b.order(theirs, created_at=at(4))
        write(uow_factory, *created, paid, failed, foreign)
        with reading(uow_factory) as uow:
            assert_listed(lambda p: uow.orders.list(mine.id, p), [*created, paid, failed])
            assert_listed(lambda p: uow.orders.list(mine.id, p, status=OrderStatus.CREATED),
                          created)
            assert_listed(lambda p: uow.orders.list(mine.id, p, status=OrderStatus.PAID),
                          [paid])
            assert_listed(lambda p: uow.orders.list(theirs.id, p), [foreign])
            assert collect_pages(lambda p: uow.orders.list(STRANGER, p), 5) == []

    def test_keyset_pages_never_repeat_or_skip_even_with_inserts_between_calls(
            self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        # Three orders share one instant: the id breaks the tie.
        orders = [b.order(merchant, created_at=at(t)) for t in (1, 2, 2, 2, 3, 4)]
        write(uow_factory, *orders)
        expected = newest_first(orders)
        with reading(uow_factory) as uow:
            first = uow.orders.list(merchant.id, PageRequest(limit=4))
        assert [o.id for o in first.items] == [o.id for o in expected[:4]]
        assert first.has_more
        assert first.next_cursor is not None
        # A newer order and one in the past page's range arrive before the next call.
        write(uow_factory, b.order(merchant, created_at=at(9)),
              b.order(merchant, created_at=at(3, microseconds=1)))
        with reading(uow_factory) as uow:
            rest = uow.orders.list(
                merchant.id, PageRequest(limit=4, after=Cursor.decode(first.next_cursor)))
        assert [o.id for o in rest.items] == [o.id for o in expected[4:]]
        assert not rest.has_more
        assert rest.next_cursor is None
        with reading(uow_factory) as uow:
            exact = uow.orders.list(merchant.id, PageRequest(limit=8))
        assert len(exact.items) == 8
        assert not exact.has_more, "exactly `limit` items left means no more"


class PaymentRepositoryContract:
    def test_payment_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        order = b.order(merchant, Money.of("10.00", "EUR"))
        failed = b.payment(order, status=PaymentStatus.FAILED,
                           failure_reason="insufficient_funds", last4="9995")
        paid = b.payment(order, refunded=Money.of("2.50", "EUR"), created_at=at(1),
                         updated_at=at(2, microseconds=1))
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
        assert_identical(_stored(uow_factory, lambda u: u.payments.get(payment.id, merchant.id)),
                         payment)
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
            assert_listed(lambda p: uow.payments.list(
                mine.id, p, status=PaymentStatus.AUTHORIZED), [retried])
            assert_listed(lambda p: uow.payments.list(mine.id, p, order_id=first.id),
                          [declined, retried])
            assert_listed(lambda p: uow.payments.list(
                mine.id, p, order_id=first.id, status=PaymentStatus.FAILED), [declined])
            assert_listed(lambda p: uow.payments.list(mine.id, p, order_id=other_order.id), [])
            assert_listed(lambda p: uow.payments.list(theirs.id, p), [foreign])

    def test_payments_for_an_order_are_newest_first(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        order, other = b.order(merchant), b.order(merchant)
        payments = [b.payment(order, status=PaymentStatus.FAILED, created_at=at(t))
                    for t in (5, 1, 3)]
        write(uow_factory, order, other, *payments, b.payment(other))
        with reading(uow_factory) as uow:
            assert_identical(list(uow.payments.for_order(order.id)), newest_first(payments))
            assert list(uow.payments.for_order(STRANGER)) == []


class RefundRepositoryContract:
    def _paid(self, factory: Factory, b: Builder) -> tuple[Merchant, Payment]:
        _, merchant = seed_merchant(factory, b)
        order = b.order(merchant, Money.of("100.000", "BHD"))
        payment = b.payment(order, status=PaymentStatus.CAPTURED)
        write(factory, order, payment)
        return merchant, payment

    def test_refund_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._paid(uow_factory, b)
        quiet = b.refund(payment, Money.of("0.001", "BHD"), created_at=at(7))
        chatty = b.refund(payment, Money.of("99.999", "BHD"), reason="customer request «»",
                          created_at=at(8, microseconds=5))
        write(uow_factory, quiet, chatty)
        with reading(uow_factory) as uow:
            assert_identical(uow.refunds.get(quiet.id, merchant.id), quiet)
            assert_identical(uow.refunds.get(chatty.id, merchant.id), chatty)

    def test_another_merchants_refund_is_none(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._paid(uow_factory, b)
        _, other = seed_merchant(uow_factory, b)
        refund = b.refund(payment, Money.of("1", "BHD"))
        write(uow_factory, refund)
        with reading(uow_factory) as uow:
            assert uow.refunds.get(refund.id, other.id) is None
            assert uow.refunds.get(STRANGER, merchant.id) is None

    def test_refunds_list_and_per_payment_newest_first(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._paid(uow_factory, b)
        order = b.order(merchant, Money.of("100.000", "BHD"))
        second = b.payment(order)
        write(uow_factory, order, second)
        refunds = [b.refund(payment, Money.of("1", "BHD"), created_at=at(t)) for t in (3, 1, 2)]
        other = b.refund(second, Money.of("1", "BHD"), created_at=at(2))
        write(uow_factory, *refunds, other)
        with reading(uow_factory) as uow:
            assert_listed(lambda p: uow.refunds.list(merchant.id, p), [*refunds, other])
            assert_listed(lambda p: uow.refunds.list(merchant.id, p, payment_id=payment.id),
                          refunds)
            assert_listed(lambda p: uow.refunds.list(STRANGER, p), [])
            assert_identical(list(uow.refunds.for_payment(payment.id)), newest_first(refunds))
            assert list(uow.refunds.for_payment(STRANGER)) == []


# --- the outbox --------------------------------------------------------------------------------


def _add_event(factory: Factory, event: PaymentEvent, *, now: datetime,
               deliver: bool = True) -> None:
    with factory() as uow:
        uow.outbox.add(copy.deepcopy(event), deliver=deliver, now=now)
        uow.commit()


def _claim(factory: Factory, now: datetime, limit: int = 10,
           lease: timedelta = LEASE) -> list[Delivery]:
    with factory() as uow:
        claimed = list(uow.outbox.claim_due(now, limit, lease))
        uow.commit()
    return claimed


def _event(factory: Factory, event_id: UUID, merchant_id: UUID) -> WebhookEvent | None:
    found: WebhookEvent | None = _stored(factory, lambda uow: uow.outbox.get(event_id,
                                                                             merchant_id))
    return found


class EventOutboxContract:
    def _payment(self, factory: Factory, b: Builder,
                 webhook_url: str | None = "https://shop.example/hooks",
                 ) -> tuple[Merchant, Payment]:
        _, merchant = seed_merchant(factory, b, webhook_url=webhook_url)
        order = b.order(merchant, Money.of("100.00", "INR"))
        payment = b.payment(order)
        write(factory, order, payment)
        return merchant, payment

    def test_event_round_trips_with_its_snapshot_and_pending_delivery(
            self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        payment.apply_refund(Money.of("40.00", "INR"), at(30))
        refund = b.refund(payment, Money.of("40.00", "INR"))
        write(uow_factory, refund)
        event = b.event(payment, refund=refund)
        _add_event(uow_factory, event, now=at(30, microseconds=3))
        stored = _event(uow_factory, event.id, merchant.id)
        assert_identical(stored, WebhookEvent(
            event=event, delivery_status=DeliveryStatus.PENDING, attempts=0,
            next_attempt_at=at(30, microseconds=3), last_attempt_at=None,
            created_at=at(30, microseconds=3)))

    def test_event_without_delivery_is_recorded_as_skipped(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b, webhook_url=None)
        event = b.event(payment)
        _add_event(uow_factory, event, now=at(1), deliver=False)
        assert_identical(_event(uow_factory, event.id, merchant.id), WebhookEvent(
            event=event, delivery_status=DeliveryStatus.SKIPPED, attempts=0,
            next_attempt_at=None, last_attempt_at=None, created_at=at(1)))
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
                foreign.id]

    def test_claim_takes_due_events_oldest_first_up_to_the_limit(
            self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        events = [b.event(payment) for _ in range(4)]
        for event, t in zip(events, (1, 2, 3, 60), strict=True):
            _add_event(uow_factory, event, now=at(t))
        claimed = _claim(uow_factory, at(3), limit=2)
        assert [(d.webhook.id, d.attempt) for d in claimed] == [(events[0].id, 1),
                                                                (events[1].id, 1)]
        assert all((d.url, d.secret) == (merchant.webhook_url, merchant.webhook_secret)
                   for d in claimed)
        assert_identical(claimed[0].webhook.event, events[0])
        assert claimed[0].webhook.attempts == 1
        # events[3] is not due yet; the first two are leased.
        assert [d.webhook.id for d in _claim(uow_factory, at(3))] == [events[2].id]
        assert _claim(uow_factory, at(59)) == []

    def test_claimed_event_is_hidden_until_its_lease_expires(self, uow_factory: Factory,
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
        assert [(d.webhook.id, d.attempt, d.webhook.attempts) for d in again] == [
            (event.id, 2, 2)]

    def test_claim_skips_events_whose_merchant_has_no_webhook_url_any_more(
            self, uow_factory: Factory) -> None:
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
            self, uow_factory: Factory) -> None:
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
            self, uow_factory: Factory) -> None:
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
                uow.outbox.record_attempt(b.attempt(event, created_at=when),
                                          DeliveryStatus.DELIVERED, None)
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
        bad = b.attempt(failing, status=WebhookAttemptStatus.FAILED, http_status=None,
                        error="blocked destination", created_at=at(3))
        with uow_factory() as uow:
            uow.outbox.record_attempt(ok, DeliveryStatus.DELIVERED, None)
            uow.outbox.record_attempt(bad, DeliveryStatus.PENDING, at(33))
            uow.commit()
        done = _event(uow_factory, delivered.id, merchant.id)
        retry = _event(uow_factory, failing.id, merchant.id)
        assert done is not None
        assert retry is not None
        assert (done.delivery_status, done.next_attempt_at, done.last_attempt_at,
                done.attempts) == (DeliveryStatus.DELIVERED, None, at(2), 1)
        assert (retry.delivery_status, retry.next_attempt_at, retry.last_attempt_at) == (
            DeliveryStatus.PENDING, at(33), at(3))
        assert _claim(uow_factory, at(32)) == []
        assert [(d.webhook.id, d.attempt) for d in _claim(uow_factory, at(33))] == [
            (failing.id, 2)]
        last = b.attempt(failing, attempt=2, status=WebhookAttemptStatus.FAILED,
                         http_status=500, created_at=at(34))
        with uow_factory() as uow:
            uow.outbox.record_attempt(last, DeliveryStatus.FAILED, None)
            uow.commit()
        assert _claim(uow_factory, at(days=9)) == []
        with reading(uow_factory) as uow:
            assert_listed(lambda p: uow.outbox.list_attempts(merchant.id, p), [ok, bad, last])

    def test_attempts_list_filters_by_event_payment_and_merchant(
            self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        order = b.order(merchant)
        second = b.payment(order)
        write(uow_factory, order, second)
        other, theirs = self._payment(uow_factory, b)
        e1, e2, e3, foreign = b.event(payment), b.event(payment), b.event(second), b.event(theirs)
        for event in (e1, e2, e3, foreign):
            _add_event(uow_factory, event, now=at(0))
        attempts = [b.attempt(e1, created_at=at(1)), b.attempt(e1, attempt=2, created_at=at(2)),
                    b.attempt(e2, created_at=at(2)), b.attempt(e3, created_at=at(3))]
        alien = b.attempt(foreign, created_at=at(4))
        with uow_factory() as uow:
            for attempt in (*attempts, alien):
                uow.outbox.record_attempt(attempt, DeliveryStatus.DELIVERED, None)
            uow.commit()
        with reading(uow_factory) as uow:
            assert_listed(lambda p: uow.outbox.list_attempts(merchant.id, p), attempts)
            assert_listed(lambda p: uow.outbox.list_attempts(merchant.id, p, event_id=e1.id),
                          attempts[:2])
            assert_listed(lambda p: uow.outbox.list_attempts(
                merchant.id, p, payment_id=payment.id), attempts[:3])
            assert_listed(lambda p: uow.outbox.list_attempts(
                merchant.id, p, payment_id=second.id, event_id=e1.id), [])
            assert_listed(lambda p: uow.outbox.list_attempts(
                merchant.id, p, event_id=foreign.id), [])
            assert_listed(lambda p: uow.outbox.list_attempts(other.id, p), [alien])

    def test_requeue_makes_a_settled_event_due_again(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._payment(uow_factory, b)
        event = b.event(payment)
        _add_event(uow_factory, event, now=at(0))
        _claim(uow_factory, at(1))
        with uow_factory() as uow:
            uow.outbox.record_attempt(b.attempt(event, created_at=at(2)),
                                      DeliveryStatus.DELIVERED, None)
            uow.commit()
        with uow_factory() as uow:
            uow.outbox.requeue(event.id, at(100))
            uow.outbox.requeue(STRANGER, at(100))  # unknown: nothing happens
            uow.commit()
        stored = _event(uow_factory, event.id, merchant.id)
        assert stored is not None
        assert (stored.delivery_status, stored.next_attempt_at, stored.attempts) == (
            DeliveryStatus.PENDING, at(100), 1)
        assert _claim(uow_factory, at(99)) == []
        assert [d.attempt for d in _claim(uow_factory, at(100))] == [2]


# --- idempotency and tokens --------------------------------------------------------------------


class IdempotencyStoreContract:
    def _claim(self, factory: Factory, merchant: Merchant, key: str, digest: str, *,
               now: datetime, stale_after: timedelta = STALE) -> IdempotencyRecord | None:
        with factory() as uow:
            found = uow.idempotency.claim(merchant.id, key, digest, now, stale_after)
            uow.commit()
        return found

    def _complete(self, factory: Factory, merchant: Merchant, key: str, status: int,
                  body: bytes, *, now: datetime) -> None:
        with factory() as uow:
            uow.idempotency.complete(merchant.id, key, status, body, now)
            uow.commit()

    def test_first_claim_owns_the_key_and_a_repeat_sees_it_unfinished(
            self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "key-1", "h1", now=at(0)) is None
        assert_identical(self._claim(uow_factory, merchant, "key-1", "h1", now=at(5)),
                         IdempotencyRecord(merchant.id, "key-1", "h1", None, None, at(0)))
        assert_identical(self._claim(uow_factory, merchant, "key-1", "h2", now=at(6)),
                         IdempotencyRecord(merchant.id, "key-1", "h1", None, None, at(0)))

    def test_completed_key_returns_the_stored_response(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        body = '{"success": true, "data": {"note": "é💳"}}'.encode()
        key = "K" * 255
        assert self._claim(uow_factory, merchant, key, "h1", now=at(0)) is None
        self._complete(uow_factory, merchant, key, 201, body, now=at(1))
        expected = IdempotencyRecord(merchant.id, key, "h1", 201, body, at(0))
        found = self._claim(uow_factory, merchant, key, "h1", now=at(2))
        assert_identical(found, expected)
        assert found is not None
        assert found.completed
        assert_identical(self._claim(uow_factory, merchant, key, "other", now=at(3)), expected)

    def test_unfinished_stale_key_is_taken_over(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        later = at(0) + STALE + timedelta(seconds=1)
        assert self._claim(uow_factory, merchant, "k", "h1", now=later) is None
        assert_identical(self._claim(uow_factory, merchant, "k", "h1", now=later),
                         IdempotencyRecord(merchant.id, "k", "h1", None, None, later))

    def test_stale_key_is_not_taken_over_by_a_different_request(
            self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        found = self._claim(uow_factory, merchant, "k", "h2", now=at(days=1))
        assert_identical(found, IdempotencyRecord(merchant.id, "k", "h1", None, None, at(0)))

    def test_completed_key_is_never_taken_over(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        self._complete(uow_factory, merchant, "k", 409, b"{}", now=at(1))
        assert_identical(self._claim(uow_factory, merchant, "k", "h1", now=at(days=2)),
                         IdempotencyRecord(merchant.id, "k", "h1", 409, b"{}", at(0)))

    def test_keys_belong_to_one_merchant(self, uow_factory: Factory) -> None:
        b = Builder()
        _, mine = seed_merchant(uow_factory, b)
        _, theirs = seed_merchant(uow_factory, b)
        assert self._claim(uow_factory, mine, "k", "h1", now=at(0)) is None
        assert self._claim(uow_factory, theirs, "k", "h2", now=at(1)) is None
        self._complete(uow_factory, theirs, "k", 201, b"theirs", now=at(2))
        assert_identical(self._claim(uow_factory, mine, "k", "h1", now=at(3)),
                         IdempotencyRecord(mine.id, "k", "h1", None, None, at(0)))

    def test_release_forgets_an_unfinished_key(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        with uow_factory() as uow:
            uow.idempotency.release(merchant.id, "k")
            uow.idempotency.release(merchant.id, "never-claimed")
            uow.commit()
        assert self._claim(uow_factory, merchant, "k", "h2", now=at(1)) is None

    def test_release_keeps_a_finished_answer(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        self._complete(uow_factory, merchant, "k", 201, b"kept", now=at(1))
        with uow_factory() as uow:
            uow.idempotency.release(merchant.id, "k")
            uow.commit()
        assert_identical(self._claim(uow_factory, merchant, "k", "h1", now=at(2)),
                         IdempotencyRecord(merchant.id, "k", "h1", 201, b"kept", at(0)))

    def test_purge_deletes_records_created_before_the_cutoff(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        for key, t in (("old", 0), ("older", -5), ("edge", 10), ("new", 20)):
            assert self._claim(uow_factory, merchant, key, "h", now=at(t)) is None
        self._complete(uow_factory, merchant, "older", 201, b"{}", now=at(1))
        with uow_factory() as uow:
            assert uow.idempotency.purge(at(10)) == 2
            uow.commit()
        assert self._claim(uow_factory, merchant, "old", "h", now=at(21)) is None
        assert self._claim(uow_factory, merchant, "older", "h", now=at(21)) is None
        assert self._claim(uow_factory, merchant, "edge", "h", now=at(21)) is not None
        assert self._claim(uow_factory, merchant, "new", "h", now=at(21)) is not None


class TokenStoreContract:
    def _tokens(self, factory: Factory) -> tuple[User, User, Builder]:
        b = Builder()
        alice, bob = b.user(), b.user(role=Role.ADMIN)
        write(factory, alice, bob)
        return alice, bob, b

    def _revoked(self, factory: Factory, *tokens: RefreshToken) -> list[bool]:
        with reading(factory) as uow:
            found = [uow.tokens.get_refresh(t.jti) for t in tokens]
        assert all(t is not None for t in found)
        return [t.revoked for t in found if t is not None]

    def test_refresh_token_round_trips(self, uow_factory: Factory) -> None:
        alice, _, b = self._tokens(uow_factory)
        token = b.refresh_token(alice, created_at=at(1, microseconds=11))
        write(uow_factory, token)
        with reading(uow_factory) as uow:
            assert_identical(uow.tokens.get_refresh(token.jti), token)
            assert uow.tokens.get_refresh(STRANGER) is None

    def test_revoking_one_token_family_or_user(self, uow_factory: Factory) -> None:
        alice, bob, b = self._tokens(uow_factory)
        first = b.refresh_token(alice)
        rotated = b.refresh_token(alice, family=first.family, created_at=at(1))
        other_login = b.refresh_token(alice)
        bobs = b.refresh_token(bob)
        write(uow_factory, first, rotated, other_login, bobs)
        with uow_factory() as uow:
            uow.tokens.revoke_refresh(first.jti)
            uow.commit()
        assert self._revoked(uow_factory, first, rotated, other_login, bobs) == [
            True, False, False, False]
        with uow_factory() as uow:
            uow.tokens.revoke_family(first.family)
            uow.commit()
        assert self._revoked(uow_factory, first, rotated, other_login, bobs) == [
            True, True, False, False]
        with uow_factory() as uow:
            uow.tokens.revoke_user(alice.id)
            uow.commit()
        assert self._revoked(uow_factory, first, rotated, other_login, bobs) == [
            True, True, True, False]
        with reading(uow_factory) as uow:
            stored = uow.tokens.get_refresh(rotated.jti)
        rotated.revoked = True
        assert_identical(stored, rotated)

    def test_a_login_is_revoked_when_none_of_its_refresh_tokens_is_live(
            self, uow_factory: Factory) -> None:
        alice, _, b = self._tokens(uow_factory)
        first = b.refresh_token(alice)
        rotated = b.refresh_token(alice, family=first.family, created_at=at(1))
        other_login = b.refresh_token(alice)
        write(uow_factory, first, rotated, other_login)
        with uow_factory() as uow:
            uow.tokens.revoke_refresh(first.jti)  # a rotation: the login lives on
            uow.commit()
        with reading(uow_factory) as uow:
            assert not uow.tokens.is_family_revoked(first.family)
            assert uow.tokens.is_family_revoked(STRANGER)
        with uow_factory() as uow:
            uow.tokens.revoke_family(first.family)
            uow.commit()
        with reading(uow_factory) as uow:
            assert uow.tokens.is_family_revoked(first.family)
            assert not uow.tokens.is_family_revoked(other_login.family)

    def test_access_deny_list(self, uow_factory: Factory) -> None:
        revoked, fine = UUID(int=1), UUID(int=2)
        with uow_factory() as uow:
            uow.tokens.revoke_access(revoked, at(900))
            uow.commit()
        with uow_factory() as uow:
            uow.tokens.revoke_access(revoked, at(900))  # a second logout is harmless
            uow.commit()
        with reading(uow_factory) as uow:
            assert uow.tokens.is_access_revoked(revoked)
            assert not uow.tokens.is_access_revoked(fine)

    def test_purge_removes_what_has_expired(self, uow_factory: Factory) -> None:
        alice, _, b = self._tokens(uow_factory)
        expired = b.refresh_token(alice, created_at=at(0), lifetime=timedelta(seconds=10))
        alive = b.refresh_token(alice, created_at=at(0), lifetime=timedelta(seconds=11))
        write(uow_factory, expired, alive)
        with uow_factory() as uow:
            uow.tokens.revoke_access(UUID(int=1), at(5))
            uow.tokens.revoke_access(UUID(int=2), at(10))
            uow.tokens.revoke_access(UUID(int=3), at(11))
            uow.commit()
        with uow_factory() as uow:
            assert uow.tokens.purge_expired(at(10)) == 3
            uow.commit()
        with reading(uow_factory) as uow:
            assert uow.tokens.get_refresh(expired.jti) is None
            assert_identical(uow.tokens.get_refresh(alive.jti), alive)
            assert uow.tokens.is_access_revoked(UUID(int=3))
            assert not uow.tokens.is_access_revoked(UUID(int=1))


# --- statistics ----------------------------------------------------------------------------------


def _volume(code: str, paid: str, refunded: str) -> CurrencyVolume:
    return CurrencyVolume(CURRENCIES[code], Decimal(paid), Decimal(refunded))


class StatsReaderContract:
    """One known mix of merchants, currencies, statuses and dates, with its exact figures."""

    PERIOD = StatsPeriod(at(days=10), at(days=20))

    def _seed(self, factory: Factory) -> tuple[Merchant, Merchant, Merchant]:
        b = Builder()
        u1, u2, u3 = b.user(), b.user(), b.user(deleted_at=at(1))
        m1, m2, m3 = b.merchant(u1), b.merchant(u2, webhook_url=None), b.merchant(u3)
        admin, ex_admin = b.user(role=Role.ADMIN), b.user(role=Role.ADMIN, deleted_at=at(2))
        rows: list[object] = [u1, u2, u3, admin, ex_admin, m1, m2, m3]

        def sale(merchant: Merchant, amount: str, code: str, day: int,
                 *statuses: PaymentStatus) -> list[Payment]:
            order = b.order(merchant, Money.of(amount, code), created_at=at(days=day))
            rows.append(order)
            payments = [b.payment(order, status=s) for s in statuses]
            rows.extend(payments)
            return payments

        [p1] = sale(m1, "100.00", "USD", 5, PaymentStatus.CAPTURED)   # before the period
        sale(m1, "50.25", "USD", 11, PaymentStatus.FAILED, PaymentStatus.AUTHORIZED)
        [p3] = sale(m1, "1500", "JPY", 15, PaymentStatus.REFUNDED)
        [p4] = sale(m1, "12.345", "KWD", 19, PaymentStatus.CAPTURED)
        sale(m1, "10.00", "CHF", 18, PaymentStatus.FAILED)            # no volume: failed only
        sale(m1, "20.00", "EUR", 20, PaymentStatus.AUTHORIZED)        # `to` is exclusive
        sale(m2, "7.00", "USD", 12, PaymentStatus.AUTHORIZED)
        rows += [
            b.refund(p1, Money.of("30.00", "USD"), created_at=at(days=12)),  # in the period
            b.refund(p3, Money.of("1500", "JPY"), created_at=at(days=16)),
            b.refund(p4, Money.of("0.005", "KWD"), created_at=at(days=19, seconds=86399)),
        ]
        write(factory, *rows)
        return m1, m2, m3

    def test_merchant_stats_all_time(self, uow_factory: Factory) -> None:
        m1, m2, m3 = self._seed(uow_factory)
        with reading(uow_factory) as uow:
            assert_identical(uow.stats.merchant_stats(m1.id, StatsPeriod()), PaymentStats(
                total_orders=6, successful_payments=5, successful_refunds=3,
                canceled_payments=2, total_payments=7, volume=(
                    _volume("EUR", "20.00", "0.00"), _volume("JPY", "1500", "1500"),
                    _volume("KWD", "12.345", "0.005"), _volume("USD", "150.25", "30.00"))))
            assert_identical(uow.stats.merchant_stats(m2.id, StatsPeriod()), PaymentStats(
                1, 1, 0, 0, 1, (_volume("USD", "7.00", "0.00"),)))
            assert_identical(uow.stats.merchant_stats(m3.id, StatsPeriod()),
                             PaymentStats(0, 0, 0, 0, 0, ()))

    def test_merchant_stats_in_a_period(self, uow_factory: Factory) -> None:
        m1, _, _ = self._seed(uow_factory)
        with reading(uow_factory) as uow:
            assert_identical(uow.stats.merchant_stats(m1.id, self.PERIOD), PaymentStats(
                total_orders=4, successful_payments=3, successful_refunds=3,
                canceled_payments=2, total_payments=5, volume=(
                    _volume("JPY", "1500", "1500"), _volume("KWD", "12.345", "0.005"),
                    _volume("USD", "50.25", "30.00"))))
            assert_identical(
                uow.stats.merchant_stats(m1.id, StatsPeriod(start=at(days=20))),
                PaymentStats(1, 1, 0, 0, 1, (_volume("EUR", "20.00", "0.00"),)))
            assert_identical(uow.stats.merchant_stats(m1.id, StatsPeriod(end=at(days=5))),
                             PaymentStats(0, 0, 0, 0, 0, ()))

    def test_global_stats_count_active_accounts_and_all_payments(
            self, uow_factory: Factory) -> None:
        self._seed(uow_factory)
        with reading(uow_factory) as uow:
            assert_identical(uow.stats.global_stats(StatsPeriod()), GlobalStats(
                total_merchants=2, total_admins=1, payments=PaymentStats(
                    total_orders=7, successful_payments=6, successful_refunds=3,
                    canceled_payments=2, total_payments=8, volume=(
                        _volume("EUR", "20.00", "0.00"), _volume("JPY", "1500", "1500"),
                        _volume("KWD", "12.345", "0.005"),
                        _volume("USD", "157.25", "30.00")))))
            assert_identical(uow.stats.global_stats(self.PERIOD), GlobalStats(
                total_merchants=2, total_admins=1, payments=PaymentStats(
                    total_orders=5, successful_payments=4, successful_refunds=3,
                    canceled_payments=2, total_payments=6, volume=(
                        _volume("JPY", "1500", "1500"), _volume("KWD", "12.345", "0.005"),
                        _volume("USD", "57.25", "30.00")))))

    def test_stats_of_an_empty_store_are_zero(self, uow_factory: Factory) -> None:
        with reading(uow_factory) as uow:
            assert_identical(uow.stats.global_stats(StatsPeriod()),
                             GlobalStats(0, 0, PaymentStats(0, 0, 0, 0, 0, ())))
            assert_identical(uow.stats.merchant_stats(STRANGER, StatsPeriod()),
                             PaymentStats(0, 0, 0, 0, 0, ()))


# --- transactions ---------------------------------------------------------------------------------


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
        return cls(order, payment, refund, b.event(payment, EventType.PAYMENT_CAPTURED),
                   b.refresh_token(user))

    def write_into(self, uow: UnitOfWork) -> None:
        for obj in (self.order, self.payment, self.refund, self.token):
            _add(uow, copy.deepcopy(obj))
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
                _add(uow, obj)
            batch.write_into(uow)
            uow.outbox.claim_due(at(51), 10, LEASE)
            uow.outbox.record_attempt(b.attempt(batch.event, created_at=at(52)),
                                      DeliveryStatus.DELIVERED, None)
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
            self, uow_factory: Factory) -> None:
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


class UnitOfWorkContract(
    UserRepositoryContract,
    MerchantRepositoryContract,
    OrderRepositoryContract,
    PaymentRepositoryContract,
    RefundRepositoryContract,
    EventOutboxContract,
    IdempotencyStoreContract,
    TokenStoreContract,
    StatsReaderContract,
    TransactionContract,
):
    """Every port of a unit of work: what an adapter's test class subclasses."""


@attrs.frozen
class TwoProcesses:
    """Two processes over one store: ``first`` remembers principals in the cache under test;
    ``second`` (its own connections, no cache) makes the changes."""

    PASSWORD: ClassVar[str] = "correct horse battery"

    first: Paygate
    second: Paygate
    clock: FixedClock
    admin: User

    def merchant(self) -> MerchantRegistration:
        return self.first.register_merchant(RegisterMerchant(
            email="shop@shop.example", name="Shop", password=self.PASSWORD))

    def kept(self, token: str) -> Principal:
        """The token's principal, answered twice: the second answer is the kept one."""
        principal = self.first.authenticate_bearer(token)
        assert self.first.authenticate_bearer(token) == principal
        return principal


class CredentialCacheContract:
    """The ``CredentialCache`` port, alone and behind ``authenticate_bearer`` and
    ``authenticate_api_key``. Not part of ``UnitOfWorkContract``: the test class provides
    ``uow_factory`` and ``credential_cache``, both over the same empty store, and may
    provide ``other_process``: another factory over that store, as another worker process
    has (by default ``uow_factory`` itself)."""

    @pytest.fixture
    def other_process(self, uow_factory: Factory) -> Factory:
        return uow_factory

    @pytest.fixture
    def processes(self, uow_factory: Factory, other_process: Factory,
                  credential_cache: CredentialCache) -> TwoProcesses:
        clock = FixedClock(T0)
        tokens = UnsignedTokenService(clock)

        def paygate(uow: Factory, cache: CredentialCache) -> Paygate:
            return Paygate(uow=uow, clock=clock, ids=UUID4Ids(), processor=SimulatedProcessor(),
                           hasher=PlainPasswordHasher(), tokens=tokens, card_key=b"card-key",
                           credentials=cache)

        first = paygate(uow_factory, credential_cache)
        admin = first.register_admin(RegisterAdmin(
            email="admin@paygate.example", name="Admin", password=TwoProcesses.PASSWORD))
        return TwoProcesses(first, paygate(other_process, NoCredentialCache()), clock, admin.user)

    def _kept(self, factory: Factory, cache: CredentialCache,
              ) -> tuple[User, Merchant, Principal]:
        user, merchant = seed_merchant(factory, Builder())
        principal = Principal(user, merchant, CredentialKind.API_KEY)
        version = cache.version()
        assert cache.get((CredentialKind.API_KEY, merchant.api_key), version) is None
        cache.put((CredentialKind.API_KEY, merchant.api_key), principal, version)
        return user, merchant, principal

    def test_a_principal_is_served_while_nothing_changes(
            self, uow_factory: Factory, credential_cache: CredentialCache) -> None:
        _, merchant, principal = self._kept(uow_factory, credential_cache)
        version = credential_cache.version()
        assert credential_cache.get((CredentialKind.API_KEY, merchant.api_key),
                                    version) == principal
        assert credential_cache.get((CredentialKind.API_KEY, "pk_another"), version) is None

    def test_a_principal_is_served_only_for_its_kind_of_credential(
            self, uow_factory: Factory, credential_cache: CredentialCache) -> None:
        _, merchant, _ = self._kept(uow_factory, credential_cache)
        key = (CredentialKind.BEARER, merchant.api_key)
        assert credential_cache.get(key, credential_cache.version()) is None

    @pytest.mark.parametrize("changed", ["user", "merchant"])
    def test_a_committed_change_of_the_user_or_merchant_retires_it(
            self, uow_factory: Factory, credential_cache: CredentialCache, changed: str,
    ) -> None:
        user, merchant, _ = self._kept(uow_factory, credential_cache)
        before = credential_cache.version()
        with uow_factory() as uow:
            if changed == "user":
                uow.users.update(attrs.evolve(user, deleted=True, deleted_at=at(1)))
            else:
                uow.merchants.update(attrs.evolve(merchant, api_key="pk_rotated"))
            uow.commit()
        now = credential_cache.version()
        assert now != before
        assert credential_cache.get((CredentialKind.API_KEY, merchant.api_key), now) is None

    def test_a_change_rolled_back_retires_nothing(
            self, uow_factory: Factory, credential_cache: CredentialCache) -> None:
        user, merchant, principal = self._kept(uow_factory, credential_cache)
        with uow_factory() as uow:
            uow.users.update(attrs.evolve(user, deleted=True, deleted_at=at(1)))
        assert credential_cache.get((CredentialKind.API_KEY, merchant.api_key),
                                    credential_cache.version()) == principal

    # --- bearer tokens: every change elsewhere is seen by the next request ---

    def test_a_bearer_principal_is_kept_under_the_whole_token(
            self, processes: TwoProcesses, credential_cache: CredentialCache) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        assert (principal.user, principal.merchant) == (reg.user, reg.merchant)
        assert credential_cache.get((CredentialKind.BEARER, reg.session.access),
                                    credential_cache.version()) == principal

    @pytest.mark.parametrize("with_refresh", [False, True], ids=["access", "access+refresh"])
    def test_a_logout_elsewhere_refuses_a_kept_token_at_once(
            self, processes: TwoProcesses, with_refresh: bool) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        processes.second.logout(principal, reg.session.refresh if with_refresh else None)
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_login_ended_elsewhere_refuses_its_other_kept_tokens(
            self, processes: TwoProcesses) -> None:
        reg = processes.merchant()
        rotated = processes.second.refresh(reg.session.refresh)  # same login, new tokens
        principal = processes.kept(rotated.access)
        processes.kept(reg.session.access)
        processes.second.logout(principal, rotated.refresh)  # revokes rotated.access only
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_refresh_token_reused_elsewhere_refuses_every_kept_token_of_its_login(
            self, processes: TwoProcesses) -> None:
        reg = processes.merchant()
        rotated = processes.second.refresh(reg.session.refresh)
        for token in (reg.session.access, rotated.access):
            processes.kept(token)
        with pytest.raises(NotAuthenticated):
            processes.second.refresh(reg.session.refresh)  # reuse: the login is revoked
        for token in (reg.session.access, rotated.access):
            with pytest.raises(NotAuthenticated):
                processes.first.authenticate_bearer(token)

    def test_rotating_a_refresh_token_keeps_its_login_s_access_tokens(
            self, processes: TwoProcesses) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        rotated = processes.second.refresh(reg.session.refresh)
        assert processes.first.authenticate_bearer(reg.session.access) == principal
        assert processes.first.authenticate_bearer(rotated.access).user == reg.user

    def test_a_login_whose_refresh_tokens_are_purged_elsewhere_ends(
            self, processes: TwoProcesses, other_process: Factory) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        with other_process() as uow:  # the access token itself has not expired yet
            assert uow.tokens.purge_expired(T0 + timedelta(days=8)) == 1
            uow.commit()
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_user_deleted_elsewhere_is_refused_at_once(self, processes: TwoProcesses) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        processes.second.delete_user(processes.admin, reg.user.id)
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_an_expired_token_is_refused_even_when_kept(
            self, processes: TwoProcesses, credential_cache: CredentialCache) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        processes.clock.advance(processes.first.lifetimes.access)
        key = (CredentialKind.BEARER, reg.session.access)
        assert credential_cache.get(key, credential_cache.version()) == principal
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_role_changed_elsewhere_is_not_served_stale(
            self, processes: TwoProcesses, other_process: Factory) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        promoted = attrs.evolve(reg.user, role=Role.ADMIN, updated_at=at(1))
        with other_process() as uow:
            uow.users.update(promoted)
            uow.commit()
        principal = processes.first.authenticate_bearer(reg.session.access)
        assert (principal.user, principal.merchant) == (promoted, None)

    def test_a_merchant_changed_elsewhere_is_not_served_stale(
            self, processes: TwoProcesses) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        changed = processes.second.update_merchant(UpdateMerchant(
            reg.merchant.id, webhook_url="https://shop.example/new-hooks"))
        principal = processes.first.authenticate_bearer(reg.session.access)
        assert principal.merchant == changed.merchant


# --- the adapter and the reference, side by side ------------------------------------------------


_COMMIT = st.sampled_from([True, True, True, False])  # mostly commit; sometimes abandon
_EMAILS = ("ada@shop.example", "bob@shop.example", "cy@shop.example", "dee@shop.example")
_KEYS = ("key-1", "key-2", "key-3")
_PERIOD = StatsPeriod(at(60), at(3 * 3600))
_STEPS = (timedelta(microseconds=1), timedelta(seconds=1), timedelta(minutes=10),
          timedelta(hours=1))
_SAFE_TEXT = pst.storable_text(max_size=12)
T = TypeVar("T")


@attrs.frozen
class _Raised:
    """What a side raised, compared by exception type only."""

    error: type[BaseException]


class _Comparison(RuleBasedStateMachine):
    """Runs every operation on the adapter and on the in-memory reference; they must agree.

    Each rule performs one port operation (or one use case's worth of them) in a unit of work
    on both sides, mostly committed, sometimes abandoned; results must be identical. After
    each step the whole observable state (every getter, every listing page by page, counts
    and statistics) must be identical too.
    """

    def __init__(self) -> None:
        super().__init__()
        self.subject = self._build_subject()
        self.reference: UnitOfWorkFactory = InMemoryStore().unit_of_work
        self.b = Builder()
        self.now = T0
        self.emails: list[str] = list(_EMAILS)
        self.users: list[UUID] = []
        self.merchants: list[UUID] = []
        self.api_keys: list[str] = []
        self.orders: list[tuple[UUID, UUID]] = []
        self.payments: list[tuple[UUID, UUID]] = []
        self.events: list[tuple[UUID, UUID]] = []
        self.refresh: list[tuple[UUID, UUID, UUID]] = []  # (jti, user, family)
        self.access: list[UUID] = []
        self.checks = 0

    def _build_subject(self) -> UnitOfWorkFactory:  # pragma: no cover - bound by the factory
        raise NotImplementedError

    def _release_subject(self, factory: UnitOfWorkFactory) -> None:
        del factory

    def teardown(self) -> None:
        self._release_subject(self.subject)

    # --- running one operation on both sides ---

    def _run(self, factory: Factory, commit: bool, action: Callable[..., T],
             args: tuple[object, ...]) -> T | _Raised:
        try:
            with factory() as uow:
                result = action(uow, *copy.deepcopy(args))
                if commit:
                    uow.commit()
                return result
        except EmailAlreadyRegistered as exc:
            return _Raised(type(exc))

    def _both(self, commit: bool, action: Callable[..., T], *args: object) -> bool:
        """Run on the reference then the adapter; True when both succeeded."""
        expected = self._run(self.reference, commit, action, args)
        actual = self._run(self.subject, commit, action, args)
        if isinstance(expected, _Raised) or isinstance(actual, _Raised):
            assert actual == expected, f"adapter: {actual}, reference: {expected}"
            return False
        assert_identical(actual, expected)
        return True

    def _current(self, read: Callable[[UnitOfWork], T | None]) -> T:
        with self.reference(read_only=True) as uow:
            found = read(uow)
        assert found is not None
        return found

    # --- accounts ---

    @initialize(data=st.data())
    def open_accounts(self, data: st.DataObject) -> None:
        """Two merchants (with and without a webhook URL) with an order each, and an admin,
        so every rule can act from the first step."""
        for n, (role, hooked) in enumerate(((Role.MERCHANT, True), (Role.MERCHANT, False),
                                            (Role.ADMIN, False))):
            self.emails.append(f"seed{n}@shop.example")
            self.add_user(role, self.emails[-1], shout=False, hooked=hooked, commit=True)
        for merchant_id in self.merchants:
            self._add_order(data, merchant_id, commit=True)

    @rule(role=st.sampled_from(Role), email=st.sampled_from(_EMAILS), shout=st.booleans(),
          hooked=st.booleans(), commit=_COMMIT)
    def add_user(self, role: Role, email: str, shout: bool, hooked: bool, commit: bool) -> None:
        user = self.b.user(role=role, email=email.upper() if shout else email,
                           created_at=self.now)
        merchant = (self.b.merchant(user, webhook_url="https://shop.example/h" if hooked
                                    else None) if role is Role.MERCHANT else None)

        def act(uow: UnitOfWork, user: User, merchant: Merchant | None) -> None:
            uow.users.add(user)
            if merchant is not None:
                uow.merchants.add(merchant)

        if self._both(commit, act, user, merchant) and commit:
            self.users.append(user.id)
            if merchant is not None:
                self.merchants.append(merchant.id)
                self.api_keys.append(merchant.api_key)

    @rule(data=st.data(), change=st.sampled_from(["delete or restore", "webhook", "rotate"]),
          commit=_COMMIT)
    def change_account(self, data: st.DataObject, change: str, commit: bool) -> None:
        if change == "delete or restore":
            user_id = data.draw(st.sampled_from(self.users))
            user = self._current(lambda uow: uow.users.get(user_id))
            if user.deleted:
                user.restore(self.now)
            else:
                user.soft_delete(self.now)
            user.name = data.draw(_SAFE_TEXT)
            self._both(commit, lambda uow, u: uow.users.update(u), user)
            return
        merchant_id = data.draw(st.sampled_from(self.merchants))
        merchant = self._current(lambda uow: uow.merchants.get(merchant_id))
        if change == "webhook":
            merchant.webhook_url = None if merchant.webhook_url else "https://shop.example/h2"
        else:
            merchant.api_key = f"pk_{self.b.new_id().hex}"
            merchant.webhook_secret = f"whsec_{self.b.new_id().hex}"
        merchant.updated_at = self.now
        if self._both(commit, lambda uow, m: uow.merchants.update(m), merchant) and commit:
            self.api_keys.append(merchant.api_key)

    # --- orders, payments, refunds, events ---

    @rule(data=st.data(), commit=_COMMIT)
    def add_order(self, data: st.DataObject, commit: bool) -> None:
        self._add_order(data, data.draw(st.sampled_from(self.merchants)), commit)

    def _add_order(self, data: st.DataObject, merchant_id: UUID, commit: bool) -> None:
        currency = data.draw(pst.currencies(("USD", "JPY", "KWD")))
        order = self.b.order(
            merchant_id, data.draw(pst.money(currency, max_value=Decimal(1000))),
            receipt=data.draw(st.none() | _SAFE_TEXT),
            notes=data.draw(st.dictionaries(_SAFE_TEXT, _SAFE_TEXT, max_size=2)),
            created_at=self.now)
        if self._both(commit, lambda uow, o: uow.orders.add(o), order) and commit:
            self.orders.append((order.id, merchant_id))

    def _record(self, uow: UnitOfWork, payment: Payment, event: PaymentEvent) -> None:
        merchant = uow.merchants.get(payment.merchant_id)
        assert merchant is not None
        uow.outbox.add(event, deliver=merchant.webhook_url is not None, now=payment.updated_at)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), approved=st.booleans(), commit=_COMMIT)
    def pay(self, data: st.DataObject, approved: bool, commit: bool) -> None:
        with self.reference(read_only=True) as uow:
            unpaid = [(o, m) for o, m in self.orders
                      if getattr(uow.orders.get(o, m), "status", None) is not OrderStatus.PAID]
        if not unpaid:
            return
        order_id, merchant_id = data.draw(st.sampled_from(unpaid))
        order = self._current(lambda uow: uow.orders.get(order_id, merchant_id))
        payment = self.b.payment(order, status=PaymentStatus.AUTHORIZED if approved
                                 else PaymentStatus.FAILED, created_at=self.now)
        order.record_payment(approved=approved, now=self.now)
        event = self.b.event(payment)

        def act(uow: UnitOfWork, payment: Payment, order: Order, event: PaymentEvent) -> None:
            uow.payments.add(payment)
            uow.orders.update(order)
            self._record(uow, payment, event)

        if self._both(commit, act, payment, order, event) and commit:
            self.payments.append((payment.id, merchant_id))
            self.events.append((event.id, merchant_id))

    @precondition(lambda self: self.payments)
    @rule(data=st.data(), capture=st.booleans(), commit=_COMMIT)
    def capture_or_refund(self, data: st.DataObject, capture: bool, commit: bool) -> None:
        # Mostly the latest payments, so one payment sees several refunds.
        payment_id, merchant_id = data.draw(st.sampled_from(self.payments[-2:])
                                            | st.sampled_from(self.payments))
        payment = self._current(lambda uow: uow.payments.get(payment_id, merchant_id))
        refund: Refund | None = None
        if capture and payment.status is PaymentStatus.AUTHORIZED:
            payment.capture(self.now)
        elif payment.status in REFUNDABLE:
            action = pst.RefundAction(data.draw(st.sampled_from([
                pst.RefundKind.FULL, pst.RefundKind.PARTIAL])), data.draw(st.integers(1, 99)))
            amount = (action.amount_for(payment.refundable_balance)
                      or payment.refundable_balance)
            payment.apply_refund(amount, self.now)
            refund = self.b.refund(payment, amount, reason=data.draw(st.none() | _SAFE_TEXT),
                                   created_at=self.now)
        else:
            return
        event = self.b.event(payment, refund=refund)

        def act(uow: UnitOfWork, payment: Payment, refund: Refund | None,
                event: PaymentEvent) -> None:
            if refund is not None:
                uow.refunds.add(refund)
            uow.payments.update(payment)
            self._record(uow, payment, event)

        if self._both(commit, act, payment, refund, event) and commit:
            self.events.append((event.id, merchant_id))

    # --- webhook deliveries ---

    @rule(limit=st.integers(1, 3), lease=st.sampled_from([timedelta(seconds=1), LEASE]),
          commit=_COMMIT)
    def claim_due(self, limit: int, lease: timedelta, commit: bool) -> None:
        self._both(commit, lambda uow: list(uow.outbox.claim_due(self.now, limit, lease)))

    @precondition(lambda self: self.events)
    @rule(data=st.data(), outcome=st.sampled_from([*DeliveryStatus, "requeue"]),
          commit=_COMMIT)
    def settle_event(self, data: st.DataObject, outcome: DeliveryStatus | str,
                     commit: bool) -> None:
        event_id, merchant_id = data.draw(st.sampled_from(self.events))
        if outcome == "requeue":
            self._both(commit, lambda uow: uow.outbox.requeue(event_id, self.now))
            return
        status = DeliveryStatus(outcome)
        record = self._current(lambda uow: uow.outbox.get(event_id, merchant_id))
        attempt = self.b.attempt(
            record.event, attempt=max(record.attempts, 1), created_at=self.now,
            status=WebhookAttemptStatus.SENT if status is DeliveryStatus.DELIVERED
            else WebhookAttemptStatus.FAILED)
        due = self.now + timedelta(seconds=30) if status is DeliveryStatus.PENDING else None
        self._both(commit, lambda uow, a: uow.outbox.record_attempt(a, status, due), attempt)

    # --- idempotency ---

    @rule(data=st.data(), op=st.sampled_from(["claim", "claim", "complete", "release",
                                              "purge"]),
          key=st.sampled_from(_KEYS), commit=_COMMIT)
    def idempotency(self, data: st.DataObject, op: str, key: str, commit: bool) -> None:
        merchant_id = data.draw(st.sampled_from(self.merchants))
        store: Callable[[UnitOfWork], object]
        if op == "claim":
            digest = data.draw(st.sampled_from(["h1", "h2"]))
            stale = data.draw(st.sampled_from([timedelta(seconds=1), timedelta(hours=1)]))
            store = lambda uow: uow.idempotency.claim(  # noqa: E731
                merchant_id, key, digest, self.now, stale)
        elif op == "complete":
            store = lambda uow: uow.idempotency.complete(  # noqa: E731
                merchant_id, key, 201, f'{{"key": "{key}"}}'.encode(), self.now)
        elif op == "release":
            store = lambda uow: uow.idempotency.release(merchant_id, key)  # noqa: E731
        else:
            age = data.draw(st.sampled_from([timedelta(0), timedelta(minutes=30)]))
            store = lambda uow: uow.idempotency.purge(self.now - age)  # noqa: E731
        self._both(commit, store)

    # --- tokens ---

    @rule(data=st.data(), op=st.sampled_from(["issue", "issue", "revoke token",
                                              "revoke family", "revoke user", "deny access",
                                              "purge"]),
          commit=_COMMIT)
    def tokens(self, data: st.DataObject, op: str, commit: bool) -> None:
        if op == "issue" or (not self.refresh and op.startswith("revoke")):
            self._issue_refresh(data, commit)
        elif op.startswith("revoke"):
            jti, user_id, family = data.draw(st.sampled_from(self.refresh))
            revoke: dict[str, Callable[[UnitOfWork], None]] = {
                "revoke token": lambda uow: uow.tokens.revoke_refresh(jti),
                "revoke family": lambda uow: uow.tokens.revoke_family(family),
                "revoke user": lambda uow: uow.tokens.revoke_user(user_id),
            }
            self._both(commit, revoke[op])
        elif op == "deny access":
            again = bool(self.access) and data.draw(st.booleans())
            jti = data.draw(st.sampled_from(self.access)) if again else self.b.new_id()
            lifetime = data.draw(st.sampled_from([timedelta(seconds=1), timedelta(minutes=15)]))
            self._both(commit, lambda uow: uow.tokens.revoke_access(jti, self.now + lifetime))
            if commit and not again:
                self.access.append(jti)
        else:
            self._both(commit, lambda uow: uow.tokens.purge_expired(self.now))

    def _issue_refresh(self, data: st.DataObject, commit: bool) -> None:
        user_id = data.draw(st.sampled_from(self.users))
        families = [f for _, u, f in self.refresh if u == user_id]
        same_family = bool(families) and data.draw(st.booleans())
        family = data.draw(st.sampled_from(families)) if same_family else None
        token = self.b.refresh_token(user_id, family=family, created_at=self.now,
                                     lifetime=timedelta(hours=2))
        if self._both(commit, lambda uow, t: uow.tokens.add_refresh(t), token) and commit:
            self.refresh.append((token.jti, user_id, token.family))

    # --- time ---

    @rule(step=st.sampled_from(_STEPS))
    def pass_time(self, step: timedelta) -> None:
        self.now += step

    # --- the whole observable state must agree ---

    @invariant()
    def adapter_agrees_with_reference(self) -> None:
        self.checks += 1
        with self.reference(read_only=True) as uow:
            expected = self._snapshot(uow)
        with self.subject(read_only=True) as uow:
            actual = self._snapshot(uow)
        assert_identical(actual, expected)

    def _one_of(self, options: list[T]) -> list[T]:
        """One of the options, a different one at each check: every getter and unfiltered
        listing is compared after every step, filter variants in turn (cheaper for SQL)."""
        return [options[self.checks % len(options)]] if options else []

    def _snapshot(self, uow: UnitOfWork) -> dict[str, object]:
        seen: dict[str, object] = {}
        self._snapshot_accounts(uow, seen)
        self._snapshot_payments(uow, seen)
        self._snapshot_outbox(uow, seen)
        for jti, _, _ in self.refresh:
            seen[f"refresh {jti}"] = uow.tokens.get_refresh(jti)
        for jti in self.access:
            seen[f"access {jti}"] = uow.tokens.is_access_revoked(jti)
        for name, period in (("all", StatsPeriod()), ("period", _PERIOD)):
            seen[f"global stats {name}"] = uow.stats.global_stats(period)
            for merchant_id in self.merchants:
                seen[f"stats {merchant_id} {name}"] = uow.stats.merchant_stats(merchant_id,
                                                                              period)
        return seen

    def _snapshot_accounts(self, uow: UnitOfWork, seen: dict[str, object]) -> None:
        for user_id in self.users:
            seen[f"user {user_id}"] = uow.users.get(user_id)
            seen[f"merchant of {user_id}"] = uow.merchants.get_by_user(user_id)
        for email in self.emails:
            seen[f"email {email}"] = uow.users.get_by_email(email.upper())
        seen["users"] = _pages(uow.users.list)
        for role, deleted in self._one_of([(r, d) for r in (None, *Role) for d in (False, True)]):
            seen["users filtered"] = _pages(uow.users.list, role=role, include_deleted=deleted)
        for role in Role:
            seen[f"count {role}"] = uow.users.count(role)
        for merchant_id in self.merchants:
            seen[f"merchant {merchant_id}"] = uow.merchants.get(merchant_id)
        for key in self.api_keys:
            seen[f"api key {key}"] = uow.merchants.get_by_api_key(key)
        for deleted in (False, True):
            seen[f"merchants {deleted}"] = _pages(uow.merchants.list, include_deleted=deleted)

    def _snapshot_payments(self, uow: UnitOfWork, seen: dict[str, object]) -> None:
        for order_id, merchant_id in self.orders:
            seen[f"order {order_id}"] = uow.orders.get(order_id, merchant_id)
            seen[f"payments of {order_id}"] = list(uow.payments.for_order(order_id))
        for order_id, merchant_id in self._one_of(self.orders):
            seen["order elsewhere"] = uow.orders.get(order_id, STRANGER)
            seen["payments of an order"] = _pages(uow.payments.list, merchant_id,
                                                  order_id=order_id)
        for payment_id, merchant_id in self.payments:
            seen[f"payment {payment_id}"] = uow.payments.get(payment_id, merchant_id)
            seen[f"refunds of {payment_id}"] = list(uow.refunds.for_payment(payment_id))
        for payment_id, merchant_id in self._one_of(self.payments):
            seen["refunds of a payment"] = _pages(uow.refunds.list, merchant_id,
                                                  payment_id=payment_id)
        for merchant_id in self.merchants:
            seen[f"orders {merchant_id}"] = _pages(uow.orders.list, merchant_id)
            seen[f"payments {merchant_id}"] = _pages(uow.payments.list, merchant_id)
            seen[f"refunds {merchant_id}"] = _pages(uow.refunds.list, merchant_id)
            for order_status in self._one_of(list(OrderStatus)):
                seen[f"orders {merchant_id} by status"] = _pages(
                    uow.orders.list, merchant_id, status=order_status)
            for payment_status in self._one_of(list(PaymentStatus)):
                seen[f"payments {merchant_id} by status"] = _pages(
                    uow.payments.list, merchant_id, status=payment_status)

    def _snapshot_outbox(self, uow: UnitOfWork, seen: dict[str, object]) -> None:
        for event_id, merchant_id in self.events:
            seen[f"event {event_id}"] = uow.outbox.get(event_id, merchant_id)
        for event_id, merchant_id in self._one_of(self.events):
            seen["attempts of an event"] = _pages(uow.outbox.list_attempts, merchant_id,
                                                  event_id=event_id)
        for payment_id, merchant_id in self._one_of(self.payments):
            seen["attempts for a payment"] = _pages(uow.outbox.list_attempts, merchant_id,
                                                    payment_id=payment_id)
        for merchant_id in self.merchants:
            seen[f"events {merchant_id}"] = _pages(uow.outbox.list, merchant_id)
            seen[f"attempts {merchant_id}"] = _pages(uow.outbox.list_attempts, merchant_id)


def _pages(fetch: Callable[..., Page[Any]], *before: object, **filters: object,
           ) -> list[Page[Any]]:
    """Every page of ``fetch(*before, page, **filters)``, two items a page, as returned."""
    pages = [fetch(*before, PageRequest(limit=2), **filters)]
    while pages[-1].next_cursor is not None and len(pages) < 100:
        after = Cursor.decode(pages[-1].next_cursor)
        pages.append(fetch(*before, PageRequest(limit=2, after=after), **filters))
    return pages


def adapter_state_machine(
    factory_builder: Callable[[], UnitOfWorkFactory],
    *,
    teardown: Callable[[UnitOfWorkFactory], None] | None = None,
    step_count: int = 20,
) -> type[RuleBasedStateMachine]:
    """A state machine running random operations on an adapter and on the reference.

    ``factory_builder`` is called once per generated example and must return a factory over
    an EMPTY store (e.g. a fresh SQLite file, or PostgreSQL tables truncated); ``teardown``,
    if given, is called with it when the example ends (dispose engines there). Bind it in a
    test module with ``TestX = adapter_state_machine(build).TestCase``; tune the example
    count with ``TestX.settings = hypothesis.settings(max_examples=...)`` if needed.
    """

    class AdapterAgreesWithReference(_Comparison):
        def _build_subject(self) -> UnitOfWorkFactory:
            return factory_builder()

        def _release_subject(self, factory: UnitOfWorkFactory) -> None:
            if teardown is not None:
                teardown(factory)

    AdapterAgreesWithReference.TestCase.settings = settings(stateful_step_count=step_count)
    return AdapterAgreesWithReference
