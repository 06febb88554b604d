"""PostgreSQL: committed events wake the live event streams (``events/stream/``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

A statement-level trigger on ``webhook_events`` sends ``NOTIFY paygate_events`` with each
merchant id the statement inserted. PostgreSQL delivers a notification only when its
transaction commits (none for a rolled-back one) and folds identical payloads of one
transaction into one, so a listener hears each merchant once per committing transaction,
whichever process committed it (``paygate_adapters.sql.event_feed``). SQLite needs nothing:
its streams poll the table's rowid, which grows in commit order.

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTION = """
CREATE OR REPLACE FUNCTION paygate_notify_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('paygate_events', merchant_id::text)
     FROM (SELECT DISTINCT merchant_id FROM inserted_events) AS merchants;
  RETURN NULL;
END
$$
"""

_TRIGGER = """
CREATE TRIGGER webhook_events_notify
AFTER INSERT ON webhook_events
REFERENCING NEW TABLE AS inserted_events
FOR EACH STATEMENT EXECUTE FUNCTION paygate_notify_events()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    op.execute("DROP TRIGGER IF EXISTS webhook_events_notify ON webhook_events")
    op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS webhook_events_notify ON webhook_events")
    op.execute("DROP FUNCTION IF EXISTS paygate_notify_events()")
