"""The transactional outbox of payment events and the webhook delivery queue over it.

Events are inserted by the unit of work that changes the payment, so they commit or vanish
with it. Workers claim due events with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (each skips
rows another worker holds); on SQLite the claiming unit of work holds the write lock.

A dispatcher claims and records in batches, holding SQLite's single write lock meanwhile,
so these statements are kept few and lean: one ``UPDATE ... WHERE id IN (...)`` claims a
whole batch, and the read of the due events (on SQLite) and the attempts' log run as
``Prepared`` statements (prepared.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Row, bindparam, func, insert, select, update

from paygate_adapters.sql.prepared import Prepared
from paygate_adapters.sql.tables import merchants, webhook_attempts, webhook_events
from paygate_adapters.sql.types import UtcDateTime
from paygate_adapters.sql.work_connection import WorkConnection
from paygate_core.events import (
    Delivery,
    DeliveryStatus,
    EventType,
    PaymentEvent,
    WebhookAttempt,
    WebhookAttemptStatus,
    WebhookEvent,
)
from paygate_core.pagination import Page, PageRequest

__all__ = ["SqlEventOutbox"]


def _event(row: Row[Any]) -> WebhookEvent:
    return WebhookEvent(
        event=PaymentEvent.from_payload(row.merchant_id, row.payload),
        delivery_status=DeliveryStatus(row.delivery_status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        created_at=row.created_at,
    )


def _attempt(row: Row[Any]) -> WebhookAttempt:
    return WebhookAttempt(
        id=row.id,
        event_id=row.event_id,
        merchant_id=row.merchant_id,
        event_type=EventType(row.event_type),
        payment_id=row.payment_id,
        attempt=row.attempt,
        url=row.url,
        status=WebhookAttemptStatus(row.status),
        http_status=row.http_status,
        response_body=row.response_body,
        error=row.error,
        duration_ms=row.duration_ms,
        created_at=row.created_at,
    )


def _attempt_values(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "event_id": attempt.event_id,
        "merchant_id": attempt.merchant_id,
        "event_type": attempt.event_type.value,
        "payment_id": attempt.payment_id,
        "attempt": attempt.attempt,
        "url": attempt.url,
        "status": attempt.status.value,
        "http_status": attempt.http_status,
        "response_body": attempt.response_body,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "created_at": attempt.created_at,
        "updated_at": attempt.created_at,
    }


_INSERT_EVENT = Prepared(
    insert(webhook_events),  # prepared.py: the hot path of a payment
    columns=[column.name for column in webhook_events.c],
)
_INSERT_ATTEMPT = Prepared(
    insert(webhook_attempts), columns=[column.name for column in webhook_attempts.c]
)
_SETTLE_EVENT = Prepared(
    update(webhook_events)
    .where(webhook_events.c.id == bindparam("key_id"))
    .values(
        delivery_status=bindparam("b_status"),
        next_attempt_at=bindparam("b_next"),
        last_attempt_at=bindparam("b_at"),
        updated_at=bindparam("b_updated"),
    )
)


_DUE = (
    select(webhook_events, merchants.c.webhook_url, merchants.c.webhook_secret)
    .join(merchants, merchants.c.id == webhook_events.c.merchant_id)
    .where(
        webhook_events.c.delivery_status == bindparam("pending"),
        webhook_events.c.next_attempt_at <= bindparam("now", type_=UtcDateTime()),
    )
    .order_by(webhook_events.c.next_attempt_at, webhook_events.c.created_at, webhook_events.c.id)
    .limit(bindparam("limit"))
)
"""Due events oldest first, with where to send them."""
# The claim of a SQLite dispatcher runs under the database's write lock: kept lean.
# (SQLite's LIMIT comes with an OFFSET: it is named, so that it can be passed.)
_DUE_ON_SQLITE = Prepared(_DUE.offset(bindparam("offset")))


class SqlEventOutbox:
    def __init__(self, context: WorkConnection) -> None:
        self._c = context

    def add(self, event: PaymentEvent, *, deliver: bool, now: datetime) -> None:
        self._c.run(
            _INSERT_EVENT,
            {
                "id": event.id,
                "merchant_id": event.merchant_id,
                "payment_id": event.payment_id,
                "event_type": event.type.value,
                "payload": event.payload(),
                "delivery_status": (
                    DeliveryStatus.PENDING if deliver else DeliveryStatus.SKIPPED
                ).value,
                "attempts": 0,
                "next_attempt_at": now if deliver else None,
                "last_attempt_at": None,
                "created_at": now,
                "updated_at": now,
            },
        )

    def get(self, event_id: UUID, merchant_id: UUID) -> WebhookEvent | None:
        return self._c.one(
            select(webhook_events).where(
                webhook_events.c.id == event_id, webhook_events.c.merchant_id == merchant_id
            ),
            _event,
        )

    def list(self, merchant_id: UUID, page: PageRequest) -> Page[WebhookEvent]:
        stmt = select(webhook_events).where(webhook_events.c.merchant_id == merchant_id)
        return self._c.page(stmt, webhook_events, page, _event)

    def list_attempts(
        self,
        merchant_id: UUID,
        page: PageRequest,
        *,
        event_id: UUID | None = None,
        payment_id: UUID | None = None,
    ) -> Page[WebhookAttempt]:
        stmt = select(webhook_attempts).where(webhook_attempts.c.merchant_id == merchant_id)
        if event_id is not None:
            stmt = stmt.where(webhook_attempts.c.event_id == event_id)
        if payment_id is not None:
            stmt = stmt.where(webhook_attempts.c.payment_id == payment_id)
        return self._c.page(stmt, webhook_attempts, page, _attempt)

    def requeue(self, event_id: UUID, now: datetime) -> None:
        self._c.connection.execute(
            update(webhook_events)
            .where(webhook_events.c.id == event_id)
            .values(
                delivery_status=DeliveryStatus.PENDING.value, next_attempt_at=now, updated_at=now
            )
        )

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> Sequence[Delivery]:
        """Due events oldest first; ones whose merchant lost its URL are skipped and do not
        count towards ``limit`` (as in the reference), so batches repeat until it is met."""
        claimed: list[Delivery] = []
        seen: list[UUID] = []
        while len(claimed) < limit:
            batch = self._due(now, limit - len(claimed), seen)
            if not batch:
                break
            seen += [row.id for row in batch]
            claimed.extend(self._claim(batch, now, lease))
        return claimed

    def _due(self, now: datetime, limit: int, seen: Sequence[UUID]) -> Sequence[Row[Any]]:
        params = {"pending": DeliveryStatus.PENDING.value, "now": now, "limit": limit}
        if self._c.is_sqlite and not seen:
            rows: list[Row[Any]] = _DUE_ON_SQLITE.all(self._c.connection, params | {"offset": 0})
            return rows
        stmt = _DUE
        if seen:  # a zero lease makes claimed events due again at once: do not loop on them
            stmt = stmt.where(webhook_events.c.id.not_in(seen))
        if not self._c.is_sqlite:
            stmt = stmt.with_for_update(of=webhook_events, skip_locked=True)
        return self._c.connection.execute(stmt, params).all()

    def _claim(
        self, rows: Sequence[Row[Any]], now: datetime, lease: timedelta
    ) -> Sequence[Delivery]:
        """Mark the rows of merchants without a URL skipped and claim the others: at most
        two statements for the whole batch (the rows are locked, so ``attempts + 1`` is
        the count each claimed delivery reports)."""
        events = webhook_events
        skipped = [row.id for row in rows if row.webhook_url is None]
        if skipped:
            self._c.connection.execute(
                update(events)
                .where(events.c.id.in_(skipped))
                .values(
                    delivery_status=DeliveryStatus.SKIPPED.value,
                    next_attempt_at=None,
                    updated_at=now,
                )
            )
        claimed: list[Delivery] = []
        for row in rows:
            if row.webhook_url is None:
                continue
            record = _event(row)
            record.attempts += 1
            record.next_attempt_at = now + lease
            claimed.append(Delivery(record, record.attempts, row.webhook_url, row.webhook_secret))
        if claimed:
            self._c.connection.execute(
                update(events)
                .where(events.c.id.in_([d.webhook.id for d in claimed]))
                .values(attempts=events.c.attempts + 1, next_attempt_at=now + lease, updated_at=now)
            )
        return claimed

    def record_attempt(
        self, attempt: WebhookAttempt, status: DeliveryStatus, next_attempt_at: datetime | None
    ) -> None:
        self._c.run(_INSERT_ATTEMPT, _attempt_values(attempt))
        self._c.run(
            _SETTLE_EVENT,
            {
                "key_id": attempt.event_id,
                "b_status": status.value,
                "b_next": next_attempt_at,
                "b_at": attempt.created_at,
                "b_updated": attempt.created_at,
            },
        )

    def next_due_at(self) -> datetime | None:
        # MIN over the (delivery_status, next_attempt_at) index: one index seek.
        due: datetime | None = self._c.connection.execute(
            select(func.min(webhook_events.c.next_attempt_at)).where(
                webhook_events.c.delivery_status == DeliveryStatus.PENDING.value
            )
        ).scalar()
        return due
