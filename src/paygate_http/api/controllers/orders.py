"""``orders/``: create (idempotent), list and read the merchant's orders."""

from __future__ import annotations

import functools
from typing import Annotated
from uuid import UUID

from litestar import Response, get, post

from paygate_core.errors import ErrorCode
from paygate_core.idempotency import IdempotentAnswer
from paygate_core.orders import Order, OrderStatus
from paygate_core.use_cases.payments import CreateOrder
from paygate_http.api import payment_presenters as present
from paygate_http.api import presenters
from paygate_http.api.amounts import number_value
from paygate_http.api.checkout_links import CheckoutLinks, links_of
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import AnyRequest, PaygateDep, PrincipalDep
from paygate_http.api.params import Cursor, Limit, choice_rule, page_request, path_id
from paygate_http.api.payment_schemas import CreateOrderRequest
from paygate_http.api.responses import OrderCreatedResponse, OrderDetailResponse, OrderPageResponse
from paygate_http.api.route_docs import (
    BEARER_OR_KEY,
    DENIED,
    REPLAYED_HEADERS,
    documented_write,
    route_errors,
)
from paygate_http.api.write_routes import WriteRoute
from paygate_http.pipeline.auth import merchant_only
from paygate_http.pipeline.idempotency import IdempotencyMiddleware
from paygate_http.pipeline.request_bodies import JsonObject
from paygate_http.services import run_read

__all__ = [
    "CREATE_ORDER",
    "OrdersController",
    "create_order_command",
    "create_order_for",
    "order_created",
]

STATUS = choice_rule("status", [status.value for status in OrderStatus])
OrderStatusFilter = Annotated[str | None, STATUS.parameter("Only orders in this status", "paid")]
OrderIdParam = Annotated[str, path_id("The order's id (UUID)")]


def create_order_command(
    merchant_id: UUID, body: JsonObject, idempotency: IdempotentAnswer[Order] | None
) -> CreateOrder:
    """The raw fields for the core, which validates them and names bad fields only."""
    return CreateOrder(
        merchant_id=merchant_id,
        amount=number_value(body.get("amount")),
        currency=body.get("currency"),
        receipt=body.get("receipt"),
        notes=body.get("notes"),
        return_url=body.get("return_url"),
        idempotency=idempotency,
    )


def order_created(order: Order, links: CheckoutLinks | None = None) -> tuple[int, bytes]:
    """The answer to ``POST orders/`` (stored with the order under an Idempotency-Key)."""
    return presenters.rendered(201, "Order created successfully", present.order(order, links))


CREATE_ORDER: WriteRoute[CreateOrder, Order] = WriteRoute(
    command=create_order_command,
    use_case=lambda paygate: paygate.create_order,
    render=order_created,
)


def create_order_for(links: CheckoutLinks) -> WriteRoute[CreateOrder, Order]:
    """``CREATE_ORDER`` answering with this request's checkout links."""
    return WriteRoute(
        command=create_order_command,
        use_case=CREATE_ORDER.use_case,
        render=functools.partial(order_created, links=links),
    )


class OrdersController(ApiController):
    path = "/orders"
    tags = ["Orders"]
    before_request = staticmethod(merchant_only)
    security = BEARER_OR_KEY

    @post(
        "/",
        operation_id="createOrder",
        status_code=201,
        **documented_write(CreateOrderRequest, "order-inv-42"),
        middleware=[IdempotencyMiddleware],
        summary="Create an order",
        response_headers=REPLAYED_HEADERS,
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.INVALID_AMOUNT,
            *DENIED,
            body=True,
            idempotent=True,
            invalid=("amount", "is required"),
        ),
    )
    async def create(self, request: AnyRequest) -> Response[OrderCreatedResponse]:
        """``amount`` a JSON number or decimal string (never a float internally);
        ``currency`` defaults to INR and is returned uppercase."""
        return await create_order_for(links_of(request)).answer(request)

    @get(
        "/",
        operation_id="listOrders",
        summary="List orders",
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED, *DENIED, invalid=("status", STATUS.reason)
        ),
    )
    async def list_orders(
        self,
        request: AnyRequest,
        paygate: PaygateDep,
        principal: PrincipalDep,
        *,
        status: OrderStatusFilter = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[OrderPageResponse]:
        """The merchant's orders, newest first."""
        result = await run_read(
            request,
            paygate.list_orders,
            principal.require_merchant().id,
            page_request(limit, cursor),
            status=STATUS.check(status),
        )
        return Response(
            presenters.success(
                "Orders retrieved successfully",
                presenters.page(result, functools.partial(present.order, links=links_of(request))),
            )
        )

    @get(
        "/{order_id:str}",
        operation_id="getOrder",
        summary="An order with its payments",
        responses=route_errors(ErrorCode.ORDER_NOT_FOUND, *DENIED),
    )
    async def get_order(
        self,
        request: AnyRequest,
        paygate: PaygateDep,
        principal: PrincipalDep,
        order_id: OrderIdParam,
    ) -> Response[OrderDetailResponse]:
        """404 1008 for an unknown or malformed id and for another merchant's order."""
        details = await run_read(
            request, paygate.get_order, principal.require_merchant().id, order_id
        )
        return Response(
            presenters.success(
                "Order retrieved successfully", present.order_detail(details, links_of(request))
            )
        )
