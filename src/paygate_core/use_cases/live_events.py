"""Live event streams (``events/stream/``): each stream's place in its merchant's committed
events, and the cap on a merchant's open streams.

Events are read back from storage (``EventFeed``), never from one process's memory, so a
stream sees every event whichever worker or process committed it. Storage orders them by
``(created_at, id)``, but that is the order in which their transactions *began* writing,
not the order in which they committed: a transaction stamped earlier may commit after one
stamped later. A tail therefore rereads a settle window (``settle``, 5 s by default) before
the newest event it has seen and remembers the ids it has seen in that window: an event
that commits up to ``settle`` after its stamp is still sent, and sent once.

    tail = open_tail(feed, uow, clock, merchant_id, last_event_id=request_header)
    while streaming:
        for event in tail.read():      # new committed events, oldest first
            send(event)

``open_tail`` with the ``Last-Event-ID`` of one of the merchant's events first returns the
events after it; with no id, an unknown one or another merchant's, it starts from now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import attrs

from paygate_core.errors import PaygateError, RateLimited
from paygate_core.events import EventPosition, PaymentEvent, WebhookEvent
from paygate_core.ports import Clock, EventFeed, UnitOfWorkFactory

__all__ = [
    "MAX_OPEN_STREAMS",
    "READ_BATCH",
    "SETTLE",
    "EventTail",
    "StreamLimitReached",
    "StreamSlots",
    "open_tail",
]

MAX_OPEN_STREAMS = 5
"""Open streams per merchant (the contract's limit)."""
SETTLE = timedelta(seconds=5)
READ_BATCH = 200
"""Events read per statement, and the most one ``read`` returns."""

_LOWEST = UUID(int=0)
_HIGHEST = UUID(int=(1 << 128) - 1)


class StreamLimitReached(RateLimited):
    """The merchant already has ``limit`` open streams (429 1006 with ``Retry-After``)."""

    def __init__(self, limit: int, retry_after: int) -> None:
        PaygateError.__init__(
            self,
            f"At most {limit} event streams may be open at once; retry after {retry_after} seconds",
        )
        self.retry_after = retry_after


def _position(record: WebhookEvent) -> EventPosition:
    return record.created_at, record.id


@attrs.define
class EventTail:
    """Where one stream stands in its merchant's events. Not thread-safe: one stream, one
    caller at a time."""

    feed: EventFeed
    merchant_id: UUID
    newest: datetime
    """The newest ``created_at`` seen (at first: the anchor's)."""
    settle: timedelta = SETTLE
    seen: dict[UUID, datetime] = attrs.field(factory=dict)
    """Ids seen within the settle window, with their ``created_at``."""

    def read(self, limit: int = READ_BATCH) -> list[PaymentEvent]:
        """Up to ``limit`` events committed since the last read and not sent yet, oldest
        first (an empty list: nothing new)."""
        fresh: list[PaymentEvent] = []
        position: EventPosition = (self.newest - self.settle, _LOWEST)
        while len(fresh) < limit:
            batch = self.feed.after(self.merchant_id, position, READ_BATCH)
            for record in batch:
                if record.id in self.seen:
                    continue
                self._see(record)
                fresh.append(record.event)
                if len(fresh) == limit:
                    break
            if len(batch) < READ_BATCH:
                break
            position = _position(batch[-1])
        self._forget_settled()
        return fresh

    def skip_through(self, anchor: EventPosition) -> None:
        """Count the events present now at or before ``anchor`` (within the settle window)
        as sent: the stream starts after it."""
        position: EventPosition = (anchor[0] - self.settle, _LOWEST)
        while True:
            batch = self.feed.after(self.merchant_id, position, READ_BATCH)
            for record in batch:
                if _position(record) > anchor:
                    return
                self._see(record)
            if len(batch) < READ_BATCH:
                return
            position = _position(batch[-1])

    def _see(self, record: WebhookEvent) -> None:
        self.seen[record.id] = record.created_at
        self.newest = max(self.newest, record.created_at)

    def _forget_settled(self) -> None:
        horizon = self.newest - self.settle
        if any(at < horizon for at in self.seen.values()):
            self.seen = {key: at for key, at in self.seen.items() if at >= horizon}


def open_tail(
    feed: EventFeed,
    uow: UnitOfWorkFactory,
    clock: Clock,
    merchant_id: UUID,
    last_event_id: str | None = None,
    *,
    settle: timedelta = SETTLE,
) -> EventTail:
    """A tail starting after ``last_event_id`` when that names one of the merchant's events,
    else after everything committed now."""
    anchor = _anchor(uow, merchant_id, last_event_id) or (clock.now(), _HIGHEST)
    tail = EventTail(feed=feed, merchant_id=merchant_id, newest=anchor[0], settle=settle)
    tail.skip_through(anchor)
    return tail


def _anchor(
    uow: UnitOfWorkFactory,
    merchant_id: UUID,
    last_event_id: str | None,
) -> EventPosition | None:
    event_id = _parse_id(last_event_id)
    if event_id is None:
        return None
    with uow(read_only=True) as unit:
        record = unit.outbox.get(event_id, merchant_id)
    return None if record is None else _position(record)


def _parse_id(text: str | None) -> UUID | None:
    if not text or len(text) > 64:
        return None
    try:
        return UUID(text.strip())
    except ValueError:
        return None


class StreamSlots:
    """Open streams per merchant in this process, at most ``limit`` each. Callers on one
    event loop (or holding their own lock): ``take`` and ``give_back`` do not block."""

    def __init__(self, limit: int = MAX_OPEN_STREAMS, retry_after: int = 15) -> None:
        self.limit = limit
        self.retry_after = retry_after
        self._open: dict[UUID, int] = {}

    def take(self, merchant_id: UUID) -> None:
        """One more open stream; ``StreamLimitReached`` when the merchant has ``limit``."""
        count = self._open.get(merchant_id, 0)
        if count >= self.limit:
            raise StreamLimitReached(self.limit, self.retry_after)
        self._open[merchant_id] = count + 1

    def give_back(self, merchant_id: UUID) -> None:
        count = self._open.get(merchant_id, 0) - 1
        if count > 0:
            self._open[merchant_id] = count
        else:
            self._open.pop(merchant_id, None)

    def open_streams(self, merchant_id: UUID) -> int:
        return self._open.get(merchant_id, 0)
