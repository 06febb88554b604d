"""This process's live event streams (``events/stream/`` and the dashboard's
``/dashboard/events``): one watch per process, fanned out to every open stream.

``LiveEvents`` runs the database's watch (``EventWatch``: SQLite polls the rowid every
250 ms, PostgreSQL listens for the notifications of migration 0010) on a thread of its own;
each report of a merchant wakes that merchant's open streams, which then read what
committed through the core's ``EventTail`` (``use_cases.live_events``). Without a watch
(the in-memory adapters) every stream is woken every ``poll_interval`` seconds.

A stream:

- takes one of its merchant's slots first (``StreamSlots``: at most 5 open streams per
  merchant in this process; the sixth is ``StreamLimitReached``, 429 1006);
- sends the events after ``Last-Event-ID`` (or starts from now), then each event as it
  commits, as ``id: <event_id>`` / ``event: <type>`` / ``data: <the webhook body>``;
- sends ``: keep-alive`` every ``keep_alive`` seconds;
- asks ``still_allowed`` every ``check_every`` seconds and ends when it answers False (the
  credential revoked, the user deleted, the session over);
- ends at once when the server shuts down: uvicorn waits for open responses before it runs
  the application's shutdown hooks, so ``start`` also chains the process's SIGTERM and
  SIGINT handlers (uvicorn's) to end every stream first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import FrameType
from typing import Any, Protocol
from uuid import UUID

import attrs
from litestar.connection import ASGIConnection
from litestar.response import ServerSentEvent, ServerSentEventMessage

from paygate_core.errors import StorageUnavailable
from paygate_core.events import PaymentEvent
from paygate_core.ports import Clock, EventFeed, UnitOfWorkFactory
from paygate_core.use_cases.live_events import READ_BATCH, EventTail, StreamSlots, open_tail
from paygate_http.services import Offload, services_of

__all__ = [
    "LIVE_EVENTS_STATE_KEY",
    "EventWatch",
    "LiveEvents",
    "event_message",
    "keep_alive_message",
    "stream_response",
    "webhook_body",
]

_log = logging.getLogger("paygate.live_events")

LIVE_EVENTS_STATE_KEY = "paygate_live_events"
Encode = Callable[[PaymentEvent], Awaitable[ServerSentEventMessage]]


class EventWatch(Protocol):
    """What reports merchants whose events committed (``paygate_adapters.sql.event_feed``)."""

    def run(self, wake: Callable[[UUID | None], None], stop: threading.Event) -> None: ...

    def close(self) -> None: ...


def webhook_body(event: PaymentEvent) -> str:
    """The webhook body of ``event`` on one line: its stored snapshot as compact JSON, the
    exact text webhook deliveries send."""
    return json.dumps(event.payload(), separators=(",", ":"))


def event_message(event: PaymentEvent, data: str) -> ServerSentEventMessage:
    return ServerSentEventMessage(id=str(event.id), event=event.type.value, data=data, sep="\n")


def keep_alive_message() -> ServerSentEventMessage:
    return ServerSentEventMessage(comment="keep-alive", data=None, sep="\n")


async def _as_webhook(event: PaymentEvent) -> ServerSentEventMessage:
    return event_message(event, webhook_body(event))


@attrs.define
class _Lease:
    """A taken slot, given back once."""

    slots: StreamSlots
    merchant_id: UUID
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.slots.give_back(self.merchant_id)


@attrs.frozen
class _Stream:
    """One open stream: its slot, its place in the events, what wakes it, how it reads,
    asks whether it may go on, and writes each event."""

    lease: _Lease
    tail: EventTail
    woken: asyncio.Event
    offload: Offload
    still_allowed: Callable[[], Awaitable[bool]]
    encode: Encode


@attrs.define(eq=False)
class LiveEvents:
    feed: EventFeed
    uow: UnitOfWorkFactory
    clock: Clock
    watch: EventWatch | None = None
    slots: StreamSlots = attrs.field(factory=StreamSlots)
    keep_alive: float = 15.0
    check_every: float = 1.0
    poll_interval: float = 0.25
    closing: bool = False
    _streams: dict[UUID, set[asyncio.Event]] = attrs.field(factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: threading.Event = attrs.field(factory=threading.Event)
    _thread: threading.Thread | None = None
    _closed_on: list[Callable[[], None]] = attrs.field(factory=list)

    # --- the process's watch ------------------------------------------------------------------

    def start(self) -> None:
        """On the serving event loop (the application's startup): run the watch and end
        the streams on SIGTERM/SIGINT."""
        self._loop = asyncio.get_running_loop()
        target = self._run_watch if self.watch is not None else self._poll_everything
        self._thread = threading.Thread(target=target, name="paygate-live-events", daemon=True)
        self._thread.start()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                _chain_signal(signum, self._on_signal)

    def stop(self) -> None:
        """End every stream and the watch (the application's shutdown)."""
        self.close_streams()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self.watch is not None:
            self.watch.close()
        for close in self._closed_on:
            close()

    def on_stop(self, close: Callable[[], None]) -> None:
        """Also call ``close`` when stopping (the feed's own connections)."""
        self._closed_on.append(close)

    def _run_watch(self) -> None:
        assert self.watch is not None
        self.watch.run(self.wake, self._stop)

    def _poll_everything(self) -> None:
        while not self._stop.wait(self.poll_interval):
            self.wake(None)

    def wake(self, merchant_id: UUID | None) -> None:
        """From any thread: the merchant's streams (``None``: every stream) read now."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake_now, merchant_id)

    def _wake_now(self, merchant_id: UUID | None) -> None:
        groups = (
            self._streams.values()
            if merchant_id is None
            else [self._streams.get(merchant_id, set())]
        )
        for group in groups:
            for woken in group:
                woken.set()

    def _on_signal(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.close_streams)

    def close_streams(self) -> None:
        """Every open stream ends (the server is stopping); new ones end at once."""
        self.closing = True
        self._wake_now(None)

    # --- one stream -----------------------------------------------------------------------------

    def reserve(self, merchant_id: UUID) -> _Lease:
        """One of the merchant's slots (``StreamLimitReached`` when none is free)."""
        self.slots.take(merchant_id)
        return _Lease(self.slots, merchant_id)

    async def open(
        self,
        lease: _Lease,
        *,
        last_event_id: str | None,
        offload: Offload,
        still_allowed: Callable[[], Awaitable[bool]],
        encode: Encode = _as_webhook,
    ) -> AsyncIterator[ServerSentEventMessage]:
        """The stream's messages, over ``lease`` (given back when the stream ends)."""
        woken = asyncio.Event()
        woken.set()  # read once at the start: the replay, or what committed meanwhile
        self._streams.setdefault(lease.merchant_id, set()).add(woken)
        try:
            tail = await offload(
                open_tail, self.feed, self.uow, self.clock, lease.merchant_id, last_event_id
            )
        except BaseException:
            self._leave(lease, woken)
            raise
        messages = self._messages(_Stream(lease, tail, woken, offload, still_allowed, encode))
        weakref.finalize(messages, lease.release)  # never iterated: the slot comes back
        return messages

    async def _messages(self, stream: _Stream) -> AsyncIterator[ServerSentEventMessage]:
        try:
            checked = kept_alive = time.monotonic()
            while not self.closing:
                if stream.woken.is_set():
                    stream.woken.clear()
                    async for message in self._read(stream):
                        yield message
                now = time.monotonic()
                if now - checked >= self.check_every:
                    if not await stream.still_allowed():
                        return
                    checked = now
                if now - kept_alive >= self.keep_alive:
                    yield keep_alive_message()
                    kept_alive = now
                await _wait(stream.woken, min(self.check_every, self.keep_alive))
        finally:
            self._leave(stream.lease, stream.woken)

    async def _read(self, stream: _Stream) -> AsyncIterator[ServerSentEventMessage]:
        while not self.closing:
            events = await stream.offload(stream.tail.read, READ_BATCH)
            for event in events:
                yield await stream.encode(event)
            if len(events) < READ_BATCH:
                return

    def _leave(self, lease: _Lease, woken: asyncio.Event) -> None:
        group = self._streams.get(lease.merchant_id)
        if group is not None:
            group.discard(woken)
            if not group:
                del self._streams[lease.merchant_id]
        lease.release()


async def _wait(woken: asyncio.Event, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(woken.wait(), timeout)


def _chain_signal(signum: int, first: Callable[[], None]) -> None:
    """Call ``first`` on ``signum``, then whatever handled it before (uvicorn's)."""
    previous = signal.getsignal(signum)

    def handle(number: int, frame: FrameType | None) -> None:
        first()
        if callable(previous):
            previous(number, frame)

    signal.signal(signum, handle)


async def stream_response(
    connection: ASGIConnection[Any, Any, Any, Any],
    merchant_id: UUID,
    *,
    last_event_id: str | None,
    still_allowed: Callable[[], Awaitable[bool]],
    encode: Encode = _as_webhook,
    headers: Mapping[str, str] | None = None,
) -> ServerSentEvent:
    """The merchant's live stream as the answer to ``connection``: one of its slots taken
    (else ``StreamLimitReached``), its reads run the way this application runs reading use
    cases (``services.offload``)."""
    live = connection.app.state.get(LIVE_EVENTS_STATE_KEY)
    if not isinstance(live, LiveEvents):
        raise StorageUnavailable("Live events are not available here", retry_after=60)
    lease = live.reserve(merchant_id)
    messages = await live.open(
        lease,
        last_event_id=last_event_id,
        offload=services_of(connection).offload,
        still_allowed=still_allowed,
        encode=encode,
    )
    return ServerSentEvent(messages, headers=dict(headers or {}))
