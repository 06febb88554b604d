"""The ports: everything the use cases need from the outside world, as Protocols.

Adapters implement them (``paygate_adapters`` for SQL, bcrypt, JWT, aiohttp; the in-memory
ones in ``paygate_core.testing``). The ports are synchronous on purpose (ADR 0001): the core
embeds as-is in threads, Celery tasks and scripts; async hosts call it from a worker thread.

The values the ports exchange are defined beside their concepts (``payments``, ``accounts``,
``events``, ``web_sessions``, ...), so the concept modules never import this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from paygate_core.accounts import Merchant, MerchantAccount, MerchantSummary, Role, User
from paygate_core.cards import CardDetails
from paygate_core.events import (
    Delivery,
    DeliveryStatus,
    EventPosition,
    PaymentEvent,
    WebhookAttempt,
    WebhookEvent,
)
from paygate_core.idempotency import IdempotencyRecord
from paygate_core.money import Money
from paygate_core.orders import Order, OrderStatus
from paygate_core.pagination import Page, PageRequest
from paygate_core.payments import Payment, PaymentStatus, ProcessorDecision
from paygate_core.principals import Principal
from paygate_core.refunds import Refund
from paygate_core.stats import GlobalStats, PaymentStats, StatsPeriod
from paygate_core.stats_series import SeriesBucket, SeriesQuery
from paygate_core.tokens import RefreshToken, TokenClaims, TokenType
from paygate_core.web_sessions import WebSession

__all__ = [
    "Clock",
    "CredentialDirectory",
    "EventFeed",
    "EventOutbox",
    "IdGenerator",
    "IdempotencyStore",
    "MerchantRepository",
    "OrderRepository",
    "PasswordHasher",
    "PaymentProcessor",
    "PaymentRepository",
    "RefundRepository",
    "StatsReader",
    "TokenService",
    "TokenStore",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRepository",
    "WebSessions",
]


# --- services without state ---------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password: str, hashed: str | None) -> bool:
        """True on a match. With ``hashed=None`` it spends the same time and returns False,
        so unknown emails answer as slowly as wrong passwords."""
        ...


class TokenService(Protocol):
    def encode(self, claims: TokenClaims) -> str: ...

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        """The claims of a valid, unexpired token of the expected type; else NotAuthenticated."""
        ...


class PaymentProcessor(Protocol):
    def authorize(self, card: CardDetails, amount: Money) -> ProcessorDecision:
        """Approve or decline; raise ``ProcessorUnavailable`` when it cannot decide."""
        ...


# --- repositories and stores (bound to one unit of work) ------------------------------------


class UserRepository(Protocol):
    def add(self, user: User) -> None:
        """Insert; ``EmailAlreadyRegistered`` when the email is taken (any case)."""
        ...

    def update(self, user: User) -> None: ...

    def get(self, user_id: UUID) -> User | None:
        """Deleted users included: callers decide what deletion means for them."""
        ...

    def get_by_email(self, email: str) -> User | None: ...

    def list(
        self, page: PageRequest, *, role: Role | None = None, include_deleted: bool = False
    ) -> Page[User]: ...

    def count(self, role: Role) -> int:
        """Users of this role that are not deleted."""
        ...


class MerchantRepository(Protocol):
    def add(self, merchant: Merchant) -> None: ...

    def update(self, merchant: Merchant) -> None: ...

    def get(self, merchant_id: UUID) -> Merchant | None: ...

    def get_by_user(self, user_id: UUID) -> Merchant | None: ...

    def get_by_api_key(self, api_key: str) -> Merchant | None: ...

    def get_account_by_api_key(self, api_key: str) -> MerchantAccount | None:
        """The merchant with its user (deleted or not): what authenticating an API key
        needs on every request, in one read."""
        ...

    def list(
        self, page: PageRequest, *, include_deleted: bool = False, email_prefix: str | None = None
    ) -> Page[MerchantSummary]:
        """Newest first; ``email_prefix`` (lower case): only merchants whose user's email
        starts with it (an indexed range of ``users.email_lower``, not a scan)."""
        ...


class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...

    def update(self, order: Order) -> None: ...

    def get(self, order_id: UUID, merchant_id: UUID, *, for_update: bool = False) -> Order | None:
        """The merchant's order, or None (also for another merchant's order). ``for_update``
        locks it until the unit of work ends, serialising payments on one order."""
        ...

    def list(
        self, merchant_id: UUID, page: PageRequest, *, status: OrderStatus | None = None
    ) -> Page[Order]: ...


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> None: ...

    def update(self, payment: Payment) -> None: ...

    def get(
        self, payment_id: UUID, merchant_id: UUID, *, for_update: bool = False
    ) -> Payment | None:
        """``for_update`` serialises refunds and captures on one payment."""
        ...

    def list(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        status: PaymentStatus | None = None,
        order_id: UUID | None = None,
    ) -> Page[Payment]: ...

    def for_order(self, order_id: UUID) -> Sequence[Payment]:
        """The order's payments, newest first."""
        ...


class RefundRepository(Protocol):
    def add(self, refund: Refund) -> None: ...

    def get(self, refund_id: UUID, merchant_id: UUID) -> Refund | None: ...

    def list(
        self, merchant_id: UUID, page: PageRequest, *, payment_id: UUID | None = None
    ) -> Page[Refund]: ...

    def for_payment(self, payment_id: UUID) -> Sequence[Refund]:
        """The payment's refunds, newest first."""
        ...


class EventOutbox(Protocol):
    """The transactional outbox of domain events and the webhook delivery queue over it."""

    def add(self, event: PaymentEvent, *, deliver: bool, now: datetime) -> None:
        """Record an event in this unit of work; ``deliver=False`` (no webhook URL) records
        it as ``skipped``."""
        ...

    def get(self, event_id: UUID, merchant_id: UUID) -> WebhookEvent | None: ...

    def list(self, merchant_id: UUID, page: PageRequest) -> Page[WebhookEvent]: ...

    def list_attempts(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        event_id: UUID | None = None,
        payment_id: UUID | None = None,
    ) -> Page[WebhookAttempt]: ...

    def requeue(self, event_id: UUID, now: datetime) -> None:
        """Make the event due for one more delivery now (resend)."""
        ...

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> Sequence[Delivery]:
        """Claim up to ``limit`` due events, oldest first, skipping ones other workers hold.

        Each claim counts an attempt and hides the event until ``now + lease``: a worker that
        dies mid-delivery leaves it to be claimed again when the lease runs out. Events whose
        merchant has no webhook URL any more are marked ``skipped`` instead.
        """
        ...

    def record_attempt(
        self, attempt: WebhookAttempt, status: DeliveryStatus, next_attempt_at: datetime | None
    ) -> None:
        """Log an attempt and set the event's delivery status and next due time."""
        ...

    def next_due_at(self) -> datetime | None:
        """When the earliest event waiting for delivery is (or was) due, claimed ones at the
        end of their lease; None when none waits. A read, no lock: the dispatcher asks it
        often and claims only when something is due."""
        ...


class EventFeed(Protocol):
    """A merchant's committed events for live streams (``use_cases.live_events``): each read
    is its own short transaction, outside any unit of work, and sees only what committed."""

    def after(
        self,
        merchant_id: UUID,
        position: EventPosition,
        limit: int,
    ) -> Sequence[WebhookEvent]:
        """Up to ``limit`` of the merchant's events whose ``(created_at, id)`` comes after
        ``position``, in that order (an index range: ``(merchant_id, created_at, id)``)."""
        ...


class IdempotencyStore(Protocol):
    """Idempotency keys per merchant (``paygate_core.idempotency``)."""

    def claim(
        self, merchant_id: UUID, key: str, request_hash: str, now: datetime, stale_after: timedelta
    ) -> IdempotencyRecord | None:
        """None when this call now owns the key; else the record already there. An
        unfinished record older than ``stale_after`` is taken over (its owner died):
        ``idempotency.decide_claim`` is the rule."""
        ...

    def complete(self, merchant_id: UUID, key: str, code: int, body: bytes, now: datetime) -> None:
        """Store the finished answer ``(code, body)`` on the key."""
        ...

    def release(self, merchant_id: UUID, key: str) -> None:
        """Forget an unfinished key (an answer that must not be stored); a finished one
        (an answer committed with its change) stays."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete records created before ``before``; returns how many."""
        ...


class TokenStore(Protocol):
    def add_refresh(self, token: RefreshToken) -> None: ...

    def get_refresh(self, jti: UUID) -> RefreshToken | None: ...

    def revoke_refresh(self, jti: UUID) -> None: ...

    def revoke_family(self, family: UUID) -> None: ...

    def revoke_user(self, user_id: UUID) -> None:
        """Revoke every refresh token of the user, for good."""
        ...

    def is_family_revoked(self, family: UUID) -> bool:
        """True when no refresh token of this login is live (logged out, reuse detected,
        user deleted, or unknown): its access tokens must stop working too."""
        ...

    def revoke_access(self, jti: UUID, expires_at: datetime) -> None: ...

    def is_access_revoked(self, jti: UUID) -> bool: ...

    def purge_expired(self, now: datetime) -> int: ...


class StatsReader(Protocol):
    """Statistics computed where the data lives (SQL aggregates), never row by row."""

    def merchant_stats(self, merchant_id: UUID, period: StatsPeriod) -> PaymentStats: ...

    def global_stats(self, period: StatsPeriod) -> GlobalStats: ...

    def merchant_series(
        self,
        merchant_id: UUID,
        query: SeriesQuery,
    ) -> Sequence[SeriesBucket]:
        """The buckets of ``query``'s range with activity, by the totals' definitions (any
        order; the use case fills in the empty ones)."""
        ...

    def global_series(self, query: SeriesQuery) -> Sequence[SeriesBucket]:
        """As ``merchant_series``, for every merchant."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the ``with`` block without ``commit()`` rolls back."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def merchants(self) -> MerchantRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def payments(self) -> PaymentRepository: ...

    @property
    def refunds(self) -> RefundRepository: ...

    @property
    def outbox(self) -> EventOutbox: ...

    @property
    def tokens(self) -> TokenStore: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def stats(self) -> StatsReader: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work. ``read_only`` ones never write and take no write locks."""
        ...


class CredentialDirectory(Protocol):
    """Who a presented credential authenticates, as storage decides it at the time of the
    call: a change committed by any process (a revocation, a deleted user, a rotated key) is
    seen by the next call. Both methods raise ``NotAuthenticated`` for a credential that
    authenticates nobody.

    ``paygate_core.credentials.StoredCredentials`` reads storage on every call; an adapter
    may decorate it and remember answers while nothing that decides them has changed."""

    def by_api_key(self, api_key: str) -> Principal:
        """The merchant of the key and its user, while the user is not deleted."""
        ...

    def by_access_token(self, token: str) -> Principal:
        """The user (and merchant) of an access token whose signature and type hold, that is
        not revoked, whose login is not revoked and whose user is active. The token's expiry
        is the caller's to check against its clock: an answer may be served after it."""
        ...


# --- dashboard sessions (their own store, outside any unit of work) -------------------------


class WebSessions(Protocol):
    """Server-side sessions of the dashboard pages, shared by every worker process. Each
    call is its own transaction: a session outlives no unit of work and joins none."""

    def add(self, session: WebSession) -> None: ...

    def get(self, digest: str) -> WebSession | None: ...

    def touch(self, digest: str, seen_at: datetime) -> None:
        """Move ``last_seen_at`` forward (never back); an unknown digest is ignored."""
        ...

    def remove(self, digest: str) -> None:
        """End one session; an unknown digest is ignored."""
        ...

    def purge(self, *, idle_before: datetime, started_before: datetime) -> int:
        """Delete sessions last seen before ``idle_before`` or started before
        ``started_before``; the number deleted."""
        ...
