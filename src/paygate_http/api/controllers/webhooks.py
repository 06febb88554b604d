"""``webhooks/``: the merchant's webhook events, their delivery log, and resending."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post

from paygate_core.errors import ErrorCode
from paygate_http.api import payment_presenters as present
from paygate_http.api import presenters
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import PaygateDep, PrincipalDep
from paygate_http.api.params import EVENT_ID, PAYMENT_ID, Cursor, Limit, page_request, path_id
from paygate_http.api.responses import (
    WebhookEventPageResponse,
    WebhookEventQueuedResponse,
    WebhookLogPageResponse,
)
from paygate_http.api.route_docs import BEARER_OR_KEY, DENIED, route_errors
from paygate_http.pipeline.auth import merchant_only

__all__ = ["WebhooksController"]

EventIdFilter = Annotated[str | None, EVENT_ID.parameter("Only this event's attempts")]
PaymentIdFilter = Annotated[str | None, PAYMENT_ID.parameter("Only this payment's attempts")]
EventIdParam = Annotated[str, path_id("The event's id (UUID)")]
_BAD_LIMIT = ("limit", "must be an integer from 1 to 100")


class WebhooksController(ApiController):
    path = "/webhooks"
    tags = ["Webhooks"]
    before_request = staticmethod(merchant_only)
    security = BEARER_OR_KEY

    @get(
        "/events",
        operation_id="listWebhookEvents",
        sync_to_thread=True,
        summary="Webhook events and their delivery status",
        responses=route_errors(ErrorCode.VALIDATION_FAILED, *DENIED, invalid=_BAD_LIMIT),
    )
    def list_events(
        self,
        paygate: PaygateDep,
        principal: PrincipalDep,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[WebhookEventPageResponse]:
        """Newest first; ``delivery_status`` is pending, delivered, failed or skipped (no
        webhook URL)."""
        result = paygate.list_webhook_events(
            principal.require_merchant().id, page_request(limit, cursor)
        )
        return Response(
            presenters.success(
                "Webhook events retrieved successfully",
                presenters.page(result, present.webhook_event),
            )
        )

    @get(
        "/logs",
        operation_id="listWebhookLogs",
        sync_to_thread=True,
        summary="Every delivery attempt",
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED, *DENIED, invalid=("event_id", EVENT_ID.reason)
        ),
    )
    def list_logs(
        self,
        paygate: PaygateDep,
        principal: PrincipalDep,
        *,
        event_id: EventIdFilter = None,
        payment_id: PaymentIdFilter = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[WebhookLogPageResponse]:
        """Newest first, with the first KiB of each answer."""
        result = paygate.list_webhook_attempts(
            principal.require_merchant().id,
            page_request(limit, cursor),
            event_id=EVENT_ID.check(event_id),
            payment_id=PAYMENT_ID.check(payment_id),
        )
        return Response(
            presenters.success(
                "Webhook logs retrieved successfully", presenters.page(result, present.webhook_log)
            )
        )

    @post(
        "/events/{event_id:str}/resend",
        operation_id="resendWebhookEvent",
        status_code=202,
        sync_to_thread=True,
        summary="Deliver an event once more",
        responses=route_errors(ErrorCode.WEBHOOK_EVENT_NOT_FOUND, *DENIED),
    )
    def resend(
        self,
        paygate: PaygateDep,
        principal: PrincipalDep,
        event_id: EventIdParam,
    ) -> Response[WebhookEventQueuedResponse]:
        """Queues a new delivery of the same event (same ``event_id`` and body), due now;
        404 1018 for an unknown event or another merchant's."""
        event = paygate.resend_webhook_event(principal.require_merchant().id, event_id)
        return Response(
            presenters.success("Webhook event queued for delivery", present.webhook_event(event)),
            status_code=202,
        )
