"""Retries on the schedule, the final ``failed`` state, timeouts, and claims of dead workers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from webhook_harness import Receiver, Reply, World

from paygate_adapters.webhooks import DEFAULT_RETRY_SCHEDULE, WebhookDispatcher, retry_at
from paygate_core.events import DeliveryStatus, WebhookAttemptStatus


def test_the_default_schedule_waits_30s_2min_10min_1h_6h_24h_then_gives_up() -> None:
    failed_at = datetime(2026, 1, 1, tzinfo=UTC)

    delays = [retry_at(n, DEFAULT_RETRY_SCHEDULE, failed_at) for n in range(1, 8)]

    assert [d - failed_at if d else None for d in delays] == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(hours=24),
        None,
    ]


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(
    world: World,
    receiver: Receiver,
) -> None:
    receiver.script = [Reply(500, b"boom"), Reply(503, b"busy")]
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    dispatcher = world.dispatcher()

    assert dispatcher.run_once() == 1
    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.PENDING
    assert event.next_attempt_at == world.clock.now() + timedelta(seconds=30)
    world.clock.advance(timedelta(seconds=29))
    assert dispatcher.run_once() == 0  # not due yet
    world.clock.advance(timedelta(seconds=1))
    assert dispatcher.run_once() == 1
    world.clock.advance(timedelta(seconds=120))
    assert dispatcher.run_once() == 1

    attempts = world.attempts(merchant)
    assert [(a.attempt, a.status, a.http_status) for a in attempts] == [
        (1, WebhookAttemptStatus.FAILED, 500),
        (2, WebhookAttemptStatus.FAILED, 503),
        (3, WebhookAttemptStatus.SENT, 200),
    ]
    assert [a.response_body for a in attempts] == ["boom", "busy", "ok"]
    assert attempts[0].error == "unexpected HTTP status 500"
    assert attempts[2].error is None
    assert [r.header("X-Paygate-Delivery-Attempt") for r in receiver.wait_for(3)] == ["1", "2", "3"]
    assert len({r.header("X-Paygate-Event-Id") for r in receiver.requests}) == 1
    delivered = world.event(merchant, event.id)
    assert delivered.delivery_status is DeliveryStatus.DELIVERED
    assert delivered.attempts == 3


def test_an_endpoint_that_always_fails_is_given_up_after_seven_attempts(
    world: World,
    receiver: Receiver,
) -> None:
    receiver.default = Reply(500, b"down")
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    dispatcher = world.dispatcher()

    for delay in (0, *DEFAULT_RETRY_SCHEDULE):
        world.clock.advance(timedelta(seconds=delay))
        assert dispatcher.run_once() == 1
    world.clock.advance(timedelta(days=30))
    assert dispatcher.run_once() == 0

    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.FAILED
    assert event.attempts == 7
    assert event.next_attempt_at is None
    attempts = world.attempts(merchant)
    assert [a.attempt for a in attempts] == [1, 2, 3, 4, 5, 6, 7]
    assert {a.status for a in attempts} == {WebhookAttemptStatus.FAILED}
    assert len(receiver.requests) == 7


def test_a_configured_schedule_sets_the_number_of_attempts(
    world: World,
    receiver: Receiver,
) -> None:
    receiver.default = Reply(500)
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    dispatcher = world.dispatcher(retry_schedule=(1, 2))

    assert dispatcher.max_attempts == 3
    for delay in (0, 1, 2):
        world.clock.advance(timedelta(seconds=delay))
        assert dispatcher.run_once() == 1

    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.FAILED
    assert event.attempts == 3


def test_an_answer_slower_than_the_timeout_is_a_failed_attempt_retried_later(
    world: World,
    receiver: Receiver,
) -> None:
    receiver.default = Reply(200, delay=1.0)
    merchant = world.merchant(receiver.url())
    world.pay(merchant)

    world.dispatcher(timeout=0.3).run_once()

    [attempt] = world.attempts(merchant)
    assert attempt.status is WebhookAttemptStatus.FAILED
    assert attempt.error == "timed out after 0.3 s"
    assert attempt.http_status is None
    assert 250 <= attempt.duration_ms < 900
    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.PENDING
    assert event.next_attempt_at == world.clock.now() + timedelta(seconds=30)


def test_a_host_slower_to_resolve_than_the_timeout_is_a_failed_attempt(
    world: World,
    receiver: Receiver,
) -> None:
    """The timeout bounds the whole attempt, DNS included."""

    def slow_resolver(host: str, port: int) -> list[str]:
        time.sleep(1.0)
        return ["127.0.0.1"]

    merchant = world.merchant(receiver.url(host="hooks.shop.test"))
    world.pay(merchant)

    world.dispatcher(timeout=0.3, resolver=slow_resolver).run_once()

    [attempt] = world.attempts(merchant)
    assert attempt.error == "timed out after 0.3 s"
    assert 250 <= attempt.duration_ms < 900
    assert receiver.requests == []


def test_a_refused_connection_is_a_failed_attempt(world: World, receiver: Receiver) -> None:
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    receiver.close()

    world.dispatcher().run_once()

    [attempt] = world.attempts(merchant)
    assert attempt.status is WebhookAttemptStatus.FAILED
    assert attempt.error is not None
    assert attempt.error.startswith("ConnectError")


def test_an_event_claimed_by_a_worker_that_died_is_delivered_after_the_lease(
    world: World,
    receiver: Receiver,
) -> None:
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    dispatcher = world.dispatcher(timeout=5.0)
    with world.store.unit_of_work() as work:  # a worker claims, then dies before sending
        [claimed] = work.outbox.claim_due(world.clock.now(), 10, timedelta(seconds=35))
        work.commit()

    assert dispatcher.run_once() == 0  # hidden while the dead worker's lease runs
    world.clock.advance(timedelta(seconds=35))
    assert dispatcher.run_once() == 1

    [request] = receiver.wait_for(1)
    assert request.header("X-Paygate-Event-Id") == str(claimed.webhook.id)
    assert request.header("X-Paygate-Delivery-Attempt") == "2"
    assert world.event(merchant, claimed.webhook.id).delivery_status is DeliveryStatus.DELIVERED


def test_a_claim_stays_hidden_longer_than_an_attempt_can_take(
    world: World, receiver: Receiver
) -> None:
    receiver.default = Reply(200, delay=0.5)
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    first = world.dispatcher(timeout=5.0)

    handle = first.start_in_thread()
    try:
        receiver.wait_for(1)
        world.clock.advance(timedelta(seconds=5))  # the attempt may take up to the timeout
        assert world.dispatcher(timeout=5.0).run_once() == 0  # a second worker skips it
    finally:
        handle.stop()

    assert len(receiver.requests) == 1


def test_a_failed_event_can_be_resent_once_more(world: World, receiver: Receiver) -> None:
    receiver.script = [Reply(500)] * 2
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    dispatcher = world.dispatcher(retry_schedule=(1,))
    dispatcher.run_once()
    world.clock.advance(timedelta(seconds=1))
    dispatcher.run_once()
    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.FAILED

    world.app.resend_webhook_event(merchant.id, event.id)
    assert dispatcher.run_once() == 1

    assert world.event(merchant, event.id).delivery_status is DeliveryStatus.DELIVERED
    assert [a.attempt for a in world.attempts(merchant)] == [1, 2, 3]


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"batch_size": 0},
        {"concurrency": 0},
        {"retry_schedule": (30, -1)},
        {"poll_interval": 0},
    ],
)
def test_nonsensical_dispatcher_settings_are_refused(
    world: World, options: dict[str, object]
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any of several messages
        WebhookDispatcher(world.store.unit_of_work, world.clock, world.ids, **options)  # type: ignore[arg-type]
