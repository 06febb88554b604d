"""The dispatcher writes in cycles: one unit of work records every outcome that finished and
claims more, at most once per ``min_poll_interval``, however many events flow."""

from __future__ import annotations

import threading
import time
from typing import Any

from webhook_harness import Receiver, Reply, World

from paygate_core.events import DeliveryStatus, WebhookAttemptStatus


class CountingUnitOfWork:
    """The store's unit-of-work factory, counting the writing units of work it opens."""

    def __init__(self, world: World) -> None:
        self._factory = world.store.unit_of_work
        self._lock = threading.Lock()
        self.writes = 0

    def __call__(self, *, read_only: bool = False) -> Any:
        if not read_only:
            with self._lock:
                self.writes += 1
        return self._factory(read_only=read_only)


def test_a_batch_is_claimed_in_one_write_and_recorded_in_another(
    world: World, receiver: Receiver
) -> None:
    merchant = world.merchant(receiver.url())
    for _ in range(12):
        world.pay(merchant)
    counting = CountingUnitOfWork(world)
    dispatcher = world.dispatcher()
    dispatcher._uow = counting  # the same store, counted

    assert dispatcher.run_once() == 12

    assert counting.writes == 2
    assert len(world.attempts(merchant)) == 12
    assert {e.delivery_status for e in world.events(merchant)} == {DeliveryStatus.DELIVERED}


def test_the_running_dispatcher_writes_at_most_once_per_cycle(
    world: World, receiver: Receiver
) -> None:
    receiver.default = Reply(200, delay=0.02)  # attempts finish one after the other
    merchant = world.merchant(receiver.url())
    events = 40
    for _ in range(events):
        world.pay(merchant)
    counting = CountingUnitOfWork(world)
    dispatcher = world.dispatcher(min_poll_interval=0.1, poll_interval=0.2, concurrency=8)
    dispatcher._uow = counting

    started = time.monotonic()
    handle = dispatcher.start_in_thread()
    try:
        for _ in range(100):
            if len(world.attempts(merchant)) == events:
                break
            time.sleep(0.05)
    finally:
        handle.stop()
    elapsed = time.monotonic() - started

    attempts = world.attempts(merchant)
    assert len(attempts) == events
    assert {a.status for a in attempts} == {WebhookAttemptStatus.SENT}
    # One write per 0.1 s cycle at most (and one more when stopping); a write per claim
    # and per outcome would be 80.
    assert counting.writes <= elapsed / 0.1 + 2
