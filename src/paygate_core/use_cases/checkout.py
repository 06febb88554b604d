"""Hosted checkout: what a shopper's checkout page shows, and paying from it.

A checkout page is opened by a token (``paygate_core.checkout``); everything it reads is
named by the token's ticket, so a genuine token for one order can reach nothing else.
The page pays with ``pay_order``, the use case of ``POST payments/``, once it has checked
``CheckoutView.locked``: an order with ``MAX_DECLINES`` declined payments no longer takes
payments from its checkout page (the merchant's API still pays it). The declines are
counted from the order's own payments (indexed by order): nothing extra is stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from paygate_core.checkout import MAX_DECLINES, CheckoutTicket
from paygate_core.errors import OrderNotFound
from paygate_core.orders import Order, OrderStatus
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.ports import UnitOfWork, UnitOfWorkFactory

__all__ = ["CheckoutView", "checkout_payment", "open_checkout"]


@attrs.frozen(repr=False)
class CheckoutView:
    """An order as its checkout page shows it."""

    order: Order
    merchant_name: str
    webhook_secret: str
    payments: Sequence[Payment]

    @property
    def declines(self) -> int:
        return sum(1 for payment in self.payments if payment.status is PaymentStatus.FAILED)

    @property
    def paid(self) -> bool:
        return self.order.status is OrderStatus.PAID

    @property
    def locked(self) -> bool:
        return not self.paid and self.declines >= MAX_DECLINES

    def __repr__(self) -> str:
        return f"CheckoutView(order={self.order.id!s})"


def _view(work: UnitOfWork, ticket: CheckoutTicket) -> CheckoutView:
    order = work.orders.get(ticket.order_id, ticket.merchant_id)
    merchant = work.merchants.get(ticket.merchant_id)
    user = work.users.get(merchant.user_id) if merchant is not None else None
    if order is None or merchant is None or user is None or user.deleted:
        raise OrderNotFound("Order not found")
    return CheckoutView(
        order, user.name, merchant.webhook_secret, tuple(work.payments.for_order(order.id))
    )


def open_checkout(ticket: CheckoutTicket, *, uow: UnitOfWorkFactory) -> CheckoutView:
    """The order of a genuine ticket with its merchant and payments; ``OrderNotFound`` when
    it (or its merchant) is gone."""
    with uow(read_only=True) as work:
        return _view(work, ticket)


def checkout_payment(
    ticket: CheckoutTicket, payment_id: object, *, uow: UnitOfWorkFactory
) -> tuple[CheckoutView, Payment]:
    """One payment of the ticket's order (``OrderNotFound`` for any other id)."""
    with uow(read_only=True) as work:
        view = _view(work, ticket)
    for payment in view.payments:
        if str(payment.id) == payment_id:
            return view, payment
    raise OrderNotFound("Order not found")
