"""``orders/``: create (idempotent), list and read the merchant's orders."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import Parameter, QueryParameter

from paygate_core.errors import ErrorCode
from paygate_core.idempotency import IdempotentAnswer
from paygate_core.orders import Order
from paygate_core.use_cases.payments import CreateOrder
from paygate_http import payment_presenters as present
from paygate_http import presenters
from paygate_http.auth import merchant_only
from paygate_http.dependencies import AnyRequest, PaygateDep, PrincipalDep
from paygate_http.idempotency import IdempotencyMiddleware
from paygate_http.json_body import JsonObject
from paygate_http.json_writes import JsonWrite, documented_write
from paygate_http.params import Cursor, Limit, page_request
from paygate_http.payment_docs import (
    BEARER_OR_KEY,
    DENIED,
    REPLAYED_HEADERS,
    route_errors,
)
from paygate_http.payment_schemas import CreateOrderRequest, OrderData, OrderDetailData
from paygate_http.runtime import run_blocking
from paygate_http.schemas import PageData, Success

__all__ = ["CREATE_ORDER", "OrdersController", "create_order_command", "order_created"]

OrderStatusFilter = Annotated[str | None, QueryParameter(
    name="status", description="created, paid or failed", required=False,
    examples=[Example(value="paid")])]
OrderIdParam = Annotated[str, Parameter(description="The order's id (UUID)")]


def create_order_command(merchant_id: UUID, body: JsonObject,
                         idempotency: IdempotentAnswer[Order] | None) -> CreateOrder:
    """The raw fields for the core, which validates them and names bad fields only."""
    return CreateOrder(merchant_id=merchant_id, amount=body.get("amount"),
                       currency=body.get("currency"), receipt=body.get("receipt"),
                       notes=body.get("notes"), idempotency=idempotency)


def order_created(order: Order) -> tuple[int, bytes]:
    """The answer to ``POST orders/`` (stored with the order under an Idempotency-Key)."""
    return presenters.rendered(201, "Order created successfully", present.order(order))


CREATE_ORDER: JsonWrite[CreateOrder, Order] = JsonWrite(
    command=create_order_command, use_case=lambda paygate: paygate.create_order,
    render=order_created)


class OrdersController(Controller):
    path = "/orders"
    tags = ["Orders"]
    before_request = staticmethod(merchant_only)
    security = BEARER_OR_KEY

    @post("/", operation_id="createOrder", status_code=201, **documented_write(CreateOrderRequest),
          middleware=[IdempotencyMiddleware], summary="Create an order",
          response_headers=REPLAYED_HEADERS,
          responses=route_errors(ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_AMOUNT, *DENIED,
                               body=True, idempotent=True))
    async def create(self, request: AnyRequest) -> Response[Success[OrderData]]:
        """``amount`` a JSON number or decimal string (never a float internally);
        ``currency`` defaults to INR and is returned uppercase."""
        return await CREATE_ORDER.answer(request)

    @get("/", operation_id="listOrders", summary="List orders",
         responses=route_errors(ErrorCode.VALIDATION_FAILED, *DENIED))
    async def list_orders(self, request: AnyRequest, paygate: PaygateDep,
                          principal: PrincipalDep, *, status: OrderStatusFilter = None,
                          limit: Limit = None, cursor: Cursor = None,
                          ) -> Response[Success[PageData[OrderData]]]:
        """The merchant's orders, newest first."""
        result = await run_blocking(request, paygate.list_orders,
                                    principal.require_merchant().id,
                                    page_request(limit, cursor), status=status)
        return Response(presenters.success("Orders retrieved successfully",
                                           presenters.page(result, present.order)))

    @get("/{order_id:str}", operation_id="getOrder",
         summary="An order with its payments",
         responses=route_errors(ErrorCode.ORDER_NOT_FOUND, *DENIED))
    async def get_order(self, request: AnyRequest, paygate: PaygateDep,
                        principal: PrincipalDep, order_id: OrderIdParam,
                        ) -> Response[Success[OrderDetailData]]:
        """404 1008 for an unknown or malformed id and for another merchant's order."""
        details = await run_blocking(request, paygate.get_order,
                                     principal.require_merchant().id, order_id)
        return Response(presenters.success("Order retrieved successfully",
                                           present.order_detail(details)))
