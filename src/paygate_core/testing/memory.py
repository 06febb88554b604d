"""In-memory adapters for every port: the reference behaviour the SQL adapters must match.

One ``InMemoryStore`` holds the committed state. Each unit of work holds the store's lock
for its whole life (so ``for_update`` needs nothing more), works on shallow copies of the
tables with copied objects, and swaps them in on ``commit()``; anything else is a rollback.
Thread-safe; meant for tests, demos and embedding, not for large data.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

import attrs

from paygate_core.accounts import Merchant, MerchantAccount, MerchantSummary, Role, User
from paygate_core.errors import EmailAlreadyRegistered, NotAuthenticated
from paygate_core.events import (
    Delivery,
    DeliveryStatus,
    PaymentEvent,
    WebhookAttempt,
    WebhookEvent,
)
from paygate_core.idempotency import ClaimOutcome, IdempotencyRecord, StoredAnswer, decide_claim
from paygate_core.orders import Order, OrderStatus
from paygate_core.pagination import Keyed, Page, PageRequest
from paygate_core.payments import SUCCESSFUL, Payment, PaymentStatus
from paygate_core.refunds import Refund
from paygate_core.stats import CurrencyVolume, GlobalStats, PaymentStats, StatsPeriod
from paygate_core.stats_series import SeriesBucket, SeriesQuery
from paygate_core.tokens import RefreshToken, TokenClaims, TokenType
from paygate_core.web_sessions import WebSession

__all__ = [
    "FixedClock",
    "InMemoryEventFeed",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InMemoryWebSessions",
    "PlainPasswordHasher",
    "SequentialIds",
    "UnsignedTokenService",
]

T = TypeVar("T", bound=Keyed)
_TABLES = (
    "users",
    "merchants",
    "orders",
    "payments",
    "refunds",
    "events",
    "attempts",
    "idempotency",
    "refresh_tokens",
    "revoked_access",
)


class InMemoryStore:
    """The committed state, shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, dict[Any, Any]] = {name: {} for name in _TABLES}

    def unit_of_work(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        """Use as the ``UnitOfWorkFactory``: ``Paygate(uow=store.unit_of_work, ...)``."""
        return InMemoryUnitOfWork(self, read_only=read_only)


def _page(rows: Iterable[T], request: PageRequest) -> Page[T]:
    ordered = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    if request.after is not None:
        after = request.after
        ordered = [r for r in ordered if after.is_after(r.created_at, r.id)]
    return Page.from_rows(ordered[: request.limit + 1], request)


def _newest_first(rows: Iterable[T]) -> list[T]:
    return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)


class _Tables:
    """The unit of work's private view: table copies, objects copied in and out."""

    def __init__(self, tables: dict[str, dict[Any, Any]]) -> None:
        self.data = {name: dict(rows) for name, rows in tables.items()}

    def get(self, table: str, key: Any) -> Any:
        return copy.deepcopy(self.data[table].get(key))

    def put(self, table: str, key: Any, value: Any) -> None:
        self.data[table][key] = copy.deepcopy(value)

    def values(self, table: str, keep: Callable[[Any], bool] = lambda _: True) -> list[Any]:
        return [copy.deepcopy(v) for v in self.data[table].values() if keep(v)]


class _Users:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, user: User) -> None:
        if self.get_by_email(user.email) is not None:
            raise EmailAlreadyRegistered("A user with this email already exists")
        self._t.put("users", user.id, user)

    def update(self, user: User) -> None:
        self._t.put("users", user.id, user)

    def get(self, user_id: UUID) -> User | None:
        user: User | None = self._t.get("users", user_id)
        return user

    def get_by_email(self, email: str) -> User | None:
        found = self._t.values("users", lambda u: u.email.lower() == email.lower())
        return found[0] if found else None

    def list(
        self, page: PageRequest, *, role: Role | None = None, include_deleted: bool = False
    ) -> Page[User]:
        return _page(
            self._t.values(
                "users",
                lambda u: (role is None or u.role is role) and (include_deleted or not u.deleted),
            ),
            page,
        )

    def count(self, role: Role) -> int:
        return len(self._t.values("users", lambda u: u.role is role and not u.deleted))


class _Merchants:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, merchant: Merchant) -> None:
        if self.get_by_api_key(merchant.api_key) is not None:
            raise ValueError("duplicate API key")
        self._t.put("merchants", merchant.id, merchant)

    def update(self, merchant: Merchant) -> None:
        self._t.put("merchants", merchant.id, merchant)

    def get(self, merchant_id: UUID) -> Merchant | None:
        merchant: Merchant | None = self._t.get("merchants", merchant_id)
        return merchant

    def get_by_user(self, user_id: UUID) -> Merchant | None:
        found = self._t.values("merchants", lambda m: m.user_id == user_id)
        return found[0] if found else None

    def get_by_api_key(self, api_key: str) -> Merchant | None:
        found = self._t.values("merchants", lambda m: m.api_key == api_key)
        return found[0] if found else None

    def get_account_by_api_key(self, api_key: str) -> MerchantAccount | None:
        merchant = self.get_by_api_key(api_key)
        user: User | None = self._t.get("users", merchant.user_id) if merchant else None
        return MerchantAccount(merchant, user) if merchant and user else None

    def list(
        self, page: PageRequest, *, include_deleted: bool = False, email_prefix: str | None = None
    ) -> Page[MerchantSummary]:
        summaries = []
        for merchant in self._t.values("merchants"):
            user = self._t.get("users", merchant.user_id)
            if user.deleted and not include_deleted:
                continue
            if email_prefix is not None and not user.email.lower().startswith(email_prefix):
                continue
            orders = sum(1 for o in self._t.data["orders"].values() if o.merchant_id == merchant.id)
            payments = sum(
                1 for p in self._t.data["payments"].values() if p.merchant_id == merchant.id
            )
            summaries.append(MerchantSummary(MerchantAccount(merchant, user), orders, payments))
        return _page(summaries, page)


class _Orders:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, order: Order) -> None:
        self._t.put("orders", order.id, order)

    update = add

    def get(
        self,
        order_id: UUID,
        merchant_id: UUID,
        *,
        for_update: bool = False,
    ) -> Order | None:
        del for_update  # the unit of work holds the store lock already
        order: Order | None = self._t.get("orders", order_id)
        return order if order is not None and order.merchant_id == merchant_id else None

    def list(
        self, merchant_id: UUID, page: PageRequest, *, status: OrderStatus | None = None
    ) -> Page[Order]:
        return _page(
            self._t.values(
                "orders",
                lambda o: o.merchant_id == merchant_id and (status is None or o.status is status),
            ),
            page,
        )


class _Payments:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, payment: Payment) -> None:
        self._t.put("payments", payment.id, payment)

    update = add

    def get(
        self,
        payment_id: UUID,
        merchant_id: UUID,
        *,
        for_update: bool = False,
    ) -> Payment | None:
        del for_update
        payment: Payment | None = self._t.get("payments", payment_id)
        return payment if payment is not None and payment.merchant_id == merchant_id else None

    def list(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        status: PaymentStatus | None = None,
        order_id: UUID | None = None,
    ) -> Page[Payment]:
        return _page(
            self._t.values(
                "payments",
                lambda p: (
                    p.merchant_id == merchant_id
                    and (status is None or p.status is status)
                    and (order_id is None or p.order_id == order_id)
                ),
            ),
            page,
        )

    def for_order(self, order_id: UUID) -> Sequence[Payment]:
        return _newest_first(self._t.values("payments", lambda p: p.order_id == order_id))


class _Refunds:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, refund: Refund) -> None:
        self._t.put("refunds", refund.id, refund)

    def get(self, refund_id: UUID, merchant_id: UUID) -> Refund | None:
        refund: Refund | None = self._t.get("refunds", refund_id)
        return refund if refund is not None and refund.merchant_id == merchant_id else None

    def list(
        self, merchant_id: UUID, page: PageRequest, *, payment_id: UUID | None = None
    ) -> Page[Refund]:
        return _page(
            self._t.values(
                "refunds",
                lambda r: (
                    r.merchant_id == merchant_id
                    and (payment_id is None or r.payment_id == payment_id)
                ),
            ),
            page,
        )

    def for_payment(self, payment_id: UUID) -> Sequence[Refund]:
        return _newest_first(self._t.values("refunds", lambda r: r.payment_id == payment_id))


class _Outbox:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, event: PaymentEvent, *, deliver: bool, now: datetime) -> None:
        self._t.put(
            "events",
            event.id,
            WebhookEvent(
                event=event,
                delivery_status=DeliveryStatus.PENDING if deliver else DeliveryStatus.SKIPPED,
                attempts=0,
                next_attempt_at=now if deliver else None,
                last_attempt_at=None,
                created_at=now,
            ),
        )

    def get(self, event_id: UUID, merchant_id: UUID) -> WebhookEvent | None:
        record: WebhookEvent | None = self._t.get("events", event_id)
        return record if record is not None and record.event.merchant_id == merchant_id else None

    def list(self, merchant_id: UUID, page: PageRequest) -> Page[WebhookEvent]:
        return _page(self._t.values("events", lambda e: e.event.merchant_id == merchant_id), page)

    def list_attempts(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        event_id: UUID | None = None,
        payment_id: UUID | None = None,
    ) -> Page[WebhookAttempt]:
        return _page(
            self._t.values(
                "attempts",
                lambda a: (
                    a.merchant_id == merchant_id
                    and (event_id is None or a.event_id == event_id)
                    and (payment_id is None or a.payment_id == payment_id)
                ),
            ),
            page,
        )

    def requeue(self, event_id: UUID, now: datetime) -> None:
        record: WebhookEvent | None = self._t.get("events", event_id)
        if record is not None:
            record.delivery_status = DeliveryStatus.PENDING
            record.next_attempt_at = now
            self._t.put("events", event_id, record)

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> Sequence[Delivery]:
        due = sorted(
            self._t.values(
                "events",
                lambda e: (
                    e.delivery_status is DeliveryStatus.PENDING
                    and e.next_attempt_at is not None
                    and e.next_attempt_at <= now
                ),
            ),
            key=lambda e: (e.next_attempt_at, e.created_at, e.id),
        )
        claimed: list[Delivery] = []
        for record in due:
            if len(claimed) >= limit:
                break
            merchant: Merchant | None = self._t.get("merchants", record.event.merchant_id)
            if merchant is None or merchant.webhook_url is None:
                record.delivery_status = DeliveryStatus.SKIPPED
                record.next_attempt_at = None
            else:
                record.attempts += 1
                record.next_attempt_at = now + lease
                claimed.append(
                    Delivery(
                        copy.deepcopy(record),
                        record.attempts,
                        merchant.webhook_url,
                        merchant.webhook_secret,
                    )
                )
            self._t.put("events", record.id, record)
        return claimed

    def next_due_at(self) -> datetime | None:
        return min(
            (
                e.next_attempt_at
                for e in self._t.data["events"].values()
                if e.delivery_status is DeliveryStatus.PENDING and e.next_attempt_at is not None
            ),
            default=None,
        )

    def record_attempt(
        self, attempt: WebhookAttempt, status: DeliveryStatus, next_attempt_at: datetime | None
    ) -> None:
        self._t.put("attempts", attempt.id, attempt)
        record: WebhookEvent | None = self._t.get("events", attempt.event_id)
        if record is not None:
            record.delivery_status = status
            record.next_attempt_at = next_attempt_at
            record.last_attempt_at = attempt.created_at
            self._t.put("events", record.id, record)


class _Idempotency:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def claim(
        self, merchant_id: UUID, key: str, request_hash: str, now: datetime, stale_after: timedelta
    ) -> IdempotencyRecord | None:
        existing: IdempotencyRecord | None = self._t.get("idempotency", (merchant_id, key))
        if decide_claim(existing, request_hash, now, stale_after).outcome is not ClaimOutcome.OWNED:
            return existing
        self._t.put(
            "idempotency",
            (merchant_id, key),
            IdempotencyRecord(merchant_id, key, request_hash, None, now),
        )
        return None

    def complete(self, merchant_id: UUID, key: str, code: int, body: bytes, now: datetime) -> None:
        existing: IdempotencyRecord | None = self._t.get("idempotency", (merchant_id, key))
        if existing is not None:
            self._t.put(
                "idempotency",
                (merchant_id, key),
                attrs.evolve(existing, answer=StoredAnswer(code, body)),
            )

    def release(self, merchant_id: UUID, key: str) -> None:
        record = self._t.data["idempotency"].get((merchant_id, key))
        if record is not None and not record.completed:
            del self._t.data["idempotency"][(merchant_id, key)]

    def purge(self, before: datetime) -> int:
        old = [k for k, v in self._t.data["idempotency"].items() if v.created_at < before]
        for k in old:
            del self._t.data["idempotency"][k]
        return len(old)


class _Tokens:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add_refresh(self, token: RefreshToken) -> None:
        self._t.put("refresh_tokens", token.jti, token)

    def get_refresh(self, jti: UUID) -> RefreshToken | None:
        token: RefreshToken | None = self._t.get("refresh_tokens", jti)
        return token

    def _revoke_where(self, keep: Callable[[RefreshToken], bool]) -> None:
        for token in self._t.values("refresh_tokens", keep):
            token.revoked = True
            self._t.put("refresh_tokens", token.jti, token)

    def revoke_refresh(self, jti: UUID) -> None:
        self._revoke_where(lambda t: t.jti == jti)

    def revoke_family(self, family: UUID) -> None:
        self._revoke_where(lambda t: t.family == family)

    def revoke_user(self, user_id: UUID) -> None:
        self._revoke_where(lambda t: t.user_id == user_id)

    def is_family_revoked(self, family: UUID) -> bool:
        return not any(
            t.family == family and not t.revoked for t in self._t.data["refresh_tokens"].values()
        )

    def revoke_access(self, jti: UUID, expires_at: datetime) -> None:
        self._t.put("revoked_access", jti, expires_at)

    def is_access_revoked(self, jti: UUID) -> bool:
        return jti in self._t.data["revoked_access"]

    def purge_expired(self, now: datetime) -> int:
        gone = [k for k, exp in self._t.data["revoked_access"].items() if exp <= now]
        gone_refresh = [k for k, t in self._t.data["refresh_tokens"].items() if t.expires_at <= now]
        for k in gone:
            del self._t.data["revoked_access"][k]
        for k in gone_refresh:
            del self._t.data["refresh_tokens"][k]
        return len(gone) + len(gone_refresh)


class _Stats:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def _stats(self, merchant_id: UUID | None, period: StatsPeriod) -> PaymentStats:
        def mine(row: Any) -> bool:
            return (merchant_id is None or row.merchant_id == merchant_id) and period.contains(
                row.created_at
            )

        orders = self._t.values("orders", mine)
        payments = self._t.values("payments", mine)
        refunds = self._t.values("refunds", mine)
        paid: dict[Any, Decimal] = {}
        refunded: dict[Any, Decimal] = {}
        for p in payments:
            if p.status in SUCCESSFUL:
                paid[p.amount.currency] = paid.get(p.amount.currency, Decimal(0)) + p.amount.amount
        for r in refunds:
            refunded[r.amount.currency] = (
                refunded.get(r.amount.currency, Decimal(0)) + r.amount.amount
            )
        volume = tuple(
            CurrencyVolume(
                c,
                paid.get(c, Decimal(0)).quantize(c.quantum),
                refunded.get(c, Decimal(0)).quantize(c.quantum),
            )
            for c in sorted(set(paid) | set(refunded), key=lambda c: c.code)
        )
        successful = sum(1 for p in payments if p.status in SUCCESSFUL)
        failed = sum(1 for p in payments if p.status is PaymentStatus.FAILED)
        return PaymentStats(len(orders), successful, len(refunds), failed, len(payments), volume)

    def merchant_stats(self, merchant_id: UUID, period: StatsPeriod) -> PaymentStats:
        return self._stats(merchant_id, period)

    def global_stats(self, period: StatsPeriod) -> GlobalStats:
        users = _Users(self._t)
        return GlobalStats(
            users.count(Role.MERCHANT), users.count(Role.ADMIN), self._stats(None, period)
        )

    def _series(self, merchant_id: UUID | None, query: SeriesQuery) -> list[SeriesBucket]:
        """Each active bucket's figures by the totals' own definition, over its range."""

        def mine(row: Any) -> bool:
            return (
                merchant_id is None or row.merchant_id == merchant_id
            ) and query.period.contains(row.created_at)

        starts = {
            query.interval.floor(row.created_at)
            for table in ("orders", "payments", "refunds")
            for row in self._t.values(table, mine)
        }
        return [
            SeriesBucket(
                start, self._stats(merchant_id, StatsPeriod(start, start + query.interval.step))
            )
            for start in sorted(starts)
        ]

    def merchant_series(self, merchant_id: UUID, query: SeriesQuery) -> list[SeriesBucket]:
        return self._series(merchant_id, query)

    def global_series(self, query: SeriesQuery) -> list[SeriesBucket]:
        return self._series(None, query)


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryStore, *, read_only: bool = False) -> None:
        self._store = store
        self._read_only = read_only
        self._tables: _Tables | None = None

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        tables = self._tables = _Tables(self._store.tables)
        self.users = _Users(tables)
        self.merchants = _Merchants(tables)
        self.orders = _Orders(tables)
        self.payments = _Payments(tables)
        self.refunds = _Refunds(tables)
        self.outbox = _Outbox(tables)
        self.idempotency = _Idempotency(tables)
        self.tokens = _Tokens(tables)
        self.stats = _Stats(tables)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._tables = None
        self._store.lock.release()

    def commit(self) -> None:
        if self._tables is None:
            raise RuntimeError("commit() outside the unit of work")
        if self._read_only:
            return
        self._store.tables = self._tables.data
        self._tables = _Tables(self._store.tables)
        for repo in (
            self.users,
            self.merchants,
            self.orders,
            self.payments,
            self.refunds,
            self.outbox,
            self.idempotency,
            self.tokens,
            self.stats,
        ):
            repo._t = self._tables

    def rollback(self) -> None:
        if self._tables is not None:
            self._tables.data = {n: dict(r) for n, r in self._store.tables.items()}


# --- stateless test doubles ------------------------------------------------------------------


class FixedClock:
    """A clock that stands still until moved; every test controls time."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, now: datetime) -> None:
        with self._lock:
            self._now = now


class SequentialIds:
    """Reproducible UUIDs: 00000000-0000-4000-8000-000000000001, ...002, ..."""

    def __init__(self) -> None:
        self._next = 0
        self._lock = threading.Lock()

    def new_id(self) -> UUID:
        with self._lock:
            self._next += 1
            return UUID(int=(0x4000 << 64) | (0x8 << 60) | self._next)


class PlainPasswordHasher:
    """A fast salted SHA-256 stand-in for bcrypt. For tests only."""

    def hash(self, password: str) -> str:
        return "sha256$" + hashlib.sha256(b"paygate-test" + password.encode()).hexdigest()

    def verify(self, password: str, hashed: str | None) -> bool:
        candidate = self.hash(password)
        return hashed is not None and candidate == hashed


class UnsignedTokenService:
    """Opaque tokens kept in a dict; decode checks type and expiry against the clock."""

    def __init__(self, clock: FixedClock | Any) -> None:
        self._clock = clock
        self._issued: dict[str, TokenClaims] = {}
        self._lock = threading.Lock()

    def encode(self, claims: TokenClaims) -> str:
        token = f"{claims.type.value}.{claims.jti}"
        with self._lock:
            self._issued[token] = claims
        return token

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        with self._lock:
            claims = self._issued.get(token)
        if claims is None or claims.type is not expected:
            raise NotAuthenticated("Token is not valid")
        if claims.expires_at <= self._clock.now():
            raise NotAuthenticated("Token has expired")
        return claims


class InMemoryWebSessions:
    """The ``WebSessions`` port in one process's memory (thread-safe)."""

    def __init__(self) -> None:
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def add(self, session: WebSession) -> None:
        with self._lock:
            self._sessions[session.digest] = session

    def get(self, digest: str) -> WebSession | None:
        with self._lock:
            return self._sessions.get(digest)

    def touch(self, digest: str, seen_at: datetime) -> None:
        with self._lock:
            session = self._sessions.get(digest)
            if session is not None and seen_at > session.last_seen_at:
                self._sessions[digest] = attrs.evolve(session, last_seen_at=seen_at)

    def remove(self, digest: str) -> None:
        with self._lock:
            self._sessions.pop(digest, None)

    def purge(self, *, idle_before: datetime, started_before: datetime) -> int:
        with self._lock:
            ended = [
                d
                for d, s in self._sessions.items()
                if s.last_seen_at < idle_before or s.created_at < started_before
            ]
            for digest in ended:
                del self._sessions[digest]
            return len(ended)


class InMemoryEventFeed:
    """The ``EventFeed`` port over an ``InMemoryStore``: its committed events (a scan; for
    tests and demos)."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def after(
        self,
        merchant_id: UUID,
        position: tuple[datetime, UUID],
        limit: int,
    ) -> Sequence[WebhookEvent]:
        with self._store.lock:
            records = [
                record
                for record in self._store.tables["events"].values()
                if record.event.merchant_id == merchant_id
                and (record.created_at, record.id) > position
            ]
        records.sort(key=lambda record: (record.created_at, record.id))
        return records[:limit]
