"""The webhook dispatcher: claims due outbox events, delivers them, records every attempt.

Delivery is at least once. Claiming an event (``EventOutbox.claim_due``) counts the
attempt and hides the event for a *lease*; the attempt's outcome is recorded later
(``record_attempt``). A worker that dies in between leaves the event to be claimed again
when the lease runs out, so the lease is kept well above the longest an attempt can take.

Writes come in *cycles*: one unit of work records every outcome that finished since the
last one and claims as many events as there are free delivery slots, and the next cycle
waits at least ``min_poll_interval`` (20 ms). Under load that is one transaction (one sync
of the database, one turn of SQLite's single write lock) per 20 ms for the whole flow,
however many events pass, instead of one claim and one record per handful of events.

The running dispatcher polls the outbox adaptively: right after a claim that found work it
claims again within ``min_poll_interval`` (20 ms), and each empty claim doubles the wait up
to ``poll_interval`` (0.25 s). While it waits, it looks every ``min_poll_interval`` whether
an event is due (``EventOutbox.next_due_at``: one index seek in a read-only unit of work, no
write lock) and claims at once when one is. So the first attempt follows the commit by
about 20 ms even after a quiet spell; an idle worker costs fifty such reads and four empty
claims a second (well under a millisecond each on SQLite and PostgreSQL).

Deliveries run concurrently on an asyncio loop owned by the dispatcher (the callers stay
synchronous: tests call ``run_once``, ``paygate worker`` runs ``run_forever``), each one
bounded by the timeout, so a slow or dead endpoint holds only its own slot. The synchronous
unit of work runs in a worker thread, never on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

from paygate_adapters.webhooks.sender import DEFAULT_TIMEOUT, DeliveryResult, WebhookSender
from paygate_adapters.webhooks.ssrf import Resolver, system_resolver
from paygate_core.errors import StorageUnavailable
from paygate_core.events import Delivery, DeliveryStatus, WebhookAttempt, WebhookAttemptStatus
from paygate_core.ports import Clock, EventOutbox, IdGenerator, UnitOfWorkFactory

__all__ = [
    "DEFAULT_CONCURRENCY",
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

T = TypeVar("T")

Outcome = tuple[Delivery, DeliveryResult]
"""One finished attempt: what was claimed and what the endpoint answered."""

DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (30, 120, 600, 3600, 21600, 86400)
"""Seconds to wait before each retry: 30 s, 2 min, 10 min, 1 h, 6 h, 24 h (7 attempts)."""
LEASE_MARGIN = 30.0
"""Seconds a claim outlives the longest its attempt can take (DNS, a slow commit, ...)."""
DEFAULT_POLL_INTERVAL = 0.25
"""Longest wait between two claims of an idle dispatcher, seconds."""
DEFAULT_MIN_POLL_INTERVAL = 0.02
"""Wait before the next claim after one that found work, and the shortest time between two
write cycles, seconds."""
DEFAULT_CONCURRENCY = 64
"""Attempts in flight at once; with 20 ms cycles, up to 3,200 quick deliveries a second."""


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


@attrs.define
class _Pace:
    """When the running dispatcher claims next.

    Under load it claims in chunks (a quarter of the slots) rather than one event per freed
    slot. With fewer slots free it still claims once per poll interval, so endpoints hanging
    in most slots cannot stall the rest. With a chunk free, the pacer decides: soon after a
    claim that found work, later and later while claims come back empty. A look that saw an
    event due but whose claim came back empty (another worker took it, or claiming fails)
    is not followed again until a paced claim.
    """

    pacer: PollPacer
    chunk: int
    last_claim: float = -math.inf
    next_claim: float = -math.inf
    looked: bool = False
    trust_looks: bool = True

    def due_at(self, free: int) -> float:
        """When to claim, with ``free`` slots free (loop time)."""
        if free >= self.chunk:
            return self.next_claim
        return self.last_claim + self.pacer.longest

    def claimed(self, at: float, *, found: int, limit: int) -> None:
        self.last_claim = at
        self.trust_looks = bool(found) or not self.looked
        self.looked = False
        pause = self.pacer.next_wait(found=bool(found))
        # A full claim: more are probably due, claim again next cycle.
        self.next_claim = at + (0.0 if found == limit else pause)

    def saw_due(self, at: float) -> None:
        """A look found an event due: claim at once."""
        self.next_claim = at
        self.looked = True


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

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry_schedule: Sequence[float] = DEFAULT_RETRY_SCHEDULE,
        allow_private: bool = False,
        batch_size: int = 100,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        min_poll_interval: float | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        lease_margin: float = LEASE_MARGIN,
        resolver: Resolver = system_resolver,
    ) -> None:
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
        self._ssl_context = ssl.create_default_context()  # loads the CA bundle once
        self._storage_down = False  # a claim met StorageUnavailable: logged once per outage
        self._db_thread = ThreadPoolExecutor(max_workers=1)  # replaced by each session

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
        thread = threading.Thread(
            target=self.run_forever, args=(stop,), daemon=True, name="paygate-webhook-dispatcher"
        )
        thread.start()
        return DispatcherHandle(thread, stop, join_timeout=self.timeout + LEASE_MARGIN)

    # --- the loop ----------------------------------------------------------------------

    async def _run_once(self) -> int:
        async with self._session() as sender:
            claimed = await self._claim(self.batch_size)
            slots = asyncio.Semaphore(self.concurrency)

            async def deliver(delivery: Delivery) -> Outcome:
                async with slots:
                    return await self._attempt(sender, delivery)

            outcomes = await asyncio.gather(*(deliver(d) for d in claimed))
            if outcomes:
                await self._in_db_thread(self._record_all, outcomes)
        return len(claimed)

    async def _serve(self, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        pace = _Pace(
            PollPacer(self.min_poll_interval, self.poll_interval),
            chunk=max(1, min(self.batch_size, self.concurrency) // 4),
        )
        async with self._session() as sender:
            inflight: set[asyncio.Task[Outcome]] = set()
            finished: list[Outcome] = []
            attempt_done = asyncio.Event()
            last_write = -math.inf
            while not stop.is_set():
                attempt_done.clear()
                finished += _collect(inflight)
                free = min(self.batch_size, self.concurrency - len(inflight))
                due_at = pace.due_at(free)
                cycle_at = last_write + self.min_poll_interval
                now = loop.time()
                claim = free > 0 and now >= due_at
                if (claim or finished) and now >= cycle_at:
                    # A cycle that records outcomes also claims when a chunk is free.
                    limit = free if claim or free >= pace.chunk else 0
                    outcomes, finished = finished, []
                    claimed = await self._cycle(outcomes, limit)
                    last_write = loop.time()
                    for delivery in claimed:
                        task = asyncio.create_task(self._attempt(sender, delivery))
                        task.add_done_callback(lambda _: attempt_done.set())
                        inflight.add(task)
                    if limit:
                        pace.claimed(last_write, found=len(claimed), limit=limit)
                    continue
                if now < cycle_at:  # this cycle has written: the next one waits its turn
                    await asyncio.sleep(cycle_at - now)
                    continue
                # Sleep until an attempt finishes (its outcome starts the next cycle) or a
                # claim is due. A long wait is cut into short ones, each ended by a look (a
                # read, no lock) at whether an event is due: a new event is claimed within
                # min_poll_interval.
                wait = max(0.0, min((due_at if free > 0 else math.inf) - now, self.poll_interval))
                look = pace.trust_looks and free >= pace.chunk and wait > self.min_poll_interval
                if look:
                    wait = self.min_poll_interval
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await (attempt_done.wait() if inflight else asyncio.sleep(wait))
                if look and not stop.is_set() and await self._anything_due():
                    pace.saw_due(loop.time())
            if inflight:
                await asyncio.wait(inflight)  # each is bounded by the timeout
            finished += _collect(inflight)
            if finished:
                await self._cycle(finished, 0)

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[WebhookSender]:
        """A sender for this event loop; threads for DNS (the loop's default executor) and
        one for units of work, so a slow DNS server never holds up claims and records."""
        loop = asyncio.get_running_loop()
        loop.set_default_executor(
            ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="paygate-webhooks-dns"
            )
        )
        self._db_thread = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="paygate-webhooks-db"
        )
        try:
            async with WebhookSender(
                timeout=self.timeout,
                allow_private=self.allow_private,
                max_connections=self.concurrency,
                ssl_context=self._ssl_context,
                resolver=self._resolver,
            ) as sender:
                yield sender
        finally:
            self._db_thread.shutdown(wait=True)

    async def _in_db_thread(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._db_thread, functools.partial(work, *args)
        )

    # --- one attempt -------------------------------------------------------------------

    async def _claim(self, limit: int) -> Sequence[Delivery]:
        return await self._cycle((), limit)

    async def _cycle(self, outcomes: Sequence[Outcome], limit: int) -> Sequence[Delivery]:
        """Record ``outcomes`` and claim up to ``limit`` events in one unit of work; the
        claimed deliveries (none if claiming failed: it is tried again next cycle)."""
        try:
            claimed = await self._in_db_thread(self._write_cycle, outcomes, limit)
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
            return await self._in_db_thread(self._due_now)
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
            logger.warning(
                "database unavailable; webhook deliveries wait"
                if down
                else "database available again; webhook deliveries resume"
            )

    def _due_now(self) -> bool:
        with self._uow(read_only=True) as work:
            due = work.outbox.next_due_at()
        return due is not None and due <= self._clock.now()

    def _write_cycle(self, outcomes: Sequence[Outcome], limit: int) -> Sequence[Delivery]:
        """One unit of work: log ``outcomes``, claim up to ``limit`` due events. If it
        fails, the outcomes are recorded on their own (``_record_all``) and it raises."""
        # Claimed events may queue for a delivery slot in run_once: cover the wait too.
        rounds = math.ceil(limit / self.concurrency)
        lease = timedelta(seconds=self.timeout * rounds + self.lease_margin)
        try:
            with self._uow() as work:
                logged = [
                    self._record(work.outbox, delivery, result) for delivery, result in outcomes
                ]
                claimed = work.outbox.claim_due(self._clock.now(), limit, lease) if limit else ()
                work.commit()
        except Exception:
            if outcomes:
                self._record_all(outcomes)
            raise
        _log_attempts(logged)
        return claimed

    async def _attempt(self, sender: WebhookSender, delivery: Delivery) -> Outcome:
        """Send once; the outcome, for the next cycle to record (never raises)."""
        timestamp = int(self._clock.now().timestamp())
        return delivery, await sender.send(delivery, timestamp)

    def _record_all(self, outcomes: Sequence[Outcome]) -> None:
        """Record ``outcomes`` in one unit of work; if that fails, one by one, so a bad one
        cannot keep the others from being recorded. One that cannot be recorded is logged:
        its event is claimed again when its lease ends."""
        try:
            with self._uow() as work:
                logged = [
                    self._record(work.outbox, delivery, result) for delivery, result in outcomes
                ]
                work.commit()
        except Exception:
            if len(outcomes) > 1:
                for outcome in outcomes:
                    self._record_all([outcome])
                return
            delivery = outcomes[0][0]
            logger.exception(
                "webhook attempt not recorded; it is retried when its lease ends",
                extra={
                    "fields": {"event_id": str(delivery.webhook.id), "attempt": delivery.attempt}
                },
            )
            return
        _log_attempts(logged)

    def _record(
        self, outbox: EventOutbox, delivery: Delivery, result: DeliveryResult
    ) -> dict[str, object]:
        """Log the attempt and update the event; the fields of its log line."""
        now = self._clock.now()
        event = delivery.webhook.event
        attempt = WebhookAttempt(
            id=self._ids.new_id(),
            event_id=event.id,
            merchant_id=event.merchant_id,
            event_type=event.type,
            payment_id=event.payment_id,
            attempt=delivery.attempt,
            url=delivery.url,
            status=WebhookAttemptStatus.SENT if result.ok else WebhookAttemptStatus.FAILED,
            http_status=result.http_status,
            response_body=result.response_body,
            error=result.error,
            duration_ms=result.duration_ms,
            created_at=now,
        )
        if result.ok:
            status, next_attempt_at = DeliveryStatus.DELIVERED, None
        else:
            next_attempt_at = retry_at(delivery.attempt, self.retry_schedule, now)
            status = DeliveryStatus.FAILED if next_attempt_at is None else DeliveryStatus.PENDING
        outbox.record_attempt(attempt, status, next_attempt_at)
        return {
            "event_id": str(event.id),
            "attempt": delivery.attempt,
            "http_status": result.http_status,
            "error": result.error,
            "duration_ms": result.duration_ms,
            "delivery_status": status.value,
        }


def _collect(inflight: set[asyncio.Task[Outcome]]) -> list[Outcome]:
    """Take the finished attempts out of ``inflight``; their outcomes. (An attempt never
    raises; one that did anyway is logged, and its lease brings the event back.)"""
    done = [task for task in inflight if task.done()]
    inflight.difference_update(done)
    outcomes = []
    for task in done:
        if task.cancelled() or task.exception() is not None:
            logger.error(
                "webhook attempt crashed; it is retried when its lease ends",
                exc_info=None if task.cancelled() else task.exception(),
            )
            continue
        outcomes.append(task.result())
    return outcomes


def _log_attempts(logged: Sequence[dict[str, object]]) -> None:
    for fields in logged:
        logger.info("webhook attempt", extra={"fields": fields})
