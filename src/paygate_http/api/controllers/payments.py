"""``payments/``: pay an order (idempotent), list, read and capture payments."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Response, get, post

from paygate_core.errors import ErrorCode, ValidationFailed
from paygate_core.idempotency import IdempotentAnswer
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.use_cases.payments import PayOrder
from paygate_http.api import payment_presenters as present
from paygate_http.api import presenters
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import AnyRequest, PaygateDep, PrincipalDep
from paygate_http.api.params import ORDER_ID, Cursor, Limit, choice_rule, page_request, path_id
from paygate_http.api.payment_schemas import PayOrderRequest
from paygate_http.api.responses import (
    PaymentCapturedResponse,
    PaymentDetailResponse,
    PaymentPageResponse,
    PaymentProcessedResponse,
)
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
from paygate_http.pipeline.request_bodies import JsonObject, optional_object
from paygate_http.services import run_read, run_write

__all__ = ["PAY_ORDER", "PaymentsController", "pay_order_command", "payment_processed"]

STATUS = choice_rule("status", [status.value for status in PaymentStatus])
PaymentStatusFilter = Annotated[
    str | None, STATUS.parameter("Only payments in this status", "authorized")
]
OrderIdFilter = Annotated[str | None, ORDER_ID.parameter("Only this order's payments")]
PaymentIdParam = Annotated[str, path_id("The payment's id (UUID)")]


def pay_order_command(
    merchant_id: UUID, body: JsonObject, idempotency: IdempotentAnswer[Payment] | None
) -> PayOrder:
    """The raw fields for the core, which validates them and names bad fields only."""
    card = optional_object(body, "card_details")
    if card is None:
        raise ValidationFailed(fields={"card_details": "is required"})
    return PayOrder(
        merchant_id=merchant_id,
        order_id=body.get("order_id"),
        card_number=card.get("card_number"),
        expiry=card.get("expiry"),
        cvv=card.get("cvv"),
        idempotency=idempotency,
    )


def payment_processed(payment: Payment) -> tuple[int, bytes]:
    """The answer to ``POST payments/``, approved or declined (stored with the payment
    under an Idempotency-Key)."""
    return presenters.rendered(201, "Payment processed successfully", present.payment(payment))


PAY_ORDER: WriteRoute[PayOrder, Payment] = WriteRoute(
    command=pay_order_command, use_case=lambda paygate: paygate.pay_order, render=payment_processed
)


class PaymentsController(ApiController):
    path = "/payments"
    tags = ["Payments"]
    before_request = staticmethod(merchant_only)
    security = BEARER_OR_KEY

    @post(
        "/",
        operation_id="createPayment",
        status_code=201,
        **documented_write(PayOrderRequest, "pay-inv-42-attempt-1"),
        middleware=[IdempotencyMiddleware],
        summary="Pay an order by card",
        response_headers=REPLAYED_HEADERS,
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.INVALID_CARD,
            ErrorCode.ORDER_NOT_FOUND,
            ErrorCode.ORDER_ALREADY_PAID,
            ErrorCode.PROCESSOR_UNAVAILABLE,
            *DENIED,
            body=True,
            idempotent=True,
            invalid=("card_details", "is required"),
        ),
    )
    async def create(self, request: AnyRequest) -> Response[PaymentProcessedResponse]:
        """201 for an approved payment (``authorized``) and for a declined one (``failed``,
        with ``failure_reason``). The card number and CVV are never stored or returned."""
        return await PAY_ORDER.answer(request)

    @get(
        "/",
        operation_id="listPayments",
        summary="List payments",
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED, *DENIED, invalid=("order_id", ORDER_ID.reason)
        ),
    )
    async def list_payments(
        self,
        request: AnyRequest,
        paygate: PaygateDep,
        principal: PrincipalDep,
        *,
        status: PaymentStatusFilter = None,
        order_id: OrderIdFilter = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[PaymentPageResponse]:
        """The merchant's payments, newest first."""
        result = await run_read(
            request,
            paygate.list_payments,
            principal.require_merchant().id,
            page_request(limit, cursor),
            status=STATUS.check(status),
            order_id=ORDER_ID.check(order_id),
        )
        return Response(
            presenters.success(
                "Payments retrieved successfully", presenters.page(result, present.payment)
            )
        )

    @get(
        "/{payment_id:str}",
        operation_id="getPayment",
        summary="A payment with its refunds",
        responses=route_errors(ErrorCode.PAYMENT_NOT_FOUND, *DENIED),
    )
    async def get_payment(
        self,
        request: AnyRequest,
        paygate: PaygateDep,
        principal: PrincipalDep,
        payment_id: PaymentIdParam,
    ) -> Response[PaymentDetailResponse]:
        """404 1011 for an unknown or malformed id and for another merchant's payment."""
        details = await run_read(
            request, paygate.get_payment, principal.require_merchant().id, payment_id
        )
        return Response(
            presenters.success("Payment retrieved successfully", present.payment_detail(details))
        )

    @post(
        "/{payment_id:str}/capture",
        operation_id="capturePayment",
        status_code=200,
        summary="Capture an authorized payment",
        responses=route_errors(
            ErrorCode.PAYMENT_NOT_FOUND, ErrorCode.PAYMENT_STATE_CONFLICT, *DENIED
        ),
    )
    async def capture(
        self,
        request: AnyRequest,
        paygate: PaygateDep,
        principal: PrincipalDep,
        payment_id: PaymentIdParam,
    ) -> Response[PaymentCapturedResponse]:
        """``authorized`` -> ``captured``; any other status is 409 1012."""
        payment = await run_write(
            request, paygate.capture_payment, principal.require_merchant().id, payment_id
        )
        return Response(
            presenters.success("Payment captured successfully", present.payment(payment))
        )
