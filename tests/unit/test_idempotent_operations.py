"""Idempotency keys under random retries, crashes and clock moves (ADR 0005).

Each step is one request as the HTTP middleware makes it: claim the key, then as its owner
run ``create_order`` with an ``IdempotentAnswer`` (or answer a refusal in a unit of work of
its own), or as a latecomer replay / 409 / 422. Owners may die at any point: before the
operation, or after a refusal before storing it. Whatever happens, a key makes at most one
order, and a finished key answers with exactly the order it made.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from paygate_core import CreateOrder, IdempotentAnswer, Order, PageRequest, RegisterMerchant
from paygate_core.errors import PaygateError
from paygate_core.idempotency import LEASE, IdempotencyRecord, StoredAnswer

from .conftest import build_world

KEYS = st.sampled_from(["a", "b", "c"])
AMOUNTS = st.sampled_from(["10.00", "25.50", "0"])  # "0" is refused (1014)
FATES = st.sampled_from(["lives", "dies before the operation", "dies before answering"])


def _created(order: Order) -> tuple[int, bytes]:
    return 201, str(order.id).encode()


class IdempotentOrders(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = build_world()
        self.merchant_id = self.world.app.register_merchant(
            RegisterMerchant(email="shop@shop.example", name="Shop", password="s3cret-pass")
        ).merchant.id
        self.made: dict[str, list[UUID]] = {}  # orders each key's requests created
        self.replayed: dict[str, bytes] = {}  # the first finished answer seen per key

    def _claim(self, key: str, amount: str) -> IdempotencyRecord | None:
        with self.world.app.uow() as work:
            record = work.idempotency.claim(
                self.merchant_id, key, f"POST {amount}", self.world.clock.now(), LEASE
            )
            work.commit()
        return record

    def _refuse(self, key: str) -> None:
        with self.world.app.uow() as work:
            work.idempotency.complete(
                self.merchant_id, key, 422, b"refused", self.world.clock.now()
            )
            work.commit()

    @rule(key=KEYS, amount=AMOUNTS, fate=FATES)
    def request(self, key: str, amount: str, fate: str) -> None:
        record = self._claim(key, amount)
        if record is not None:  # a latecomer: 422 (other body), 409 (running) or a replay
            if record.completed:
                assert record.answer is not None
                answer = self.replayed.setdefault(key, record.answer.body)
                assert record.answer.body == answer  # a finished key never changes
            return
        if fate == "dies before the operation":
            return
        try:
            order = self.world.app.create_order(
                CreateOrder(
                    self.merchant_id, amount, "INR", idempotency=IdempotentAnswer(key, _created)
                )
            )
        except PaygateError:
            if fate == "lives":
                self._refuse(key)
            return
        # Committed together with its answer: dying from here on changes nothing.
        self.made.setdefault(key, []).append(order.id)

    @rule(seconds=st.integers(0, 90))
    def time_passes(self, seconds: int) -> None:
        self.world.clock.advance(timedelta(seconds=seconds))

    @invariant()
    def a_key_makes_at_most_one_order_and_answers_with_it(self) -> None:
        for key, made in self.made.items():
            assert len(made) == 1, (key, made)
            with self.world.app.uow(read_only=True) as work:
                record = work.idempotency.claim(
                    self.merchant_id, key, "probe", self.world.clock.now(), LEASE
                )
            assert record is not None
            assert record.answer == StoredAnswer(201, str(made[0]).encode())

    @invariant()
    def every_order_came_from_a_key(self) -> None:
        orders = self.world.app.list_orders(self.merchant_id, PageRequest(limit=100)).items
        assert sorted(o.id for o in orders) == sorted(i for m in self.made.values() for i in m)
        assert all(o.amount.amount > Decimal(0) for o in orders)


TestIdempotentOrders = IdempotentOrders.TestCase
