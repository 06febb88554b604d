"""``paygate demo``: a merchant and an admin with fixed logins, and a month of shop life.

The demo merchant's orders, payments, captures and refunds of the last ``days`` days are
made through the core's use cases (the ``Paygate`` facade), never written as rows: the
facade runs on a ``DemoClock`` that each step sets to the moment it happened, so every
figure, rollup and chart is what the API itself would have produced. The webhook events are
recorded like any others; the demo merchant has no webhook URL, so they are ``skipped``
(nothing is sent anywhere, and the Webhooks page still lists them).

Seeding is fast because the writes are batched: on SQLite a group-commit batch per
``BATCH`` orders (one transaction, a savepoint per use case, as ``paygate serve`` commits
concurrent requests), on PostgreSQL a pool of threads committing side by side. Card
outcomes come from the contract's test cards (``4242...`` succeeds, ``...0002`` and
``...9995`` decline) and a few other cards left to the simulator.

Run twice, it reuses the accounts (logging in with the fixed password) and seeds only a
merchant that has no orders yet. ``LivePayments`` keeps paying new orders every few seconds
while the dashboard is served, so ``Recent payments`` moves.
"""

from __future__ import annotations

import logging
import math
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO, cast
from uuid import UUID

import attrs

from paygate_core.errors import EmailAlreadyRegistered, PaygateError
from paygate_core.gateway import Paygate
from paygate_core.money import CURRENCIES, Currency
from paygate_core.pagination import PageRequest
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.use_cases.auth import Login, LoginResult, RegisterAdmin, RegisterMerchant
from paygate_core.use_cases.payments import CreateOrder, PayOrder, RefundPayment
from paygate_http.settings import Settings

if TYPE_CHECKING:
    from paygate_http.process.wiring import Database

__all__ = [
    "DEMO_ADMIN_EMAIL",
    "DEMO_MERCHANT_EMAIL",
    "DEMO_PASSWORD",
    "DemoAccounts",
    "DemoClock",
    "LivePayments",
    "SeedReport",
    "ensure_accounts",
    "live_payments",
    "prepare",
    "seed",
]

_log = logging.getLogger("paygate.demo")

DEMO_MERCHANT_EMAIL = "demo@paygate.example"
DEMO_MERCHANT_NAME = "Demo Coffee Roasters"
DEMO_ADMIN_EMAIL = "admin@paygate.example"
DEMO_ADMIN_NAME = "Demo Admin"
DEMO_PASSWORD = "demo-password"  # printed on purpose: the login of a local demo
BATCH = 64
"""Orders per group-commit batch on SQLite (the server's own batch bound)."""
THREADS = 8
"""Writers side by side on PostgreSQL."""

_SUCCEEDS = "4242424242424242"
_DECLINES = ("4000000000000002", "4000000000009995")
_SIMULATED = ("5555555555554444", "4000056655665556", "378282246310005")
_EXPIRY = "12/39"
_REASONS = ("Customer request", "Damaged in transit", "Duplicate order", None)
# (code, share of orders, smallest and largest amount in major units)
_CURRENCY_MIX = (("INR", 0.7, 99, 7_500), ("USD", 0.2, 5, 400), ("JPY", 0.1, 500, 40_000))


class DemoClock:
    """The ``Clock`` of the seeding facade: each thread's steps happen at the moment that
    thread set (``at``); without one, the current time (logins, live payments)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def now(self) -> datetime:
        moment: datetime | None = getattr(self._local, "moment", None)
        return moment if moment is not None else datetime.now(UTC)

    def at(self, moment: datetime | None) -> None:
        self._local.moment = moment


@attrs.frozen
class DemoAccounts:
    merchant_id: UUID
    api_key: str
    created: bool
    """The merchant was registered by this run (not found from an earlier one)."""


@attrs.frozen
class SeedReport:
    orders: int = 0
    successful_payments: int = 0
    failed_payments: int = 0
    captures: int = 0
    refunds: int = 0
    seconds: float = 0.0

    @property
    def payments(self) -> int:
        return self.successful_payments + self.failed_payments

    @property
    def events(self) -> int:
        """Every payment, capture and refund records one webhook event."""
        return self.payments + self.captures + self.refunds

    def __add__(self, other: SeedReport) -> SeedReport:
        return SeedReport(
            self.orders + other.orders,
            self.successful_payments + other.successful_payments,
            self.failed_payments + other.failed_payments,
            self.captures + other.captures,
            self.refunds + other.refunds,
            self.seconds + other.seconds,
        )


def ensure_accounts(paygate: Paygate) -> DemoAccounts:
    """The demo merchant and admin, registered now or (a second run) found by logging in
    with the fixed password; ``PaygateError`` when an email is taken with another one."""
    try:
        paygate.register_admin(
            RegisterAdmin(email=DEMO_ADMIN_EMAIL, name=DEMO_ADMIN_NAME, password=DEMO_PASSWORD)
        )
    except EmailAlreadyRegistered:
        _log_in(paygate, DEMO_ADMIN_EMAIL)
    try:
        registration = paygate.register_merchant(
            RegisterMerchant(
                email=DEMO_MERCHANT_EMAIL, name=DEMO_MERCHANT_NAME, password=DEMO_PASSWORD
            )
        )
    except EmailAlreadyRegistered:
        merchant = _log_in(paygate, DEMO_MERCHANT_EMAIL).merchant
        assert merchant is not None  # a merchant's login carries its merchant
        return DemoAccounts(merchant.id, merchant.api_key, created=False)
    return DemoAccounts(registration.merchant.id, registration.merchant.api_key, created=True)


def _log_in(paygate: Paygate, email: str) -> LoginResult:
    return paygate.login(Login(email=email, password=DEMO_PASSWORD))


def has_orders(paygate: Paygate, merchant_id: UUID) -> bool:
    return bool(paygate.list_orders(merchant_id, PageRequest(limit=1)).items)


# --- the stories: one order each, with what happens to it and when ------------------------


@attrs.frozen
class _Story:
    """One order: created ``at``, paid with ``cards`` in turn (a retry after a decline),
    then perhaps captured and refunded, each step ``delays`` after the one before."""

    at: datetime
    amount: Decimal
    currency: Currency
    receipt: str
    cards: tuple[str, ...]
    capture_after: timedelta | None
    refund_after: timedelta | None
    refund_share: Decimal | None  # None: the whole balance
    reason: str | None


def _moment(rng: random.Random, now: datetime, days: int) -> datetime:
    """A moment of the last ``days`` days (today the last of them, up to a few minutes ago):
    busier in recent days, and by day more than at night."""
    back = days - 1 - min(int(rng.triangular(0, days, days * 0.9)), days - 1)
    midnight = (now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
    hour = min(max(rng.gauss(14, 4.5), 0.0), 23.99)
    moment = midnight + timedelta(hours=hour)
    latest = now - timedelta(minutes=5)
    if moment > latest:  # later today: anywhere in the part of today already gone
        moment = midnight + (latest - midnight) * rng.random()
    return moment


def _amount(rng: random.Random) -> tuple[Decimal, Currency]:
    """An amount in one of the demo's currencies: whole units spread on a log scale between
    the currency's bounds, sometimes with a price-like fraction (.49, .99)."""
    code, _, low, high = rng.choices(_CURRENCY_MIX, [mix[1] for mix in _CURRENCY_MIX])[0]
    currency = CURRENCIES[code]
    whole = Decimal(int(math.exp(rng.uniform(math.log(low), math.log(high)))))
    if currency.quantum < 1:
        whole += Decimal(rng.choice(("0", "0", "0.49", "0.99", "0.50")))
    return whole.quantize(currency.quantum), currency


def _cards(rng: random.Random) -> tuple[str, ...]:
    roll = rng.random()
    if roll < 0.08:
        return ()  # never paid
    if roll < 0.20:
        return (rng.choice(_DECLINES),)
    if roll < 0.27:
        return (rng.choice(_DECLINES), _SUCCEEDS)  # declined, then paid with another card
    return (rng.choice(_SIMULATED) if rng.random() < 0.3 else _SUCCEEDS,)


def stories(count: int, days: int, now: datetime, seed_value: int = 7) -> list[_Story]:
    """``count`` orders over the last ``days`` days, oldest first (reproducible)."""
    rng = random.Random(seed_value)  # noqa: S311 - demo data, not secrets
    made = []
    for n in range(count):
        amount, currency = _amount(rng)
        capture = timedelta(hours=rng.uniform(0.5, 8)) if rng.random() < 0.45 else None
        refund = timedelta(hours=rng.uniform(2, 96)) if rng.random() < 0.1 else None
        share = Decimal(rng.choice(("0.25", "0.5"))) if rng.random() < 0.4 else None
        made.append(
            _Story(
                at=_moment(rng, now, days),
                amount=amount,
                currency=currency,
                receipt=f"demo_{n + 1:05d}",
                cards=_cards(rng),
                capture_after=capture,
                refund_after=refund,
                refund_share=share,
                reason=rng.choice(_REASONS),
            )
        )
    return sorted(made, key=lambda story: story.at)


# --- playing them through the use cases -----------------------------------------------------


def _play(
    paygate: Paygate, clock: DemoClock, merchant_id: UUID, story: _Story, now: datetime
) -> SeedReport:
    """One order's life, each step at its moment (steps not yet due by ``now`` are left
    out: an order of ten minutes ago is not refunded tomorrow)."""
    moment = story.at
    clock.at(moment)
    order = paygate.create_order(
        CreateOrder(
            merchant_id=merchant_id,
            amount=story.amount,
            currency=story.currency.code,
            receipt=story.receipt,
        )
    )
    report = SeedReport(orders=1)
    payment: Payment | None = None
    for card in story.cards:
        moment += timedelta(seconds=40)
        clock.at(moment)
        payment = paygate.pay_order(
            PayOrder(
                merchant_id=merchant_id,
                order_id=order.id,
                card_number=card,
                expiry=_EXPIRY,
                cvv="123",
            )
        )
        if payment.status is PaymentStatus.FAILED:
            report += SeedReport(failed_payments=1)
        else:
            report += SeedReport(successful_payments=1)
            break
    if payment is None or payment.status is PaymentStatus.FAILED:
        return report
    if story.capture_after is not None and moment + story.capture_after < now:
        moment += story.capture_after
        clock.at(moment)
        paygate.capture_payment(merchant_id, payment.id)
        report += SeedReport(captures=1)
    if story.refund_after is not None and moment + story.refund_after < now:
        clock.at(moment + story.refund_after)
        amount = (
            None
            if story.refund_share is None
            else (story.amount * story.refund_share).quantize(story.currency.quantum)
        )
        paygate.refund_payment(
            RefundPayment(
                merchant_id=merchant_id, payment_id=payment.id, amount=amount, reason=story.reason
            )
        )
        report += SeedReport(refunds=1)
    return report


def seed(
    paygate: Paygate,
    clock: DemoClock,
    merchant_id: UUID,
    *,
    orders: int,
    days: int,
    batch: Callable[[], AbstractContextManager[object]] | None = None,
    threads: int = 1,
    now: datetime | None = None,
) -> SeedReport:
    """Play ``orders`` stories of the last ``days`` days through ``paygate`` (whose clock
    must be ``clock``). ``batch``: a context manager in which ``BATCH`` orders share one
    transaction (SQLite's group commit); else ``threads`` writers side by side."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    plan = stories(orders, days, now)
    total = SeedReport()
    if batch is not None:
        for chunk in _chunks(plan, BATCH):
            with batch():
                for story in chunk:
                    total += _play(paygate, clock, merchant_id, story, now)
    else:
        with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
            for report in pool.map(lambda s: _play(paygate, clock, merchant_id, s, now), plan):
                total += report
    clock.at(None)
    return attrs.evolve(total, seconds=time.perf_counter() - started)


def _chunks(items: Sequence[_Story], size: int) -> Iterator[Sequence[_Story]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- live payments while the dashboard is served --------------------------------------------


class LivePayments:
    """A thread paying a new order every ``every`` seconds (now, through the same use
    cases), sometimes refunding the one before, until ``stop``."""

    def __init__(
        self,
        paygate: Paygate,
        merchant_id: UUID,
        every: float,
        on_error: Callable[[PaygateError], None] | None = None,
    ) -> None:
        self._paygate = paygate
        self._merchant_id = merchant_id
        self._every = every
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paygate-demo-live", daemon=True)
        self._rng = random.Random()  # noqa: S311 - demo data
        self.made = 0

    def start(self) -> LivePayments:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        previous: Payment | None = None
        while not self._stop.wait(self._every):
            try:
                previous = self.pay_one(previous)
            except PaygateError as exc:  # the database away for a moment: try again later
                if self._on_error is not None:
                    self._on_error(exc)

    def pay_one(self, previous: Payment | None = None) -> Payment:
        amount, currency = _amount(self._rng)
        order = self._paygate.create_order(
            CreateOrder(
                merchant_id=self._merchant_id,
                amount=amount,
                currency=currency.code,
                receipt=f"live_{self.made + 1:05d}",
            )
        )
        card = _SUCCEEDS if self._rng.random() < 0.85 else self._rng.choice(_DECLINES)
        payment = self._paygate.pay_order(
            PayOrder(
                merchant_id=self._merchant_id,
                order_id=order.id,
                card_number=card,
                expiry=_EXPIRY,
                cvv="123",
            )
        )
        if (
            previous is not None
            and previous.status is PaymentStatus.AUTHORIZED
            and self._rng.random() < 0.15
        ):
            self._paygate.refund_payment(
                RefundPayment(
                    merchant_id=self._merchant_id, payment_id=previous.id, reason="Customer request"
                )
            )
        self.made += 1
        return payment


# --- the command: accounts, seeding and live payments over the configured database ---------


def prepare(
    settings: Settings, *, orders: int, days: int, url: str, out: TextIO | None = None
) -> DemoAccounts:
    """The accounts and (once) the seeded month over ``settings.database_url``, whose schema
    is up to date; prints what was made, the logins and where the dashboard is (to ``out``,
    standard output by default)."""
    out = out or sys.stdout
    from paygate_http.process.wiring import build_paygate, open_database

    database = open_database(settings, migrate=False)
    clock = DemoClock()
    try:
        paygate = build_paygate(settings, database.uow, clock=clock)
        accounts = ensure_accounts(paygate)
        if has_orders(paygate, accounts.merchant_id):
            print(
                "Demo data is there already (the demo merchant has orders): not seeded again.",
                file=out,
            )
        else:
            report = seed(
                paygate,
                clock,
                accounts.merchant_id,
                orders=orders,
                days=days,
                batch=_group_commit(database),
                threads=THREADS,
            )
            print(_seeded(report, days), file=out)
    finally:
        database.close()
    print(
        f"Dashboard: {url}\n  Merchant: {DEMO_MERCHANT_EMAIL} / {DEMO_PASSWORD}\n"
        f"  Admin:    {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}",
        file=out,
    )
    return accounts


def _group_commit(database: Database) -> Callable[[], AbstractContextManager[object]] | None:
    """SQLite: ``BATCH`` orders per group-commit batch (the unit-of-work factory's
    ``batch``, as ``serve`` commits concurrent requests); PostgreSQL: none (threads)."""
    batch = getattr(database.uow, "batch", None)
    if batch is None or database.engine.dialect.name != "sqlite":
        return None
    return cast(Callable[[], AbstractContextManager[object]], batch)


def _seeded(report: SeedReport, days: int) -> str:
    return (
        f"Seeded {report.orders:,} orders over the last {days} days in "
        f"{report.seconds:.1f} s: {report.payments:,} payments "
        f"({report.successful_payments:,} successful, {report.failed_payments:,} failed), "
        f"{report.captures:,} captures, {report.refunds:,} refunds, {report.events:,} "
        "webhook events (skipped: the demo merchant has no webhook URL)."
    )


@contextmanager
def live_payments(settings: Settings, merchant_id: UUID, every: float) -> Iterator[None]:
    """``LivePayments`` over a database of its own while the ``with`` block serves."""
    from paygate_http.process.wiring import build_paygate, open_database

    database = open_database(settings, migrate=False)
    live = LivePayments(
        build_paygate(settings, database.uow), merchant_id, every, on_error=_log_live_error
    ).start()
    try:
        yield
    finally:
        live.stop()
        database.close()


def _log_live_error(error: PaygateError) -> None:
    _log.warning("demo payment not made", extra={"fields": {"error": error.description}})
