"""The webhook dispatcher: claims due outbox events, delivers them, records every attempt.

Delivery is at least once. Claiming an event (``EventOutbox.claim_due``) counts the
attempt and hides the event for a *lease*; the attempt's outcome is then recorded in its
own short unit of work. A worker that dies in between leaves the event to be claimed again
when the lease runs out, so the lease is kept well above the longest an attempt can take.

The running dispatcher polls the outbox adaptively: right after a claim that found work it
claims again within ``min_poll_interval`` (20 ms), and each empty claim doubles the wait up
to ``poll_interval`` (0.25 s). While it waits, it looks every ``min_poll_interval`` whether
an event is due (``EventOutbox.next_due_at``: one index seek in a read-only unit of work, no
write lock) and claims at once when one is. So the first attempt follows the commit by
about 20 ms even after a quiet spell; an idle worker costs fifty such reads and four empty
claims a second (well under a millisecond each on SQLite and PostgreSQL).

Deliveries run concurrently on an asyncio loop owned by the dispatcher (the callers stay
synchronous: tests call ``run_once``, the server runs ``start_in_thread``), each one bounded
by the timeout, so a slow or dead endpoint holds only its own slot. The synchronous unit of
work runs in worker threads, never on the loop. Outcomes are recorded by group commit
(``recorder.OutcomeRecorder``): attempts that finish together share one transaction.
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

from paygate_adapters.webhooks.recorder import OutcomeRecorder
from paygate_adapters.webhooks.sender import DEFAULT_TIMEOUT, DeliveryResult, WebhookSender
from paygate_adapters.webhooks.ssrf import Resolver, system_resolver
from paygate_core.errors import StorageUnavailable
from paygate_core.events import DeliveryStatus, WebhookAttempt, WebhookAttemptStatus
from paygate_core.ports import Clock, Delivery, EventOutbox, IdGenerator, UnitOfWorkFactory

__all__ = [
    "DEFAULT_MIN_POLL_INTERVAL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_RETRY_SCHEDULE",
    "LEASE_MARGIN",
    "DispatcherHandle",
    "PollPacer",
    "WebhookDispatcher",
    "retry_at",
]

logger = logging.getLogger(__name__)

Outcome = tuple[Delivery, DeliveryResult]
"""One finished attempt: what was claimed and what the endpoint answered."""

DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (30, 120, 600, 3600, 21600, 86400)
"""Seconds to wait before each retry: 30 s, 2 min, 10 min, 1 h, 6 h, 24 h (7 attempts)."""
LEASE_MARGIN = 30.0
"""Seconds a claim outlives the longest its attempt can take (DNS, a slow commit, ...)."""
DEFAULT_POLL_INTERVAL = 0.25
"""Longest wait between two claims of an idle dispatcher, seconds."""
DEFAULT_MIN_POLL_INTERVAL = 0.02
"""Wait before the next claim after one that found work, seconds."""


def retry_at(attempt: int, schedule: Sequence[float], failed_at: datetime) -> datetime | None:
    """When to try again after attempt number ``attempt`` (1-based) failed; None when the
    schedule is used up and the delivery is ``failed``."""
    if attempt > len(schedule):
        return None
    return failed_at + timedelta(seconds=schedule[attempt - 1])


class PollPacer:
    """How long to wait before the next claim: ``shortest`` after a claim that found work
    (more is probably on its way), doubling after each empty one up to ``longest``."""

    def __init__(self, shortest: float, longest: float) -> None:
        self.shortest = shortest
        self.longest = longest
        self._wait = shortest

    def next_wait(self, *, found: bool) -> float:
        """Seconds until the next claim, given whether the last one found work."""
        if found:
            self._wait = self.shortest
            return self._wait
        wait = self._wait
        self._wait = min(self._wait * 2, self.longest)
        return wait


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
                 poll_interval: float = DEFAULT_POLL_INTERVAL,
                 min_poll_interval: float | None = None, concurrency: int = 32,
                 lease_margin: float = LEASE_MARGIN,
                 resolver: Resolver = system_resolver) -> None:
        if min_poll_interval is None:
            min_poll_interval = min(DEFAULT_MIN_POLL_INTERVAL, poll_interval)
        if timeout <= 0 or min_poll_interval <= 0 or lease_margin <= 0:
            raise ValueError("timeout, poll intervals and lease_margin must be positive")
        if poll_interval < min_poll_interval:
            raise ValueError("poll_interval cannot be shorter than min_poll_interval")
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
        self.min_poll_interval = min_poll_interval
        self.concurrency = concurrency
        self.lease_margin = lease_margin
        self._resolver = resolver
        self._ssl_context = httpx.create_ssl_context()  # loads the CA bundle once
        self._storage_down = False  # a claim met StorageUnavailable: logged once per outage

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
        async with self._session() as session:
            claimed = await self._claim(self.batch_size)
            slots = asyncio.Semaphore(self.concurrency)

            async def deliver(delivery: Delivery) -> None:
                async with slots:
                    await self._attempt(session, delivery)

            await asyncio.gather(*(deliver(d) for d in claimed))
        return len(claimed)

    async def _serve(self, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        # Under load, claim in chunks (a quarter of the slots) rather than one event per
        # freed slot: fewer claim transactions. With fewer slots free, still claim once per
        # poll interval, so endpoints hanging in most slots cannot stall the rest. With a
        # chunk free, the pacer decides: soon after a claim that found work, later and
        # later while claims come back empty.
        chunk = max(1, min(self.batch_size, self.concurrency) // 4)
        pacer = PollPacer(self.min_poll_interval, self.poll_interval)
        async with self._session() as session:
            inflight: set[asyncio.Task[None]] = set()
            last_claim = next_claim = -math.inf
            # A look that saw an event due but whose claim came back empty (another worker
            # took it, or claiming fails) is not followed again until a paced claim.
            looked = False
            trust_looks = True
            while not stop.is_set():
                free = min(self.batch_size, self.concurrency - len(inflight))
                due_at = next_claim if free >= chunk else last_claim + self.poll_interval
                if free > 0 and loop.time() >= due_at:
                    last_claim = loop.time()
                    claimed = await self._claim(free)
                    inflight.update(asyncio.create_task(self._attempt(session, d))
                                    for d in claimed)
                    trust_looks = bool(claimed) or not looked
                    looked = False
                    pause = pacer.next_wait(found=bool(claimed))
                    # A full claim: more are probably due, claim again once slots free up.
                    next_claim = loop.time() + (0.0 if len(claimed) == free else pause)
                    continue
                # Sleep until a claim is due, or (with deliveries in flight) one finishes. A
                # long wait is cut into short ones, each ended by a look (a read, no lock) at
                # whether an event is due: a new event is claimed within min_poll_interval.
                wait = self.poll_interval if free == 0 else max(0.0, due_at - loop.time())
                look = trust_looks and free >= chunk and wait > self.min_poll_interval
                if look:
                    wait = self.min_poll_interval
                if inflight:
                    _, inflight = await asyncio.wait(
                        inflight, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                else:
                    await asyncio.sleep(wait)
                if look and not stop.is_set() and await self._anything_due():
                    next_claim = loop.time()
                    looked = True
            if inflight:
                await asyncio.wait(inflight)  # each is bounded by the timeout

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[_Session]:
        """A sender and a recorder for this event loop, and enough threads for DNS and
        units of work."""
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(
            max_workers=self.concurrency + 4, thread_name_prefix="paygate-webhooks"))
        async with WebhookSender(timeout=self.timeout, allow_private=self.allow_private,
                                 max_connections=self.concurrency,
                                 ssl_context=self._ssl_context,
                                 resolver=self._resolver) as sender:
            yield _Session(sender, OutcomeRecorder(self._record_all,
                                                   max_batch=self.concurrency))

    # --- one attempt -------------------------------------------------------------------

    async def _claim(self, limit: int) -> Sequence[Delivery]:
        try:
            claimed = await asyncio.to_thread(self._claim_due, limit)
        except StorageUnavailable:
            self._note_storage(down=True)
            return ()
        except Exception:
            logger.exception("claiming due webhook events failed")
            return ()
        self._note_storage(down=False)
        return claimed

    async def _anything_due(self) -> bool:
        try:
            return await asyncio.to_thread(self._due_now)
        except StorageUnavailable:
            self._note_storage(down=True)
            return False
        except Exception:
            logger.exception("looking for due webhook events failed")
            return False

    def _note_storage(self, *, down: bool) -> None:
        """One line when the database becomes unavailable, one when it is back: claims
        keep being tried at the poll interval meanwhile."""
        if down != self._storage_down:
            self._storage_down = down
            logger.warning("database unavailable; webhook deliveries wait" if down
                           else "database available again; webhook deliveries resume")

    def _due_now(self) -> bool:
        with self._uow(read_only=True) as work:
            due = work.outbox.next_due_at()
        return due is not None and due <= self._clock.now()

    def _claim_due(self, limit: int) -> Sequence[Delivery]:
        # Claimed events may queue for a delivery slot in run_once: cover the wait too.
        rounds = math.ceil(limit / self.concurrency)
        lease = timedelta(seconds=self.timeout * rounds + self.lease_margin)
        with self._uow() as work:
            claimed = work.outbox.claim_due(self._clock.now(), limit, lease)
            work.commit()
        return claimed

    async def _attempt(self, session: _Session, delivery: Delivery) -> None:
        """Send once and record the outcome; never raises (the lease covers a lost record)."""
        try:
            timestamp = int(self._clock.now().timestamp())
            result = await session.sender.send(delivery, timestamp)
            await session.recorder.record((delivery, result))
        except Exception:
            logger.exception("webhook attempt not recorded; it is retried when its lease ends",
                             extra={"fields": {"event_id": str(delivery.webhook.id),
                                               "attempt": delivery.attempt}})

    def _record_all(self, outcomes: Sequence[Outcome]) -> list[BaseException | None]:
        """Record ``outcomes`` in one unit of work; if that fails, one by one, so a bad one
        cannot keep the others from being recorded. Per outcome: None or why it was not."""
        try:
            with self._uow() as work:
                logged = [self._record(work.outbox, delivery, result)
                          for delivery, result in outcomes]
                work.commit()
        except Exception as exc:
            if len(outcomes) == 1:
                return [exc]
            return [self._record_all([outcome])[0] for outcome in outcomes]
        for fields in logged:
            logger.info("webhook attempt", extra={"fields": fields})
        return [None] * len(outcomes)

    def _record(self, outbox: EventOutbox, delivery: Delivery,
                result: DeliveryResult) -> dict[str, object]:
        """Log the attempt and update the event; the fields of its log line."""
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
        outbox.record_attempt(attempt, status, next_attempt_at)
        return {"event_id": str(event.id), "attempt": delivery.attempt,
                "http_status": result.http_status, "error": result.error,
                "duration_ms": result.duration_ms, "delivery_status": status.value}


@attrs.frozen
class _Session:
    """What one event loop of the dispatcher delivers with."""

    sender: WebhookSender
    recorder: OutcomeRecorder[Outcome]
