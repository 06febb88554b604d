"""Idempotency keys: claimed by insert-or-get on the unique ``(merchant_id, key)``.

``INSERT ... ON CONFLICT DO NOTHING RETURNING`` decides between concurrent first requests on both
databases (PostgreSQL makes the second insert wait for the first transaction's outcome);
taking over a stale unfinished record (``idempotency.decide_claim``) is a compare-and-set on
its ``created_at``. A finished answer's code and body are the ``status_code`` and
``response_body`` columns.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, select, update

from paygate_adapters.sql.tables import idempotency_records
from paygate_adapters.sql.work_connection import WorkConnection
from paygate_core.idempotency import (
    ClaimOutcome,
    IdempotencyRecord,
    StoredAnswer,
    decide_claim,
)

__all__ = ["SqlIdempotencyStore"]

_records = idempotency_records


def _record(row: Row[Any]) -> IdempotencyRecord:
    return IdempotencyRecord(
        merchant_id=row.merchant_id,
        key=row.idempotency_key,
        request_hash=row.request_hash,
        answer=(
            StoredAnswer(row.status_code, bytes(row.response_body))
            if row.status_code is not None and row.response_body is not None
            else None
        ),
        created_at=row.created_at,
    )


def _key(merchant_id: UUID, key: str) -> tuple[Any, ...]:
    return (_records.c.merchant_id == merchant_id, _records.c.idempotency_key == key)


class SqlIdempotencyStore:
    def __init__(self, context: WorkConnection) -> None:
        self._c = context

    def claim(
        self, merchant_id: UUID, key: str, request_hash: str, now: datetime, stale_after: timedelta
    ) -> IdempotencyRecord | None:
        insert = (
            self._c.upsert(_records)
            .values(
                id=uuid.uuid4(),
                merchant_id=merchant_id,
                idempotency_key=key,
                request_hash=request_hash,
                status_code=None,
                response_body=None,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=[_records.c.merchant_id, _records.c.idempotency_key],
            )
            .returning(_records.c.id)
        )
        if self._c.connection.execute(insert).first() is not None:
            return None
        existing = self._get(merchant_id, key)
        if existing is None:  # released between the two statements: try again
            return self.claim(merchant_id, key, request_hash, now, stale_after)
        if decide_claim(existing, request_hash, now, stale_after).outcome is not ClaimOutcome.OWNED:
            return existing
        # The owner died: take over, unless another request just did.
        taken = self._c.connection.execute(
            update(_records)
            .where(
                *_key(merchant_id, key),
                _records.c.created_at == existing.created_at,
                _records.c.status_code.is_(None),
            )
            .values(request_hash=request_hash, created_at=now, updated_at=now)
        ).rowcount
        return None if taken == 1 else self._get(merchant_id, key)

    def _get(self, merchant_id: UUID, key: str) -> IdempotencyRecord | None:
        return self._c.one(select(_records).where(*_key(merchant_id, key)), _record)

    def complete(self, merchant_id: UUID, key: str, code: int, body: bytes, now: datetime) -> None:
        self._c.connection.execute(
            update(_records)
            .where(*_key(merchant_id, key))
            .values(status_code=code, response_body=body, updated_at=now)
        )

    def release(self, merchant_id: UUID, key: str) -> None:
        # Unfinished only: an answer committed with its change stays, to be replayed.
        self._c.connection.execute(
            delete(_records).where(*_key(merchant_id, key), _records.c.status_code.is_(None))
        )

    def purge(self, before: datetime) -> int:
        result = self._c.connection.execute(delete(_records).where(_records.c.created_at < before))
        return int(result.rowcount)
