"""Wire schemas of the payment routes: orders, payments, refunds, statistics, webhooks.

msgspec Structs with examples; they drive the OpenAPI document and ``payment_presenters``
builds every response from them. Amounts are decimal strings with exactly the currency's
minor-unit digits (``"100.00"``, JPY ``"100"``), never JSON numbers. Request Structs are for
documentation only: bodies are parsed by ``json_body`` and validated by the core.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from paygate_core.events import DeliveryStatus, EventType, WebhookAttemptStatus
from paygate_core.orders import OrderStatus
from paygate_core.payments import PaymentStatus
from paygate_core.refunds import RefundStatus
from paygate_http.schemas import Timestamp, Uuid

__all__ = [
    "AdminMerchantStatsData",
    "CardData",
    "CardDetailsRequest",
    "CreateOrderRequest",
    "CreateRefundRequest",
    "GlobalStatsData",
    "MerchantStatsData",
    "OrderData",
    "OrderDetailData",
    "PayOrderRequest",
    "PaymentData",
    "PaymentDetailData",
    "PaymentSummary",
    "RefundData",
    "RefundDetailData",
    "VolumeData",
    "WebhookEventItem",
    "WebhookLogItem",
]

Amount = Annotated[str, Meta(examples=["100.00"], pattern=r"^[0-9]+(\.[0-9]+)?$",
                             description="Decimal string with the currency's minor-unit "
                                         "digits (JPY \"100\")")]
NetAmount = Annotated[str, Meta(examples=["3700.00"], pattern=r"^-?[0-9]+(\.[0-9]+)?$",
                                description="paid_amount - refunded_amount; negative when a "
                                            "period's refunds exceed its payments")]
Currency = Annotated[str, Meta(examples=["INR"], pattern=r"^[A-Z]{3}$",
                               description="ISO 4217 code, uppercase")]
AmountInput = Annotated[str, Meta(
    examples=["100.00"],
    description="A JSON number (100.00) or a plain decimal string (\"100.00\"); positive, "
                "no more decimals than the currency allows, at most 99,999,999.99; no "
                "exponent, NaN or Infinity")]
Count = Annotated[int, Meta(ge=0, examples=[40])]


# --- requests (documentation only) -------------------------------------------------------


class CreateOrderRequest(Struct):
    amount: AmountInput
    currency: Annotated[str, Meta(examples=["INR"], description="Default INR; any case")] \
        = "INR"
    receipt: Annotated[str, Meta(max_length=40, examples=["inv-42"])] | None = None
    notes: Annotated[dict[str, str] | None, Meta(examples=[{"k": "v"}],
                                                 description="At most 15 string pairs")] = None


class CardDetailsRequest(Struct):
    card_number: Annotated[str, Meta(examples=["4242 4242 4242 4242"],
                                     description="12 to 19 digits; spaces and hyphens "
                                                 "ignored. Never stored or returned.")]
    expiry: Annotated[str, Meta(examples=["12/30"], description="MM/YY or MM/YYYY")]
    cvv: Annotated[str, Meta(examples=["123"], description="3 or 4 digits. Never stored.")]


class PayOrderRequest(Struct):
    order_id: Uuid
    card_details: CardDetailsRequest


class CreateRefundRequest(Struct):
    payment_id: Uuid
    amount: Annotated[str | None, Meta(
        examples=["40.00"], description="Default: the whole refundable balance. A JSON "
                                        "number or a decimal string.")] = None
    reason: Annotated[str, Meta(max_length=255, examples=["customer request"])] | None = None


# --- orders, payments, refunds ---------------------------------------------------------------


class CardData(Struct):
    last4: Annotated[str, Meta(examples=["4242"], pattern=r"^[0-9]{4}$")]
    fingerprint: Annotated[str, Meta(examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822"
                                               "cd15d6c15b0f00a08"],
                                     pattern=r"^[0-9a-f]{64}$",
                                     description="HMAC-SHA256 of the card number")]


class PaymentData(Struct):
    payment_id: Uuid
    order: Annotated[str, Meta(examples=["5b7f3c1e-8a2d-4c6b-9e0f-1a2b3c4d5e6f"],
                               description="The order's id (same as order_id)")]
    order_id: Uuid
    amount: Amount
    currency: Currency
    status: PaymentStatus
    failure_reason: Annotated[str | None, Meta(examples=[None])]
    amount_refunded: Amount
    card: CardData
    created_at: Timestamp
    updated_at: Timestamp


class RefundData(Struct):
    refund_id: Uuid
    payment_id: Uuid
    order_id: Uuid
    amount: Amount
    currency: Currency
    status: RefundStatus
    reason: Annotated[str | None, Meta(examples=["customer request"])]
    created_at: Timestamp


class PaymentSummary(Struct):
    """The refunded payment as it stands after the refund."""

    payment_id: Uuid
    status: PaymentStatus
    amount_refunded: Amount


class RefundDetailData(RefundData):
    payment: PaymentSummary


class PaymentDetailData(PaymentData):
    refunds: list[RefundData]


class OrderData(Struct):
    order_id: Uuid
    amount: Amount
    currency: Currency
    status: OrderStatus
    receipt: Annotated[str | None, Meta(examples=["inv-42"])]
    notes: Annotated[dict[str, str], Meta(examples=[{"k": "v"}])]
    created_at: Timestamp
    updated_at: Timestamp


class OrderDetailData(OrderData):
    payments: list[PaymentData]


# --- statistics ----------------------------------------------------------------------------------


class VolumeData(Struct):
    currency: Currency
    paid_amount: Amount
    refunded_amount: Amount
    net_amount: NetAmount


SuccessRate = Annotated[float, Meta(ge=0, le=1, examples=[0.8],
                                    description="successful / total payments (0 if none)")]


class MerchantStatsData(Struct):
    total_orders: Count
    successful_payments: Count
    successful_refunds: Count
    canceled_payments: Count
    total_payments: Count
    success_rate: SuccessRate
    volume: list[VolumeData]


class AdminMerchantStatsData(Struct):
    merchant_id: Uuid
    email: Annotated[str, Meta(examples=["a@shop.example"])]
    name: Annotated[str, Meta(examples=["Shop"])]
    total_orders: Count
    successful_payments: Count
    successful_refunds: Count
    canceled_payments: Count
    total_payments: Count
    success_rate: SuccessRate
    volume: list[VolumeData]


class GlobalStatsData(Struct):
    total_merchants: Count
    total_admins: Count
    total_orders: Count
    total_successful_payments: Count
    total_successful_refunds: Count
    total_canceled_payments: Count
    total_payments: Count
    success_rate: SuccessRate
    volume: list[VolumeData]


# --- webhooks ----------------------------------------------------------------------------------


class WebhookEventItem(Struct):
    event_id: Uuid
    event: EventType
    payment_id: Uuid
    delivery_status: DeliveryStatus
    attempts: Count
    created_at: Timestamp
    last_attempt_at: Timestamp | None


class WebhookLogItem(Struct):
    log_id: Uuid
    event_id: Uuid
    event: EventType
    payment_id: Uuid
    attempt: Annotated[int, Meta(ge=1, examples=[1])]
    url: Annotated[str, Meta(examples=["https://shop.example/hooks"])]
    status: WebhookAttemptStatus
    http_status: Annotated[int | None, Meta(examples=[200])]
    response_body: Annotated[str | None, Meta(examples=['{"ok": true}'],
                                              description="The first KiB of the answer")]
    error: Annotated[str | None, Meta(examples=[None])]
    duration_ms: Annotated[int, Meta(ge=0, examples=[42])]
    created_at: Timestamp
