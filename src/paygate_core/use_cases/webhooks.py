"""The merchant's view of webhook events and delivery attempts, and resending."""

from __future__ import annotations

from uuid import UUID

from paygate_core.errors import WebhookEventNotFound
from paygate_core.events import WebhookAttempt, WebhookEvent
from paygate_core.pagination import Page, PageRequest
from paygate_core.ports import Clock, UnitOfWorkFactory
from paygate_core.use_cases._parsing import parse_optional_uuid, parse_uuid

__all__ = ["list_attempts", "list_events", "resend_event"]


def list_events(
    merchant_id: UUID,
    page: PageRequest,
    *,
    uow: UnitOfWorkFactory,
) -> Page[WebhookEvent]:
    with uow(read_only=True) as work:
        return work.outbox.list(merchant_id, page)


def list_attempts(
    merchant_id: UUID,
    page: PageRequest,
    *,
    event_id: object = None,
    payment_id: object = None,
    uow: UnitOfWorkFactory,
) -> Page[WebhookAttempt]:
    event = parse_optional_uuid(event_id, "event_id")
    payment = parse_optional_uuid(payment_id, "payment_id")
    with uow(read_only=True) as work:
        return work.outbox.list_attempts(merchant_id, page, event_id=event, payment_id=payment)


def resend_event(
    merchant_id: UUID, event_id: object, *, uow: UnitOfWorkFactory, clock: Clock
) -> WebhookEvent:
    """Queue one more delivery of the same event (same ``event_id``), due now."""
    ident = parse_uuid(event_id, "event_id", WebhookEventNotFound)
    with uow() as work:
        if work.outbox.get(ident, merchant_id) is None:
            raise WebhookEventNotFound("Webhook event not found")
        work.outbox.requeue(ident, clock.now())
        event = work.outbox.get(ident, merchant_id)
        work.commit()
    assert event is not None
    return event
