"""The merchant's webhook views and resending, over the in-memory outbox."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from paygate_core import CreateOrder, PayOrder
from paygate_core.errors import ErrorCode, ValidationFailed, WebhookEventNotFound
from paygate_core.events import DeliveryStatus, WebhookAttemptStatus
from paygate_core.pagination import PageRequest
from paygate_core.testing._builders import Builder

from .conftest import World


def paid_event(world: World) -> tuple[UUID, UUID]:
    merchant = world.merchant().merchant.id
    order = world.app.create_order(CreateOrder(merchant, "10.00", "USD"))
    world.app.pay_order(PayOrder(merchant, order.id, "4242424242424242", "12/30", "123"))
    [event] = world.app.list_webhook_events(merchant, PageRequest()).items
    return merchant, event.id


def test_resend_queues_the_same_event_again_due_now(world: World) -> None:
    merchant, event_id = paid_event(world)
    with world.store.unit_of_work() as uow:
        [delivery] = uow.outbox.claim_due(world.clock.now(), 10, timedelta(minutes=1))
        uow.outbox.record_attempt(
            Builder().attempt(delivery.webhook.event, created_at=world.clock.now()),
            DeliveryStatus.DELIVERED,
            None,
        )
        uow.commit()
    world.clock.advance(timedelta(hours=1))
    resent = world.app.resend_webhook_event(merchant, str(event_id))
    assert (resent.id, resent.delivery_status, resent.next_attempt_at, resent.attempts) == (
        event_id,
        DeliveryStatus.PENDING,
        world.clock.now(),
        1,
    )


def test_resending_another_merchants_or_an_unknown_event_is_1018(world: World) -> None:
    _, event_id = paid_event(world)
    stranger = world.merchant().merchant.id
    for who, ident in ((stranger, event_id), (stranger, "nope"), (stranger, UUID(int=3))):
        with pytest.raises(WebhookEventNotFound) as caught:
            world.app.resend_webhook_event(who, ident)
        assert caught.value.code is ErrorCode.WEBHOOK_EVENT_NOT_FOUND


def test_attempt_log_filters_by_event_and_payment(world: World) -> None:
    merchant, event_id = paid_event(world)
    with world.store.unit_of_work() as uow:
        [delivery] = uow.outbox.claim_due(world.clock.now(), 10, timedelta(minutes=1))
        attempt = Builder(first_id=900).attempt(
            delivery.webhook.event,
            status=WebhookAttemptStatus.FAILED,
            http_status=None,
            error="blocked destination",
            created_at=world.clock.now(),
        )
        uow.outbox.record_attempt(
            attempt, DeliveryStatus.PENDING, world.clock.now() + timedelta(seconds=30)
        )
        uow.commit()
    payment_id = delivery.webhook.event.payment_id
    for filters in ({}, {"event_id": str(event_id)}, {"payment_id": payment_id}):
        page = world.app.list_webhook_attempts(merchant, PageRequest(), **filters)
        assert [a.id for a in page.items] == [attempt.id]
    assert (
        world.app.list_webhook_attempts(merchant, PageRequest(), event_id=UUID(int=1)).items == ()
    )
    with pytest.raises(ValidationFailed):
        world.app.list_webhook_attempts(merchant, PageRequest(), payment_id="nope")
