"""``Paygate``: every use case with its ports bound once, for embedding and the HTTP layer."""

from __future__ import annotations

from uuid import UUID

import attrs

from paygate_core.accounts import MerchantAccount, MerchantSummary, Role, User
from paygate_core.checkout import CheckoutTicket
from paygate_core.credentials import StoredCredentials
from paygate_core.events import WebhookAttempt, WebhookEvent
from paygate_core.idempotency import ClaimDecision
from paygate_core.orders import Order
from paygate_core.pagination import Page, PageRequest
from paygate_core.payments import Payment
from paygate_core.ports import (
    Clock,
    CredentialDirectory,
    IdGenerator,
    PasswordHasher,
    PaymentProcessor,
    TokenService,
    UnitOfWorkFactory,
)
from paygate_core.principals import Principal
from paygate_core.refunds import Refund
from paygate_core.stats import GlobalStats, PaymentStats, StatsPeriod
from paygate_core.stats_series import Series, SeriesQuery
from paygate_core.tokens import AuthSession
from paygate_core.use_cases import accounts, auth, checkout, payments, stats, webhooks
from paygate_core.use_cases import idempotency as idempotency_cases
from paygate_core.use_cases import stats_series as series_cases

__all__ = ["ALL_TIME", "Paygate"]

ALL_TIME = StatsPeriod()


@attrs.frozen
class Paygate:
    """The application: ports in, use cases out. Thread-safe when its ports are."""

    uow: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    processor: PaymentProcessor
    hasher: PasswordHasher
    tokens: TokenService
    card_key: bytes = attrs.field(repr=False)
    lifetimes: auth.TokenLifetimes = attrs.field(factory=auth.TokenLifetimes)
    # Accept literal loopback/private webhook URLs (local development and tests only).
    allow_private_webhooks: bool = False
    # Who credentials authenticate (an adapter may remember answers; by default: storage).
    credentials: CredentialDirectory = attrs.field(
        default=attrs.Factory(
            lambda self: StoredCredentials(self.uow, self.tokens), takes_self=True
        )
    )

    # --- authentication ------------------------------------------------------------------

    def register_merchant(self, cmd: auth.RegisterMerchant) -> auth.MerchantRegistration:
        return auth.register_merchant(
            cmd,
            uow=self.uow,
            clock=self.clock,
            ids=self.ids,
            hasher=self.hasher,
            tokens=self.tokens,
            lifetimes=self.lifetimes,
            allow_private_webhooks=self.allow_private_webhooks,
        )

    def register_admin(self, cmd: auth.RegisterAdmin) -> auth.AdminRegistration:
        return auth.register_admin(
            cmd,
            uow=self.uow,
            clock=self.clock,
            ids=self.ids,
            hasher=self.hasher,
            tokens=self.tokens,
            lifetimes=self.lifetimes,
        )

    def login(self, cmd: auth.Login) -> auth.LoginResult:
        return auth.login(
            cmd,
            uow=self.uow,
            clock=self.clock,
            ids=self.ids,
            hasher=self.hasher,
            tokens=self.tokens,
            lifetimes=self.lifetimes,
        )

    def refresh(self, token: str) -> AuthSession:
        return auth.refresh(
            token,
            uow=self.uow,
            clock=self.clock,
            ids=self.ids,
            tokens=self.tokens,
            lifetimes=self.lifetimes,
        )

    def logout(self, principal: Principal, refresh_token: str | None) -> None:
        auth.logout(principal, refresh_token, uow=self.uow, tokens=self.tokens)

    def authenticate_bearer(self, token: str) -> Principal:
        return auth.authenticate_bearer(token, credentials=self.credentials, clock=self.clock)

    def authenticate_api_key(self, api_key: str) -> Principal:
        return auth.authenticate_api_key(api_key, credentials=self.credentials)

    # --- accounts --------------------------------------------------------------------------

    def merchant_account(self, merchant_id: UUID) -> MerchantAccount:
        return accounts.get_merchant_account(merchant_id, uow=self.uow)

    def update_merchant(self, cmd: accounts.UpdateMerchant) -> MerchantAccount:
        return accounts.update_merchant(
            cmd, uow=self.uow, clock=self.clock, allow_private_webhooks=self.allow_private_webhooks
        )

    def rotate_api_key(self, merchant_id: UUID) -> str:
        return accounts.rotate_api_key(merchant_id, uow=self.uow, clock=self.clock)

    def rotate_webhook_secret(self, merchant_id: UUID) -> str:
        return accounts.rotate_webhook_secret(merchant_id, uow=self.uow, clock=self.clock)

    def list_users(
        self, page: PageRequest, *, role: Role | None = None, include_deleted: bool = False
    ) -> Page[User]:
        return accounts.list_users(page, role=role, include_deleted=include_deleted, uow=self.uow)

    def list_merchants(
        self, page: PageRequest, *, include_deleted: bool = False, email: object = None
    ) -> Page[MerchantSummary]:
        return accounts.list_merchants(
            page, include_deleted=include_deleted, email=email, uow=self.uow
        )

    def get_user(self, user_id: object) -> User:
        return accounts.get_user(user_id, uow=self.uow)

    def delete_user(self, actor: User, user_id: UUID) -> User:
        return accounts.delete_user(actor, user_id, uow=self.uow, clock=self.clock)

    def restore_user(self, user_id: UUID) -> User:
        return accounts.restore_user(user_id, uow=self.uow, clock=self.clock)

    # --- payments --------------------------------------------------------------------------

    def create_order(self, cmd: payments.CreateOrder) -> Order:
        return payments.create_order(
            cmd,
            uow=self.uow,
            clock=self.clock,
            ids=self.ids,
            allow_private_urls=self.allow_private_webhooks,
        )

    def get_order(self, merchant_id: UUID, order_id: object) -> payments.OrderDetails:
        return payments.get_order(merchant_id, order_id, uow=self.uow)

    def list_orders(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        status: object = None,
    ) -> Page[Order]:
        return payments.list_orders(merchant_id, page, status=status, uow=self.uow)

    def pay_order(self, cmd: payments.PayOrder) -> Payment:
        return payments.pay_order(
            cmd,
            uow=self.uow,
            clock=self.clock,
            ids=self.ids,
            processor=self.processor,
            card_key=self.card_key,
        )

    def capture_payment(self, merchant_id: UUID, payment_id: object) -> Payment:
        return payments.capture_payment(
            merchant_id, payment_id, uow=self.uow, clock=self.clock, ids=self.ids
        )

    def refund_payment(self, cmd: payments.RefundPayment) -> payments.RefundOutcome:
        return payments.refund_payment(cmd, uow=self.uow, clock=self.clock, ids=self.ids)

    def get_payment(self, merchant_id: UUID, payment_id: object) -> payments.PaymentDetails:
        return payments.get_payment(merchant_id, payment_id, uow=self.uow)

    def list_payments(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        status: object = None,
        order_id: object = None,
    ) -> Page[Payment]:
        return payments.list_payments(
            merchant_id, page, status=status, order_id=order_id, uow=self.uow
        )

    def get_refund(self, merchant_id: UUID, refund_id: object) -> Refund:
        return payments.get_refund(merchant_id, refund_id, uow=self.uow)

    def list_refunds(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        payment_id: object = None,
    ) -> Page[Refund]:
        return payments.list_refunds(merchant_id, page, payment_id=payment_id, uow=self.uow)

    # --- idempotency keys ------------------------------------------------------------------

    def claim_idempotency_key(
        self, merchant_id: UUID, key: str, request_hash: str
    ) -> ClaimDecision:
        return idempotency_cases.claim_key(
            merchant_id, key, request_hash, uow=self.uow, clock=self.clock
        )

    def complete_idempotency_key(self, merchant_id: UUID, key: str, code: int, body: bytes) -> None:
        idempotency_cases.complete_key(merchant_id, key, code, body, uow=self.uow, clock=self.clock)

    def release_idempotency_key(self, merchant_id: UUID, key: str) -> None:
        idempotency_cases.release_key(merchant_id, key, uow=self.uow)

    def purge_idempotency_keys(self) -> int:
        """Delete the records past their retention; how many went."""
        return idempotency_cases.purge_expired_keys(uow=self.uow, clock=self.clock)

    # --- hosted checkout -------------------------------------------------------------------

    def open_checkout(self, ticket: CheckoutTicket) -> checkout.CheckoutView:
        return checkout.open_checkout(ticket, uow=self.uow)

    def checkout_payment(
        self,
        ticket: CheckoutTicket,
        payment_id: object,
    ) -> tuple[checkout.CheckoutView, Payment]:
        return checkout.checkout_payment(ticket, payment_id, uow=self.uow)

    # --- statistics ------------------------------------------------------------------------

    def merchant_stats(
        self,
        merchant_id: UUID,
        period: StatsPeriod = ALL_TIME,
    ) -> PaymentStats:
        return stats.merchant_stats(merchant_id, period, uow=self.uow)

    def merchant_stats_for_admin(
        self,
        merchant_id: object,
        period: StatsPeriod = ALL_TIME,
    ) -> stats.MerchantStatsReport:
        return stats.merchant_stats_for_admin(merchant_id, period, uow=self.uow)

    def global_stats(self, period: StatsPeriod = ALL_TIME) -> GlobalStats:
        return stats.global_stats(period, uow=self.uow)

    # --- statistics over time ----------------------------------------------------------------

    def series_query(
        self,
        interval: object = None,
        start: object = None,
        end: object = None,
    ) -> SeriesQuery:
        """The API's ``interval``/``from``/``to`` as a query; defaults end at the current
        bucket's end by this clock (see ``SeriesQuery.parse``)."""
        return SeriesQuery.parse(interval, start, end, now=self.clock.now())

    def merchant_series(self, merchant_id: UUID, query: SeriesQuery | None = None) -> Series:
        """``query`` None: the last 30 days, per day."""
        return series_cases.merchant_series(merchant_id, query or self.series_query(), uow=self.uow)

    def merchant_series_for_admin(
        self,
        merchant_id: object,
        query: SeriesQuery | None = None,
    ) -> series_cases.MerchantSeriesReport:
        return series_cases.merchant_series_for_admin(
            merchant_id, query or self.series_query(), uow=self.uow
        )

    def global_series(self, query: SeriesQuery | None = None) -> Series:
        return series_cases.global_series(query or self.series_query(), uow=self.uow)

    # --- webhooks --------------------------------------------------------------------------

    def list_webhook_events(self, merchant_id: UUID, page: PageRequest) -> Page[WebhookEvent]:
        return webhooks.list_events(merchant_id, page, uow=self.uow)

    def list_webhook_attempts(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        event_id: object = None,
        payment_id: object = None,
    ) -> Page[WebhookAttempt]:
        return webhooks.list_attempts(
            merchant_id, page, event_id=event_id, payment_id=payment_id, uow=self.uow
        )

    def resend_webhook_event(self, merchant_id: UUID, event_id: object) -> WebhookEvent:
        return webhooks.resend_event(merchant_id, event_id, uow=self.uow, clock=self.clock)
