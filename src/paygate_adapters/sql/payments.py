"""Orders, payments and refunds. Each insert (and each payment update that changes its
success category) records its statistics delta in the same unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, bindparam, insert, select, update

from paygate_adapters.sql.prepared import Prepared
from paygate_adapters.sql.tables import orders, payments, refunds
from paygate_adapters.sql.types import money_from_minor, to_minor
from paygate_adapters.sql.work_connection import WorkConnection
from paygate_core.orders import Order, OrderStatus
from paygate_core.pagination import Page, PageRequest
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.refunds import Refund, RefundStatus

__all__ = ["SqlOrders", "SqlPayments", "SqlRefunds"]


def _order(row: Any) -> Order:
    return Order(
        id=row.id,
        merchant_id=row.merchant_id,
        amount=money_from_minor(row.amount_minor, row.currency),
        status=OrderStatus(row.status),
        receipt=row.receipt,
        notes=dict(row.notes),
        created_at=row.created_at,
        updated_at=row.updated_at,
        return_url=row.return_url,
    )


def _order_values(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "merchant_id": order.merchant_id,
        "amount_minor": to_minor(order.amount),
        "currency": order.amount.currency.code,
        "status": order.status.value,
        "receipt": order.receipt,
        "notes": order.notes,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "return_url": order.return_url,
    }


def _payment(row: Any) -> Payment:
    return Payment(
        id=row.id,
        order_id=row.order_id,
        merchant_id=row.merchant_id,
        amount=money_from_minor(row.amount_minor, row.currency),
        status=PaymentStatus(row.status),
        failure_reason=row.failure_reason,
        amount_refunded=money_from_minor(row.amount_refunded_minor, row.currency),
        card_last4=row.card_last4,
        card_fingerprint=row.card_fingerprint,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _payment_values(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "order_id": payment.order_id,
        "merchant_id": payment.merchant_id,
        "amount_minor": to_minor(payment.amount),
        "amount_refunded_minor": to_minor(payment.amount_refunded),
        "currency": payment.amount.currency.code,
        "status": payment.status.value,
        "failure_reason": payment.failure_reason,
        "card_last4": payment.card_last4,
        "card_fingerprint": payment.card_fingerprint,
        "created_at": payment.created_at,
        "updated_at": payment.updated_at,
    }


def _order_changes(order: Order) -> dict[str, Any]:
    return {"key_id": order.id, "status": order.status.value, "updated_at": order.updated_at}


def _payment_changes(payment: Payment) -> dict[str, Any]:
    return {
        "key_id": payment.id,
        "status": payment.status.value,
        "failure_reason": payment.failure_reason,
        "amount_refunded_minor": to_minor(payment.amount_refunded),
        "updated_at": payment.updated_at,
    }


def _refund(row: Row[Any]) -> Refund:
    return Refund(
        id=row.id,
        payment_id=row.payment_id,
        order_id=row.order_id,
        merchant_id=row.merchant_id,
        amount=money_from_minor(row.amount_minor, row.currency),
        status=RefundStatus(row.status),
        reason=row.reason,
        created_at=row.created_at,
    )


def _refund_values(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "payment_id": refund.payment_id,
        "order_id": refund.order_id,
        "merchant_id": refund.merchant_id,
        "amount_minor": to_minor(refund.amount),
        "currency": refund.amount.currency.code,
        "status": refund.status.value,
        "reason": refund.reason,
        "created_at": refund.created_at,
        "updated_at": refund.created_at,  # refunds never change
    }


# The hot statements, built once and run by ``Prepared`` (prepared.py): on SQLite straight
# on the driver's cursor; values travel as parameters.
_ORDER_COLUMNS = tuple(column.name for column in orders.c)
_PAYMENT_COLUMNS = tuple(column.name for column in payments.c)
_REFUND_COLUMNS = tuple(column.name for column in refunds.c)
# Updates write only what the domain can change after creation (``_order_changes``,
# ``_payment_changes``): rewriting the key, the merchant or the creation time too makes
# SQLite re-check foreign keys and indexes for nothing.
_ORDER_CHANGES = ("status", "updated_at")
_PAYMENT_CHANGES = ("status", "failure_reason", "amount_refunded_minor", "updated_at")

_INSERT_ORDER = Prepared(insert(orders), columns=_ORDER_COLUMNS)
_UPDATE_ORDER = Prepared(
    update(orders)
    .where(orders.c.id == bindparam("key_id"))
    .values({name: bindparam(name) for name in _ORDER_CHANGES})
)
_ORDER_BY_ID = select(orders).where(
    orders.c.id == bindparam("key_id"), orders.c.merchant_id == bindparam("key_merchant_id")
)
_SELECT_ORDER = Prepared(_ORDER_BY_ID)
_SELECT_ORDER_FOR_UPDATE = Prepared(_ORDER_BY_ID.with_for_update())
_INSERT_PAYMENT = Prepared(insert(payments), columns=_PAYMENT_COLUMNS)
_UPDATE_PAYMENT = Prepared(
    update(payments)
    .where(payments.c.id == bindparam("key_id"))
    .values({name: bindparam(name) for name in _PAYMENT_CHANGES})
)
_PAYMENT_STATUS = select(payments.c.status).where(payments.c.id == bindparam("key_id"))
_PAYMENT_BY_ID = select(payments).where(
    payments.c.id == bindparam("key_id"), payments.c.merchant_id == bindparam("key_merchant_id")
)
_SELECT_PAYMENT = Prepared(_PAYMENT_BY_ID)
_SELECT_PAYMENT_FOR_UPDATE = Prepared(_PAYMENT_BY_ID.with_for_update())
_INSERT_REFUND = Prepared(insert(refunds), columns=_REFUND_COLUMNS)


class SqlOrders:
    def __init__(self, context: WorkConnection) -> None:
        self._c = context

    def add(self, order: Order) -> None:
        self._c.run(_INSERT_ORDER, _order_values(order))
        self._c.rollup.order_added(order)

    def update(self, order: Order) -> None:
        self._c.run(_UPDATE_ORDER, _order_changes(order))

    def get(
        self,
        order_id: UUID,
        merchant_id: UUID,
        *,
        for_update: bool = False,
    ) -> Order | None:
        return self._c.first(
            _SELECT_ORDER_FOR_UPDATE if self._c.locks(for_update) else _SELECT_ORDER,
            _order,
            {"key_id": order_id, "key_merchant_id": merchant_id},
        )

    def list(
        self, merchant_id: UUID, page: PageRequest, *, status: OrderStatus | None = None
    ) -> Page[Order]:
        stmt = select(orders).where(orders.c.merchant_id == merchant_id)
        if status is not None:
            stmt = stmt.where(orders.c.status == status.value)
        return self._c.page(stmt, orders, page, _order)


class SqlPayments:
    def __init__(self, context: WorkConnection) -> None:
        self._c = context

    def add(self, payment: Payment) -> None:
        self._c.run(_INSERT_PAYMENT, _payment_values(payment))
        self._c.rollup.payment_added(payment)

    def update(self, payment: Payment) -> None:
        values = _payment_changes(payment)
        if not self._c.rollup.records:
            self._c.run(_UPDATE_PAYMENT, values)
            return
        # The stored status tells whether the success category changed (pending -> ...).
        before = self._c.connection.execute(
            _PAYMENT_STATUS, {"key_id": payment.id}
        ).scalar_one_or_none()
        self._c.run(_UPDATE_PAYMENT, values)
        if before is not None:
            self._c.rollup.payment_changed(PaymentStatus(before), payment)

    def get(
        self,
        payment_id: UUID,
        merchant_id: UUID,
        *,
        for_update: bool = False,
    ) -> Payment | None:
        return self._c.first(
            _SELECT_PAYMENT_FOR_UPDATE if self._c.locks(for_update) else _SELECT_PAYMENT,
            _payment,
            {"key_id": payment_id, "key_merchant_id": merchant_id},
        )

    def list(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        status: PaymentStatus | None = None,
        order_id: UUID | None = None,
    ) -> Page[Payment]:
        stmt = select(payments).where(payments.c.merchant_id == merchant_id)
        if status is not None:
            stmt = stmt.where(payments.c.status == status.value)
        if order_id is not None:
            stmt = stmt.where(payments.c.order_id == order_id)
        return self._c.page(stmt, payments, page, _payment)

    def for_order(self, order_id: UUID) -> Sequence[Payment]:
        return self._c.all(
            select(payments)
            .where(payments.c.order_id == order_id)
            .order_by(payments.c.created_at.desc(), payments.c.id.desc()),
            _payment,
        )


class SqlRefunds:
    def __init__(self, context: WorkConnection) -> None:
        self._c = context

    def add(self, refund: Refund) -> None:
        self._c.run(_INSERT_REFUND, _refund_values(refund))
        self._c.rollup.refund_added(refund)

    def get(self, refund_id: UUID, merchant_id: UUID) -> Refund | None:
        return self._c.one(
            select(refunds).where(refunds.c.id == refund_id, refunds.c.merchant_id == merchant_id),
            _refund,
        )

    def list(
        self, merchant_id: UUID, page: PageRequest, *, payment_id: UUID | None = None
    ) -> Page[Refund]:
        stmt = select(refunds).where(refunds.c.merchant_id == merchant_id)
        if payment_id is not None:
            stmt = stmt.where(refunds.c.payment_id == payment_id)
        return self._c.page(stmt, refunds, page, _refund)

    def for_payment(self, payment_id: UUID) -> Sequence[Refund]:
        return self._c.all(
            select(refunds)
            .where(refunds.c.payment_id == payment_id)
            .order_by(refunds.c.created_at.desc(), refunds.c.id.desc()),
            _refund,
        )
