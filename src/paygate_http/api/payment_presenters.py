"""Payment-side domain objects -> response Structs (``payment_schemas``), in one place.

IDs become strings, timestamps ``format_timestamp`` (RFC 3339, ``Z``), amounts
``Money.format()`` (exactly the currency's minor-unit digits). The card appears only as its
last four digits and fingerprint: the full number and the CVV never reach this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from paygate_core.events import WebhookAttempt, WebhookEvent
from paygate_core.orders import Order
from paygate_core.payments import Payment
from paygate_core.refunds import Refund
from paygate_core.stats import CurrencyVolume, GlobalStats, PaymentStats
from paygate_core.stats_series import Series
from paygate_core.timestamps import format_timestamp
from paygate_core.use_cases.payments import OrderDetails, PaymentDetails, RefundOutcome
from paygate_core.use_cases.stats import MerchantStatsReport
from paygate_http.api.checkout_links import CheckoutLinks
from paygate_http.api.payment_schemas import (
    AdminMerchantStatsData,
    CardData,
    GlobalStatsData,
    MerchantStatsData,
    OrderData,
    OrderDetailData,
    PaymentData,
    PaymentDetailData,
    PaymentSummary,
    RefundData,
    RefundDetailData,
    StatsSeriesBucket,
    StatsSeriesData,
    VolumeData,
    WebhookEventItem,
    WebhookLogItem,
)

__all__ = [
    "admin_merchant_stats",
    "global_stats",
    "merchant_stats",
    "order",
    "order_detail",
    "payment",
    "payment_detail",
    "refund",
    "refund_detail",
    "refund_outcome",
    "stats_series",
    "webhook_event",
    "webhook_log",
]


OrderT = TypeVar("OrderT", bound=OrderData)
PaymentT = TypeVar("PaymentT", bound=PaymentData)
RefundT = TypeVar("RefundT", bound=RefundData)
StatsT = TypeVar("StatsT", MerchantStatsData, AdminMerchantStatsData)


def _order_as(cls: type[OrderT], value: Order, links: CheckoutLinks | None, **extra: Any) -> OrderT:
    return cls(
        order_id=str(value.id),
        amount=value.amount.format(),
        currency=value.amount.currency.code,
        status=value.status,
        receipt=value.receipt,
        notes=dict(value.notes),
        created_at=format_timestamp(value.created_at),
        updated_at=format_timestamp(value.updated_at),
        return_url=value.return_url,
        checkout_url=None if links is None else links.url_for(value),
        **extra,
    )


def order(value: Order, links: CheckoutLinks | None) -> OrderData:
    """``links`` None (an answer rendered away from any request) leaves out the checkout
    address: ``checkout_url`` is null."""
    return _order_as(OrderData, value, links)


def order_detail(details: OrderDetails, links: CheckoutLinks | None) -> OrderDetailData:
    """The order's fields, then ``payments`` (newest first)."""
    return _order_as(
        OrderDetailData, details.order, links, payments=[payment(item) for item in details.payments]
    )


def _payment_as(cls: type[PaymentT], value: Payment, **extra: Any) -> PaymentT:
    order_id = str(value.order_id)
    return cls(
        payment_id=str(value.id),
        order=order_id,
        order_id=order_id,
        amount=value.amount.format(),
        currency=value.amount.currency.code,
        status=value.status,
        failure_reason=value.failure_reason,
        amount_refunded=value.amount_refunded.format(),
        card=CardData(last4=value.card_last4, fingerprint=value.card_fingerprint),
        created_at=format_timestamp(value.created_at),
        updated_at=format_timestamp(value.updated_at),
        **extra,
    )


def payment(value: Payment) -> PaymentData:
    return _payment_as(PaymentData, value)


def payment_detail(details: PaymentDetails) -> PaymentDetailData:
    """The payment's fields, then ``refunds`` (newest first)."""
    return _payment_as(
        PaymentDetailData, details.payment, refunds=[refund(item) for item in details.refunds]
    )


def _refund_as(cls: type[RefundT], value: Refund, **extra: Any) -> RefundT:
    return cls(
        refund_id=str(value.id),
        payment_id=str(value.payment_id),
        order_id=str(value.order_id),
        amount=value.amount.format(),
        currency=value.amount.currency.code,
        status=value.status,
        reason=value.reason,
        created_at=format_timestamp(value.created_at),
        **extra,
    )


def refund(value: Refund) -> RefundData:
    return _refund_as(RefundData, value)


def refund_detail(value: Refund, of_payment: Payment) -> RefundDetailData:
    """A refund with ``payment: {payment_id, status, amount_refunded}`` as given."""
    summary = PaymentSummary(
        payment_id=str(of_payment.id),
        status=of_payment.status,
        amount_refunded=of_payment.amount_refunded.format(),
    )
    return _refund_as(RefundDetailData, value, payment=summary)


def refund_outcome(outcome: RefundOutcome) -> RefundDetailData:
    return refund_detail(outcome.refund, outcome.payment)


def _volume(value: CurrencyVolume) -> VolumeData:
    quantum = value.currency.quantum
    return VolumeData(
        currency=value.currency.code,
        paid_amount=f"{value.paid_amount.quantize(quantum):f}",
        refunded_amount=f"{value.refunded_amount.quantize(quantum):f}",
        net_amount=f"{value.net_amount.quantize(quantum):f}",
    )


def _volumes(stats: PaymentStats) -> list[VolumeData]:
    return [_volume(item) for item in sorted(stats.volume, key=lambda v: v.currency.code)]


def _stats_as(cls: type[StatsT], stats: PaymentStats, **extra: Any) -> StatsT:
    return cls(
        total_orders=stats.total_orders,
        successful_payments=stats.successful_payments,
        successful_refunds=stats.successful_refunds,
        canceled_payments=stats.canceled_payments,
        total_payments=stats.total_payments,
        success_rate=stats.success_rate,
        volume=_volumes(stats),
        **extra,
    )


def merchant_stats(stats: PaymentStats) -> MerchantStatsData:
    return _stats_as(MerchantStatsData, stats)


def admin_merchant_stats(report: MerchantStatsReport) -> AdminMerchantStatsData:
    """One merchant's figures with its ``merchant_id``, ``email`` and ``name``."""
    user = report.account.user
    return _stats_as(
        AdminMerchantStatsData,
        report.stats,
        merchant_id=str(report.account.merchant.id),
        email=user.email,
        name=user.name,
    )


def global_stats(stats: GlobalStats) -> GlobalStatsData:
    figures = stats.payments
    return GlobalStatsData(
        total_merchants=stats.total_merchants,
        total_admins=stats.total_admins,
        total_orders=figures.total_orders,
        total_successful_payments=figures.successful_payments,
        total_successful_refunds=figures.successful_refunds,
        total_canceled_payments=figures.canceled_payments,
        total_payments=figures.total_payments,
        success_rate=figures.success_rate,
        volume=_volumes(figures),
    )


def _bucket_instant(moment: datetime) -> str:
    """``2026-11-01T00:00:00Z``: bucket boundaries are whole hours."""
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def stats_series(series: Series) -> StatsSeriesData:
    query = series.query
    return StatsSeriesData(
        interval=query.interval.value,
        from_=_bucket_instant(query.start),
        to=_bucket_instant(query.end),
        buckets=[
            StatsSeriesBucket(
                start=_bucket_instant(bucket.start),
                orders=bucket.stats.total_orders,
                successful_payments=bucket.stats.successful_payments,
                canceled_payments=bucket.stats.canceled_payments,
                successful_refunds=bucket.stats.successful_refunds,
                volume=_volumes(bucket.stats),
            )
            for bucket in series.buckets
        ],
    )


def webhook_event(value: WebhookEvent) -> WebhookEventItem:
    return WebhookEventItem(
        event_id=str(value.id),
        event=value.event.type,
        payment_id=str(value.event.payment_id),
        delivery_status=value.delivery_status,
        attempts=value.attempts,
        created_at=format_timestamp(value.created_at),
        last_attempt_at=format_timestamp(value.last_attempt_at) if value.last_attempt_at else None,
    )


def webhook_log(value: WebhookAttempt) -> WebhookLogItem:
    return WebhookLogItem(
        log_id=str(value.id),
        event_id=str(value.event_id),
        event=value.event_type,
        payment_id=str(value.payment_id),
        attempt=value.attempt,
        url=value.url,
        status=value.status,
        http_status=value.http_status,
        response_body=value.response_body,
        error=value.error,
        duration_ms=value.duration_ms,
        created_at=format_timestamp(value.created_at),
    )
