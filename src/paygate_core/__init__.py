"""Paygate's domain core: money, cards, orders, payments, refunds, accounts, events, ports
and use cases. Imports only the standard library and attrs; performs no I/O."""

from paygate_core.accounts import Merchant, MerchantAccount, Role, User
from paygate_core.cards import CardDetails, card_fingerprint, parse_card
from paygate_core.errors import ErrorCode, PaygateError
from paygate_core.events import (
    DeliveryStatus,
    EventType,
    PaymentEvent,
    WebhookAttempt,
    WebhookEvent,
)
from paygate_core.gateway import Paygate
from paygate_core.idempotency import IdempotentAnswer
from paygate_core.money import CURRENCIES, Currency, Money, currency_of, parse_amount
from paygate_core.orders import Order, OrderStatus
from paygate_core.pagination import Page, PageRequest
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.principals import CredentialKind, Principal
from paygate_core.refunds import Refund, RefundStatus
from paygate_core.simulator import SimulatedProcessor
from paygate_core.stats import CurrencyVolume, GlobalStats, PaymentStats, StatsPeriod
from paygate_core.system import SystemClock, UUID4Ids, UUID7Ids
from paygate_core.use_cases.accounts import UpdateMerchant
from paygate_core.use_cases.auth import (
    Login,
    RegisterAdmin,
    RegisterMerchant,
    TokenLifetimes,
)
from paygate_core.use_cases.payments import CreateOrder, PayOrder, RefundPayment

__all__ = [
    "CURRENCIES",
    "CardDetails",
    "CreateOrder",
    "CredentialKind",
    "Currency",
    "CurrencyVolume",
    "DeliveryStatus",
    "ErrorCode",
    "EventType",
    "GlobalStats",
    "IdempotentAnswer",
    "Login",
    "Merchant",
    "MerchantAccount",
    "Money",
    "Order",
    "OrderStatus",
    "Page",
    "PageRequest",
    "PayOrder",
    "Paygate",
    "PaygateError",
    "Payment",
    "PaymentEvent",
    "PaymentStats",
    "PaymentStatus",
    "Principal",
    "Refund",
    "RefundPayment",
    "RefundStatus",
    "RegisterAdmin",
    "RegisterMerchant",
    "Role",
    "SimulatedProcessor",
    "StatsPeriod",
    "SystemClock",
    "TokenLifetimes",
    "UUID4Ids",
    "UUID7Ids",
    "UpdateMerchant",
    "User",
    "WebhookAttempt",
    "WebhookEvent",
    "card_fingerprint",
    "currency_of",
    "parse_amount",
    "parse_card",
]
