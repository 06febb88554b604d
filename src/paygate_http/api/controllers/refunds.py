"""``refunds/``: refund a payment (idempotent), list and read refunds."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Response, get, post

from paygate_core.errors import ErrorCode
from paygate_core.idempotency import IdempotentAnswer
from paygate_core.use_cases.payments import RefundOutcome, RefundPayment
from paygate_http.api import payment_presenters as present
from paygate_http.api import presenters
from paygate_http.api.amounts import number_value
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import AnyRequest, PaygateDep, PrincipalDep
from paygate_http.api.params import PAYMENT_ID, Cursor, Limit, page_request, path_id
from paygate_http.api.payment_schemas import CreateRefundRequest
from paygate_http.api.responses import (
    RefundDetailResponse,
    RefundPageResponse,
    RefundProcessedResponse,
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
from paygate_http.pipeline.request_bodies import JsonObject
from paygate_http.services import run_read

__all__ = ["REFUND_PAYMENT", "RefundsController", "refund_payment_command", "refund_processed"]

PaymentIdFilter = Annotated[str | None, PAYMENT_ID.parameter("Only this payment's refunds")]
RefundIdParam = Annotated[str, path_id("The refund's id (UUID)")]


def refund_payment_command(
    merchant_id: UUID,
    body: JsonObject,
    idempotency: IdempotentAnswer[RefundOutcome] | None,
) -> RefundPayment:
    """The raw fields for the core, which validates them and names bad fields only."""
    return RefundPayment(
        merchant_id=merchant_id,
        payment_id=body.get("payment_id"),
        amount=number_value(body.get("amount")),
        reason=body.get("reason"),
        idempotency=idempotency,
    )


def refund_processed(outcome: RefundOutcome) -> tuple[int, bytes]:
    """The answer to ``POST refunds/`` (stored with the refund under an Idempotency-Key)."""
    return presenters.rendered(
        201, "Refund processed successfully", present.refund_outcome(outcome)
    )


REFUND_PAYMENT: WriteRoute[RefundPayment, RefundOutcome] = WriteRoute(
    command=refund_payment_command,
    use_case=lambda paygate: paygate.refund_payment,
    render=refund_processed,
)


class RefundsController(ApiController):
    path = "/refunds"
    tags = ["Refunds"]
    before_request = staticmethod(merchant_only)
    security = BEARER_OR_KEY

    @post(
        "/",
        operation_id="createRefund",
        status_code=201,
        **documented_write(CreateRefundRequest, "refund-inv-42-1"),
        middleware=[IdempotencyMiddleware],
        summary="Refund a payment, fully or partly",
        response_headers=REPLAYED_HEADERS,
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.PAYMENT_NOT_FOUND,
            ErrorCode.PAYMENT_STATE_CONFLICT,
            ErrorCode.INVALID_REFUND_AMOUNT,
            *DENIED,
            body=True,
            idempotent=True,
            invalid=("payment_id", "must be a UUID"),
        ),
    )
    async def create(self, request: AnyRequest) -> Response[RefundProcessedResponse]:
        """Without ``amount``, refunds the whole refundable balance. Only ``authorized`` or
        ``captured`` payments (else 409 1012); the refunds of a payment never exceed its
        amount (422 1013). The payment becomes ``refunded`` when nothing is left."""
        return await REFUND_PAYMENT.answer(request)

    @get(
        "/",
        operation_id="listRefunds",
        summary="List refunds",
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED, *DENIED, invalid=("payment_id", PAYMENT_ID.reason)
        ),
    )
    async def list_refunds(
        self,
        request: AnyRequest,
        paygate: PaygateDep,
        principal: PrincipalDep,
        *,
        payment_id: PaymentIdFilter = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[RefundPageResponse]:
        """The merchant's refunds, newest first (without the ``payment`` summary: read the
        refund or the payment for it)."""
        result = await run_read(
            request,
            paygate.list_refunds,
            principal.require_merchant().id,
            page_request(limit, cursor),
            payment_id=PAYMENT_ID.check(payment_id),
        )
        return Response(
            presenters.success(
                "Refunds retrieved successfully", presenters.page(result, present.refund)
            )
        )

    @get(
        "/{refund_id:str}",
        operation_id="getRefund",
        summary="A refund with its payment's current status",
        responses=route_errors(ErrorCode.REFUND_NOT_FOUND, *DENIED),
    )
    async def get_refund(
        self,
        request: AnyRequest,
        paygate: PaygateDep,
        principal: PrincipalDep,
        refund_id: RefundIdParam,
    ) -> Response[RefundDetailResponse]:
        """404 1021 for an unknown or malformed id and for another merchant's refund."""
        merchant_id = principal.require_merchant().id
        refund = await run_read(request, paygate.get_refund, merchant_id, refund_id)
        details = await run_read(request, paygate.get_payment, merchant_id, refund.payment_id)
        payment = details.payment
        return Response(
            presenters.success(
                "Refund retrieved successfully", present.refund_detail(refund, payment)
            )
        )
