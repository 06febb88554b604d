"""The merchant's ``Orders`` page (newest first, paged, filtered by status, with the ``New
order`` form) and an order's page with its payments.

``Create order`` runs the API's ``create_order`` use case with the form's text as the raw
fields (an empty ``Amount`` is a missing amount, an empty ``Receipt`` none), so its checks
and error words are the API's. An unpaid order's page offers its hosted checkout link
(``checkout_url_of``, the API's ``checkout_url``) with ``Copy checkout link``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath

from paygate_core.errors import InvalidAmount, ValidationFailed
from paygate_core.money import CURRENCIES, DEFAULT_CURRENCY
from paygate_core.orders import Order, OrderStatus
from paygate_core.use_cases.payments import CreateOrder
from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.api.checkout_links import links_of
from paygate_http.pipeline.errors import status_for
from paygate_http.services import run_read, run_write, services_of
from paygate_http.web.access import merchant_pages
from paygate_http.web.forms import FormState, read_form
from paygate_http.web.merchant_common import (
    AnyRequest,
    done,
    listing_of,
    merchant_of,
    render_merchant_page,
)
from paygate_http.web.pages import DASHBOARD_PATH

__all__ = ["ORDERS_PATH", "OrderPages", "checkout_url_of"]

ORDERS_PATH = f"{DASHBOARD_PATH}/merchant/orders"
ORDER_FIELDS = ("amount", "currency", "receipt")
ORDER_STATUSES = tuple(status.value for status in OrderStatus)


def checkout_url_of(order: Order, request: AnyRequest) -> str | None:
    """The order's hosted checkout address (``PAYGATE_PUBLIC_URL`` or this request's
    origin): the same link as the API's ``checkout_url``."""
    return links_of(request).url_for(order)


def _create_command(merchant_id: UUID, values: dict[str, str]) -> CreateOrder:
    return CreateOrder(
        merchant_id=merchant_id,
        amount=values["amount"].strip() or None,
        currency=values["currency"] or None,
        receipt=values["receipt"] or None,
    )


async def _orders_page(
    request: AnyRequest, signed: SignedIn, form: FormState, status_code: int = 200
) -> Response[Any]:
    assert signed.merchant is not None
    listing = listing_of(request, ORDERS_PATH)
    page = await run_read(
        request,
        services_of(request).paygate.list_orders,
        signed.merchant.id,
        listing.page_request,
        status=listing.status_filter,
    )
    return render_merchant_page(
        request,
        signed,
        "orders.html.j2",
        title="Orders",
        status_code=status_code,
        form=form,
        orders=page.items,
        listing=listing,
        next_href=listing.next_href(page),
        statuses=ORDER_STATUSES,
        currencies=sorted(CURRENCIES),
        default_currency=DEFAULT_CURRENCY.code,
    )


class OrderPages(Controller):
    path = "/merchant/orders"
    guards = [merchant_pages]
    include_in_schema = False

    @get("/", name="dashboard-merchant-orders")
    async def orders(self, request: AnyRequest) -> Response[Any]:
        signed, _ = await merchant_of(request)
        return await _orders_page(request, signed, FormState())

    @post("/", status_code=303)
    async def create(self, request: AnyRequest) -> Response[Any]:
        signed, merchant = await merchant_of(request)
        values, _ = await read_form(request, *ORDER_FIELDS)
        try:
            order = await run_write(
                request,
                services_of(request).paygate.create_order,
                _create_command(merchant.id, values),
            )
        except (ValidationFailed, InvalidAmount) as exc:
            return await _orders_page(
                request, signed, FormState.refused(values, exc), status_for(exc)
            )
        return done(request, signed, f"{ORDERS_PATH}/{order.id}", "order-created")

    @get("/{order_id:str}", name="dashboard-merchant-order")
    async def order(self, request: AnyRequest, order_id: FromPath[str]) -> Response[Any]:
        signed, merchant = await merchant_of(request)
        details = await run_read(
            request, services_of(request).paygate.get_order, merchant.id, order_id
        )
        order = details.order
        unpaid = order.status is not OrderStatus.PAID
        return render_merchant_page(
            request,
            signed,
            "order.html.j2",
            title=f"Order {order.id}",
            order=order,
            payments=details.payments,
            unpaid=unpaid,
            checkout_url=checkout_url_of(order, request) if unpaid else None,
        )
