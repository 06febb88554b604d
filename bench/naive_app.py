"""The yardstick: what a straightforward durable implementation of ``POST orders/`` gets.

One Litestar route, ``POST /orders``, that validates the body as little as Paygate's contract
asks (amount, currency, receipt) and inserts one row with the stdlib ``sqlite3`` in a worker
thread (``sync_to_thread``): a new connection and one transaction per request, WAL journal,
``synchronous = FULL``, no batching. The database file is ``$BENCH_NAIVE_DB``; ``create_schema``
makes it (the bench calls it once, before the workers start).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Litestar, post
from litestar.exceptions import ValidationException

DATABASE_ENV = "BENCH_NAIVE_DB"
SCHEMA = """CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL,
    receipt TEXT, status TEXT NOT NULL, created_at TEXT NOT NULL)"""


def create_schema(path: str) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")  # persistent: stored in the file
        connection.execute(SCHEMA)
        connection.commit()
    finally:
        connection.close()


def _amount_minor(raw: object) -> int:
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise ValidationException("amount must be a decimal") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationException("amount must be positive with at most 2 decimals")
    return int(amount * 100)


@post("/orders", sync_to_thread=True, status_code=201)
def create_order(data: dict[str, Any]) -> dict[str, Any]:
    amount_minor = _amount_minor(data.get("amount"))
    currency = str(data.get("currency", "INR")).upper()
    receipt = data.get("receipt")
    order_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    connection = sqlite3.connect(os.environ[DATABASE_ENV], timeout=30)
    try:
        connection.execute("PRAGMA synchronous = FULL")  # per connection: every commit fsyncs
        with connection:  # one transaction, committed before the answer
            connection.execute(
                "INSERT INTO orders (id, amount_minor, currency, receipt, status, created_at)"
                " VALUES (?, ?, ?, ?, 'created', ?)",
                (order_id, amount_minor, currency, receipt, now),
            )
    finally:
        connection.close()
    return {
        "success": True,
        "message": "Order created successfully",
        "data": {
            "order_id": order_id,
            "amount": f"{Decimal(amount_minor) / 100:.2f}",
            "currency": currency,
            "status": "created",
            "receipt": receipt,
            "created_at": now,
            "updated_at": now,
        },
    }


# No logging config: the bench imports this module for ``create_schema`` and Litestar would
# otherwise configure the root logger of the bench process too.
app = Litestar(route_handlers=[create_order], openapi_config=None, logging_config=None)
