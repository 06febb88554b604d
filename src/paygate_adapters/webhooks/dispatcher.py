"""The webhook dispatcher: claims due outbox events, delivers them, records every attempt.

Delivery is at least once. Claiming an event (``EventOutbox.claim_due``) counts the
attempt and hides the event for a *lease*; the attempt's outcome is then recorded in its
own short unit of work. A worker that dies in between leaves the event to be claimed again
when the lease runs out, so the lease is kept well above the longest an attempt can take.

Deliveries run concurrently on an asyncio loop owned by the dispatcher (the callers stay
synchronous: tests call ``run_once``, the server runs ``start_in_thread``), each one bounded
by the timeout, so a slow or dead endpoint holds only its own slot. The synchronous unit of
work runs in worker threads, never on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import attrs
import httpx

from paygate_adapters.webhooks.sender import DEFAULT_TIMEOUT, DeliveryResult, WebhookSender
from paygate_adapters.webhooks.ssrf import Resolver, system_resolver
from paygate_core.events import DeliveryStatus, WebhookAttempt, WebhookAttemptStatus
from paygate_core.ports import Clock, Delivery, IdGenerator, UnitOfWorkFactory

__all__ = [
    "DEFAULT_RETRY_SCHEDULE",
    "LEASE_MARGIN",
    "DispatcherHandle",
    "WebhookDispatcher",
    "retry_at",
]

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (30, 120, 600, 3600, 21600, 86400)
"""Seconds to wait before each retry: 30 s, 2 min, 10 min, 1 h, 6 h, 24 h (7 attempts)."""
LEASE_MARGIN = 30.0
"""Seconds a claim outlives the longest its attempt can take (DNS, a slow commit, ...)."""


def retry_at(attempt: int, schedule: Sequence[float], failed_at: datetime) -> datetime | None:
    """When to try again after attempt number ``attempt`` (1-based) failed; None when the
    schedule is used up and the delivery is ``failed``."""
    if attempt > len(schedule):
        return None
    return failed_at + timedelta(seconds=schedule[attempt - 1])


@attrs.frozen
class DispatcherHandle:
    """A dispatcher running in a background thread (see ``start_in_thread``)."""

    thread: threading.Thread
    stop_event: threading.Event
    join_timeout: float

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        """Stop claiming, let in-flight attempts finish and be recorded, then return."""
        self.stop_event.set()
        self.thread.join(self.join_timeout)


class WebhookDispatcher:
    """Delivers due webhook events from the outbox; several may share one database."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, *,
                 timeout: float = DEFAULT_TIMEOUT,
                 retry_schedule: Sequence[float] = DEFAULT_RETRY_SCHEDULE,
                 allow_private: bool = False, batch_size: int = 100,
                 poll_interval: float = 0.5, concurrency: int = 32,
                 resolver: Resolver = system_resolver) -> None:
        if timeout <= 0 or poll_interval <= 0:
            raise ValueError("timeout and poll_interval must be positive")
        if batch_size < 1 or concurrency < 1:
            raise ValueError("batch_size and concurrency must be at least 1")
        if any(delay < 0 for delay in retry_schedule):
            raise ValueError("retry delays cannot be negative")
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self.timeout = timeout
        self.retry_schedule = tuple(retry_schedule)
        self.allow_private = allow_private
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.concurrency = concurrency
        self._resolver = resolver
        self._ssl_context = httpx.create_ssl_context()  # loads the CA bundle once

    @property
    def max_attempts(self) -> int:
        return len(self.retry_schedule) + 1

    # --- entry points ------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim one batch of due events, deliver them all, return how many were attempted."""
        return asyncio.run(self._run_once())

    def run_forever(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set, claiming whenever a delivery slot is free."""
        asyncio.run(self._serve(stop))

    def start_in_thread(self) -> DispatcherHandle:
        """Run ``run_forever`` in a daemon thread; ``handle.stop()`` ends it."""
        stop = threading.Event()
        thread = threading.Thread(target=self.run_forever, args=(stop,), daemon=True,
                                  name="paygate-webhook-dispatcher")
        thread.start()
        return DispatcherHandle(thread, stop, join_timeout=self.timeout + LEASE_MARGIN)

    # --- the loop ----------------------------------------------------------------------

    async def _run_once(self) -> int:
        async with self._session() as sender:
            claimed = await self._claim(self.batch_size)
            slots = asyncio.Semaphore(self.concurrency)

            async def deliver(delivery: Delivery) -> None:
                async with slots:
                    await self._attempt(sender, delivery)

            await asyncio.gather(*(deliver(d) for d in claimed))
        return len(claimed)

    async def _serve(self, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        # Claim in chunks (a quarter of the slots) rather than one event per freed slot:
        # fewer claim transactions under load. A claim is still made every poll interval
        # while any slot is free, so endpoints hanging in most slots cannot stall the rest.
        chunk = max(1, min(self.batch_size, self.concurrency) // 4)
        async with self._session() as sender:
            inflight: set[asyncio.Task[None]] = set()
            last_claim = -math.inf
            while not stop.is_set():
                free = min(self.batch_size, self.concurrency - len(inflight))
                if free > 0 and (free >= chunk or not inflight
                                 or loop.time() - last_claim >= self.poll_interval):
                    last_claim = loop.time()
                    claimed = await self._claim(free)
                    inflight.update(asyncio.create_task(self._attempt(sender, d))
                                    for d in claimed)
                    if len(claimed) == free:
                        continue  # a full claim: more are probably due
                if inflight:
                    _, inflight = await asyncio.wait(
                        inflight, timeout=self.poll_interval,
                        return_when=asyncio.FIRST_COMPLETED)
                else:
                    await asyncio.sleep(self.poll_interval)
            if inflight:
                await asyncio.wait(inflight)  # each is bounded by the timeout

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[WebhookSender]:
        """A sender for this event loop, and enough threads for DNS and units of work."""
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(
            max_workers=self.concurrency + 4, thread_name_prefix="paygate-webhooks"))
        async with WebhookSender(timeout=self.timeout, allow_private=self.allow_private,
                                 max_connections=self.concurrency,
                                 ssl_context=self._ssl_context,
                                 resolver=self._resolver) as sender:
            yield sender

    # --- one attempt -------------------------------------------------------------------

    async def _claim(self, limit: int) -> Sequence[Delivery]:
        try:
            return await asyncio.to_thread(self._claim_due, limit)
        except Exception:
            logger.exception("claiming due webhook events failed")
            return ()

    def _claim_due(self, limit: int) -> Sequence[Delivery]:
        # Claimed events may queue for a delivery slot in run_once: cover the wait too.
        rounds = math.ceil(limit / self.concurrency)
        lease = timedelta(seconds=self.timeout * rounds + LEASE_MARGIN)
        with self._uow() as work:
            claimed = work.outbox.claim_due(self._clock.now(), limit, lease)
            work.commit()
        return claimed

    async def _attempt(self, sender: WebhookSender, delivery: Delivery) -> None:
        """Send once and record the outcome; never raises (the lease covers a lost record)."""
        try:
            timestamp = int(self._clock.now().timestamp())
            result = await sender.send(delivery, timestamp)
            await asyncio.to_thread(self._record, delivery, result)
        except Exception:
            logger.exception("webhook attempt not recorded; it is retried when its lease ends",
                             extra={"event_id": str(delivery.webhook.id),
                                    "attempt": delivery.attempt})

    def _record(self, delivery: Delivery, result: DeliveryResult) -> None:
        now = self._clock.now()
        event = delivery.webhook.event
        attempt = WebhookAttempt(
            id=self._ids.new_id(), event_id=event.id, merchant_id=event.merchant_id,
            event_type=event.type, payment_id=event.payment_id, attempt=delivery.attempt,
            url=delivery.url,
            status=WebhookAttemptStatus.SENT if result.ok else WebhookAttemptStatus.FAILED,
            http_status=result.http_status, response_body=result.response_body,
            error=result.error, duration_ms=result.duration_ms, created_at=now,
        )
        if result.ok:
            status, next_attempt_at = DeliveryStatus.DELIVERED, None
        else:
            next_attempt_at = retry_at(delivery.attempt, self.retry_schedule, now)
            status = DeliveryStatus.FAILED if next_attempt_at is None else DeliveryStatus.PENDING
        with self._uow() as work:
            work.outbox.record_attempt(attempt, status, next_attempt_at)
            work.commit()
        logger.info("webhook attempt", extra={
            "event_id": str(event.id), "attempt": delivery.attempt,
            "http_status": result.http_status, "error": result.error,
            "duration_ms": result.duration_ms, "delivery_status": status.value})
