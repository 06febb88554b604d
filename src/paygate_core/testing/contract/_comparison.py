"""The adapter and the in-memory reference driven side by side: a hypothesis state machine
running random port operations on both and comparing every result and the whole observable
state after each step."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import attrs
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
from paygate_core.errors import EmailAlreadyRegistered
from paygate_core.events import (
    DeliveryStatus,
    PaymentEvent,
    WebhookAttemptStatus,
)
from paygate_core.orders import Order, OrderStatus
from paygate_core.pagination import Cursor, Page, PageRequest
from paygate_core.payments import REFUNDABLE, Payment, PaymentStatus
from paygate_core.ports import (
    UnitOfWork,
    UnitOfWorkFactory,
)
from paygate_core.refunds import Refund
from paygate_core.stats import StatsPeriod
from paygate_core.testing import strategies as pst
from paygate_core.testing._builders import T0, Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    LEASE,
    STRANGER,
    Factory,
)
from paygate_core.testing.memory import (
    InMemoryStore,
)

_COMMIT = st.sampled_from([True, True, True, False])  # mostly commit; sometimes abandon
_EMAILS = ("ada@shop.example", "bob@shop.example", "cy@shop.example", "dee@shop.example")
_KEYS = ("key-1", "key-2", "key-3")
_PERIOD = StatsPeriod(at(60), at(3 * 3600))
_STEPS = (
    timedelta(microseconds=1),
    timedelta(seconds=1),
    timedelta(minutes=10),
    timedelta(hours=1),
)
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

    def _run(
        self, factory: Factory, commit: bool, action: Callable[..., T], args: tuple[object, ...]
    ) -> T | _Raised:
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
        for n, (role, hooked) in enumerate(
            ((Role.MERCHANT, True), (Role.MERCHANT, False), (Role.ADMIN, False))
        ):
            self.emails.append(f"seed{n}@shop.example")
            self.add_user(role, self.emails[-1], shout=False, hooked=hooked, commit=True)
        for merchant_id in self.merchants:
            self._add_order(data, merchant_id, commit=True)

    @rule(
        role=st.sampled_from(Role),
        email=st.sampled_from(_EMAILS),
        shout=st.booleans(),
        hooked=st.booleans(),
        commit=_COMMIT,
    )
    def add_user(self, role: Role, email: str, shout: bool, hooked: bool, commit: bool) -> None:
        user = self.b.user(role=role, email=email.upper() if shout else email, created_at=self.now)
        merchant = (
            self.b.merchant(user, webhook_url="https://shop.example/h" if hooked else None)
            if role is Role.MERCHANT
            else None
        )

        def act(uow: UnitOfWork, user: User, merchant: Merchant | None) -> None:
            uow.users.add(user)
            if merchant is not None:
                uow.merchants.add(merchant)

        if self._both(commit, act, user, merchant) and commit:
            self.users.append(user.id)
            if merchant is not None:
                self.merchants.append(merchant.id)
                self.api_keys.append(merchant.api_key)

    @rule(
        data=st.data(),
        change=st.sampled_from(["delete or restore", "webhook", "rotate"]),
        commit=_COMMIT,
    )
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
            merchant_id,
            data.draw(pst.money(currency, max_value=Decimal(1000))),
            receipt=data.draw(st.none() | _SAFE_TEXT),
            notes=data.draw(st.dictionaries(_SAFE_TEXT, _SAFE_TEXT, max_size=2)),
            created_at=self.now,
        )
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
            unpaid = [
                (o, m)
                for o, m in self.orders
                if getattr(uow.orders.get(o, m), "status", None) is not OrderStatus.PAID
            ]
        if not unpaid:
            return
        order_id, merchant_id = data.draw(st.sampled_from(unpaid))
        order = self._current(lambda uow: uow.orders.get(order_id, merchant_id))
        payment = self.b.payment(
            order,
            status=PaymentStatus.AUTHORIZED if approved else PaymentStatus.FAILED,
            created_at=self.now,
        )
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
        payment_id, merchant_id = data.draw(
            st.sampled_from(self.payments[-2:]) | st.sampled_from(self.payments)
        )
        payment = self._current(lambda uow: uow.payments.get(payment_id, merchant_id))
        refund: Refund | None = None
        if capture and payment.status is PaymentStatus.AUTHORIZED:
            payment.capture(self.now)
        elif payment.status in REFUNDABLE:
            action = pst.RefundAction(
                data.draw(st.sampled_from([pst.RefundKind.FULL, pst.RefundKind.PARTIAL])),
                data.draw(st.integers(1, 99)),
            )
            amount = action.amount_for(payment.refundable_balance) or payment.refundable_balance
            payment.apply_refund(amount, self.now)
            refund = self.b.refund(
                payment, amount, reason=data.draw(st.none() | _SAFE_TEXT), created_at=self.now
            )
        else:
            return
        event = self.b.event(payment, refund=refund)

        def act(
            uow: UnitOfWork, payment: Payment, refund: Refund | None, event: PaymentEvent
        ) -> None:
            if refund is not None:
                uow.refunds.add(refund)
            uow.payments.update(payment)
            self._record(uow, payment, event)

        if self._both(commit, act, payment, refund, event) and commit:
            self.events.append((event.id, merchant_id))

    # --- webhook deliveries ---

    @rule(
        limit=st.integers(1, 3),
        lease=st.sampled_from([timedelta(seconds=1), LEASE]),
        commit=_COMMIT,
    )
    def claim_due(self, limit: int, lease: timedelta, commit: bool) -> None:
        self._both(commit, lambda uow: list(uow.outbox.claim_due(self.now, limit, lease)))

    @precondition(lambda self: self.events)
    @rule(data=st.data(), outcome=st.sampled_from([*DeliveryStatus, "requeue"]), commit=_COMMIT)
    def settle_event(
        self, data: st.DataObject, outcome: DeliveryStatus | str, commit: bool
    ) -> None:
        event_id, merchant_id = data.draw(st.sampled_from(self.events))
        if outcome == "requeue":
            self._both(commit, lambda uow: uow.outbox.requeue(event_id, self.now))
            return
        status = DeliveryStatus(outcome)
        record = self._current(lambda uow: uow.outbox.get(event_id, merchant_id))
        attempt = self.b.attempt(
            record.event,
            attempt=max(record.attempts, 1),
            created_at=self.now,
            status=WebhookAttemptStatus.SENT
            if status is DeliveryStatus.DELIVERED
            else WebhookAttemptStatus.FAILED,
        )
        due = self.now + timedelta(seconds=30) if status is DeliveryStatus.PENDING else None
        self._both(commit, lambda uow, a: uow.outbox.record_attempt(a, status, due), attempt)

    # --- idempotency ---

    @rule(
        data=st.data(),
        op=st.sampled_from(["claim", "claim", "complete", "release", "purge"]),
        key=st.sampled_from(_KEYS),
        commit=_COMMIT,
    )
    def idempotency(self, data: st.DataObject, op: str, key: str, commit: bool) -> None:
        merchant_id = data.draw(st.sampled_from(self.merchants))
        store: Callable[[UnitOfWork], object]
        if op == "claim":
            digest = data.draw(st.sampled_from(["h1", "h2"]))
            stale = data.draw(st.sampled_from([timedelta(seconds=1), timedelta(hours=1)]))
            store = lambda uow: uow.idempotency.claim(  # noqa: E731
                merchant_id, key, digest, self.now, stale
            )
        elif op == "complete":
            store = lambda uow: uow.idempotency.complete(  # noqa: E731
                merchant_id, key, 201, f'{{"key": "{key}"}}'.encode(), self.now
            )
        elif op == "release":
            store = lambda uow: uow.idempotency.release(merchant_id, key)  # noqa: E731
        else:
            age = data.draw(st.sampled_from([timedelta(0), timedelta(minutes=30)]))
            store = lambda uow: uow.idempotency.purge(self.now - age)  # noqa: E731
        self._both(commit, store)

    # --- tokens ---

    @rule(
        data=st.data(),
        op=st.sampled_from(
            [
                "issue",
                "issue",
                "revoke token",
                "revoke family",
                "revoke user",
                "deny access",
                "purge",
            ]
        ),
        commit=_COMMIT,
    )
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
        token = self.b.refresh_token(
            user_id, family=family, created_at=self.now, lifetime=timedelta(hours=2)
        )
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
                seen[f"stats {merchant_id} {name}"] = uow.stats.merchant_stats(merchant_id, period)
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
            seen["payments of an order"] = _pages(uow.payments.list, merchant_id, order_id=order_id)
        for payment_id, merchant_id in self.payments:
            seen[f"payment {payment_id}"] = uow.payments.get(payment_id, merchant_id)
            seen[f"refunds of {payment_id}"] = list(uow.refunds.for_payment(payment_id))
        for payment_id, merchant_id in self._one_of(self.payments):
            seen["refunds of a payment"] = _pages(
                uow.refunds.list, merchant_id, payment_id=payment_id
            )
        for merchant_id in self.merchants:
            seen[f"orders {merchant_id}"] = _pages(uow.orders.list, merchant_id)
            seen[f"payments {merchant_id}"] = _pages(uow.payments.list, merchant_id)
            seen[f"refunds {merchant_id}"] = _pages(uow.refunds.list, merchant_id)
            for order_status in self._one_of(list(OrderStatus)):
                seen[f"orders {merchant_id} by status"] = _pages(
                    uow.orders.list, merchant_id, status=order_status
                )
            for payment_status in self._one_of(list(PaymentStatus)):
                seen[f"payments {merchant_id} by status"] = _pages(
                    uow.payments.list, merchant_id, status=payment_status
                )

    def _snapshot_outbox(self, uow: UnitOfWork, seen: dict[str, object]) -> None:
        for event_id, merchant_id in self.events:
            seen[f"event {event_id}"] = uow.outbox.get(event_id, merchant_id)
        for event_id, merchant_id in self._one_of(self.events):
            seen["attempts of an event"] = _pages(
                uow.outbox.list_attempts, merchant_id, event_id=event_id
            )
        for payment_id, merchant_id in self._one_of(self.payments):
            seen["attempts for a payment"] = _pages(
                uow.outbox.list_attempts, merchant_id, payment_id=payment_id
            )
        for merchant_id in self.merchants:
            seen[f"events {merchant_id}"] = _pages(uow.outbox.list, merchant_id)
            seen[f"attempts {merchant_id}"] = _pages(uow.outbox.list_attempts, merchant_id)


def _pages(
    fetch: Callable[..., Page[Any]],
    *before: object,
    **filters: object,
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
