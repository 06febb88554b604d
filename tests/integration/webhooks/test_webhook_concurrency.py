"""Deliveries run side by side: a slow or dead endpoint holds only its own slot."""

from __future__ import annotations

import time

from webhook_harness import Receiver, Reply, World

from paygate_core.events import DeliveryStatus, WebhookAttemptStatus


def test_a_slow_endpoint_does_not_delay_delivery_to_another(
    world: World,
    receiver: Receiver,
    other_receiver: Receiver,
) -> None:
    receiver.default = Reply(200, delay=1.0)
    slow = world.merchant(receiver.url())
    world.pay(slow)  # older, so claimed first
    fast = world.merchant(other_receiver.url())
    world.pay(fast)

    started = time.monotonic()
    assert world.dispatcher(timeout=3.0).run_once() == 2

    [fast_request] = other_receiver.wait_for(1)
    assert fast_request.at - started < 0.5
    [slow_attempt] = world.attempts(slow)
    assert slow_attempt.duration_ms >= 900
    [fast_attempt] = world.attempts(fast)
    assert fast_attempt.duration_ms < 500


def test_a_batch_is_delivered_concurrently(world: World, receiver: Receiver) -> None:
    receiver.default = Reply(200, delay=0.3)
    merchant = world.merchant(receiver.url())
    for _ in range(20):
        world.pay(merchant)

    started = time.monotonic()
    assert world.dispatcher(concurrency=32).run_once() == 20
    elapsed = time.monotonic() - started

    assert elapsed < 1.5  # one after another would take 6 s
    assert {e.delivery_status for e in world.events(merchant)} == {DeliveryStatus.DELIVERED}


def test_the_running_dispatcher_keeps_delivering_while_an_endpoint_hangs(
    world: World,
    receiver: Receiver,
    other_receiver: Receiver,
) -> None:
    receiver.default = Reply(200, delay=1.5)
    slow = world.merchant(receiver.url())
    fast = world.merchant(other_receiver.url())
    handle = world.dispatcher(timeout=3.0, concurrency=4).start_in_thread()
    try:
        world.pay(slow)
        receiver.wait_for(1)
        started = time.monotonic()
        for _ in range(6):  # more events than free slots in one claim
            world.pay(fast)

        arrived = other_receiver.wait_for(6, timeout=2.0)
        assert len(arrived) == 6
        assert max(r.at for r in arrived) - started < 1.0
        assert world.attempts(slow) == []  # still in flight meanwhile
    finally:
        handle.stop()

    assert not handle.running
    assert [a.status for a in world.attempts(slow)] == [WebhookAttemptStatus.SENT]


def test_stopping_lets_in_flight_attempts_finish_and_be_recorded(
    world: World,
    receiver: Receiver,
) -> None:
    receiver.default = Reply(200, delay=0.5)
    merchant = world.merchant(receiver.url())
    world.pay(merchant)
    handle = world.dispatcher().start_in_thread()
    receiver.wait_for(1)

    handle.stop()

    assert not handle.running
    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.DELIVERED


def test_an_idle_dispatcher_delivers_a_new_event_at_once(world: World, receiver: Receiver) -> None:
    merchant = world.merchant(receiver.url())
    # Paced claims alone would come 1.26 s and 2.54 s after the start here (each empty one
    # doubles the wait): an event committed at 1.5 s would wait a second for its claim.
    handle = world.dispatcher(poll_interval=10.0, min_poll_interval=0.02).start_in_thread()
    try:
        time.sleep(1.5)
        committed = time.monotonic()
        world.pay(merchant)
        [request] = receiver.wait_for(1)
        assert request.at - committed < 0.75  # paced claims alone: about 1.04 s
    finally:
        handle.stop()
