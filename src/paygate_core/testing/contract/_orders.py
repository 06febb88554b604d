"""The contract of the ``OrderRepository`` port."""

from __future__ import annotations

import copy

from paygate_core.money import Money
from paygate_core.orders import OrderStatus
from paygate_core.pagination import Cursor, PageRequest
from paygate_core.testing._builders import Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    STRANGER,
    Factory,
    assert_listed,
    collect_pages,
    newest_first,
    reading,
    seed_merchant,
    write,
)


class OrderRepositoryContract:
    def test_order_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        _, merchant = seed_merchant(uow_factory, b)
        plain = b.order(merchant, Money.of("0.01", "USD"))
        yen = b.order(
            merchant,
            Money.of("99999999", "JPY"),
            receipt="inv-42",
            notes={"k": "v", "ключ": "значение 💳", "": ""},
            created_at=at(1),
        )
        dinar = b.order(
            merchant,
            Money.of("12.345", "KWD"),
            status=OrderStatus.FAILED,
            receipt="",
            created_at=at(2),
            updated_at=at(3, microseconds=999999),
        )
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
        self, uow_factory: Factory
    ) -> None:
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
            assert_listed(
                lambda p: uow.orders.list(mine.id, p, status=OrderStatus.CREATED), created
            )
            assert_listed(lambda p: uow.orders.list(mine.id, p, status=OrderStatus.PAID), [paid])
            assert_listed(lambda p: uow.orders.list(theirs.id, p), [foreign])
            assert collect_pages(lambda p: uow.orders.list(STRANGER, p), 5) == []

    def test_keyset_pages_never_repeat_or_skip_even_with_inserts_between_calls(
        self, uow_factory: Factory
    ) -> None:
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
        write(
            uow_factory,
            b.order(merchant, created_at=at(9)),
            b.order(merchant, created_at=at(3, microseconds=1)),
        )
        with reading(uow_factory) as uow:
            rest = uow.orders.list(
                merchant.id, PageRequest(limit=4, after=Cursor.decode(first.next_cursor))
            )
        assert [o.id for o in rest.items] == [o.id for o in expected[4:]]
        assert not rest.has_more
        assert rest.next_cursor is None
        with reading(uow_factory) as uow:
            exact = uow.orders.list(merchant.id, PageRequest(limit=8))
        assert len(exact.items) == 8
        assert not exact.has_more, "exactly `limit` items left means no more"
