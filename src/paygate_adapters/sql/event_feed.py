"""Committed events for live streams: ``SqlEventFeed`` (the ``EventFeed`` port) and what
wakes the streams of a merchant when its events commit (``event_watch``).

- ``SqlEventFeed.after`` is one index range read of ``(merchant_id, created_at, id)`` in a
  short transaction of its own, outside any unit of work: it sees committed rows only.
- ``SqliteEventWatch`` polls the table's ``rowid``: SQLite has one writer at a time and a
  new row takes the next rowid, so rowids grow in commit order and ``rowid > last`` is
  exactly what committed since the last poll, whichever process wrote it (one
  ``max(rowid)`` seek when nothing did).
- ``PostgresEventWatch`` holds one connection listening on ``paygate_events``, which the
  trigger of migration 0010 notifies with each merchant id when its events commit.

A watch reports merchant ids (or ``None``: "any merchant may have new events", after a
reconnection) to a callback from a thread of its own; the streams then read the feed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import ColumnClause, Engine, Integer, and_, func, literal_column, or_, select
from sqlalchemy.engine import make_url

from paygate_adapters.sql.engine import create_database_engine, is_sqlite_file
from paygate_adapters.sql.faults import storage_unavailable
from paygate_adapters.sql.tables import webhook_events
from paygate_core.events import DeliveryStatus, PaymentEvent, WebhookEvent

__all__ = [
    "NOTIFY_CHANNEL",
    "EventWatch",
    "PostgresEventWatch",
    "SqlEventFeed",
    "SqliteEventWatch",
    "event_watch",
]

_log = logging.getLogger("paygate.live_events")

NOTIFY_CHANNEL = "paygate_events"
Wake = Callable[[UUID | None], None]
_e = webhook_events.c


def _record(row: Any) -> WebhookEvent:
    """The outbox row as the core's record; ``payload`` is the webhook body, stored."""
    return WebhookEvent(
        event=PaymentEvent.from_payload(row.merchant_id, row.payload),
        delivery_status=DeliveryStatus(row.delivery_status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        created_at=row.created_at,
    )


class SqlEventFeed:
    """The ``EventFeed`` port. On a SQLite file it reads through a read-only pool of its
    own; elsewhere through ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self._own = is_sqlite_file(engine.url)
        self._engine = create_database_engine(engine.url, read_only=True) if self._own else engine

    def after(
        self,
        merchant_id: UUID,
        position: tuple[datetime, UUID],
        limit: int,
    ) -> Sequence[WebhookEvent]:
        at, event_id = position
        statement = (
            select(webhook_events)
            .where(
                _e.merchant_id == merchant_id,
                _e.created_at >= at,
                or_(_e.created_at > at, and_(_e.created_at == at, _e.id > event_id)),
            )
            .order_by(_e.created_at, _e.id)
            .limit(limit)
        )
        try:
            with self._engine.connect() as connection:
                rows = connection.execute(statement).all()
        except Exception as exc:
            fault = storage_unavailable(exc)
            if fault is None:
                raise
            raise fault from exc
        return [_record(row) for row in rows]

    def close(self) -> None:
        if self._own:
            self._engine.dispose()


class EventWatch(Protocol):
    def run(self, wake: Wake, stop: threading.Event) -> None:
        """Call ``wake`` with each merchant whose events committed, until ``stop`` is set
        (on this thread; errors are logged and retried, never raised)."""
        ...

    def close(self) -> None: ...


class SqliteEventWatch:
    """Polls every ``interval`` seconds: one statement when nothing committed."""

    def __init__(self, engine: Engine, interval: float = 0.25) -> None:
        self._engine = create_database_engine(engine.url, read_only=True)
        self.interval = interval
        self._last: int | None = None

    def poll(self) -> set[UUID]:
        """The merchants with events committed since the last poll (none at the first)."""
        rowid: ColumnClause[int] = literal_column("rowid", Integer())
        with self._engine.connect() as connection:
            newest = (
                connection.execute(select(func.max(rowid)).select_from(webhook_events)).scalar()
                or 0
            )
            last, self._last = self._last, newest
            if last is None or newest <= last:
                return set()
            found = (
                connection.execute(
                    select(_e.merchant_id).distinct().where(rowid > last, rowid <= newest)
                )
                .scalars()
                .all()
            )
        return set(found)

    def run(self, wake: Wake, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                merchants = self.poll()
            except Exception:
                _log.warning("live events: reading new events failed; retrying", exc_info=True)
                continue
            for merchant_id in merchants:
                wake(merchant_id)

    def close(self) -> None:
        self._engine.dispose()


class PostgresEventWatch:
    """``LISTEN paygate_events`` on a connection of its own, reconnecting with backoff; after
    a reconnection every stream is woken (notifications were lost meanwhile)."""

    def __init__(self, url: str, *, timeout: float = 0.5) -> None:
        self._url = url
        self.timeout = timeout

    def run(self, wake: Wake, stop: threading.Event) -> None:
        delay = 0.5
        first = True
        while not stop.is_set():
            try:
                self._listen(wake, stop, announce=not first)
                delay = 0.5
            except Exception as exc:  # one line per try, like the start-up's database wait
                _log.warning(
                    "live events: listening connection lost; reconnecting",
                    extra={
                        "fields": {"error": f"{type(exc).__name__}: {exc}", "retry_in_s": delay}
                    },
                )
                stop.wait(delay)
                delay = min(delay * 2, 10.0)
            first = False

    def _listen(self, wake: Wake, stop: threading.Event, *, announce: bool) -> None:
        import psycopg

        with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
            if announce:
                wake(None)
            while not stop.is_set():
                for notice in connection.notifies(timeout=self.timeout, stop_after=100):
                    _wake_from(wake, notice.payload)

    def close(self) -> None:
        pass


def _wake_from(wake: Wake, payload: str) -> None:
    try:
        merchant_id = UUID(payload)
    except ValueError:
        return
    wake(merchant_id)


def event_watch(engine: Engine) -> EventWatch | None:
    """The watch for ``engine``'s database; None for an in-memory SQLite one (one process,
    one connection: nothing else can commit)."""
    if engine.dialect.name == "postgresql":
        url = make_url(engine.url).set(drivername="postgresql")
        return PostgresEventWatch(url.render_as_string(hide_password=False))
    if is_sqlite_file(engine.url):
        return SqliteEventWatch(engine)
    return None
