"""Idempotency fingerprints are keyed: records holding a plain digest are deleted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

``idempotency_records.request_hash`` holds ``hmac:`` followed by the hex HMAC-SHA256 of the
request under a key derived from the server key, in which a payment's card appears only as
its keyed card fingerprint and expiry and the CVV takes no part (ADR 0005). A record holding
anything else is a plain SHA-256 of the request, from which the card number and CVV of a
keyed payment can be recovered by guessing: those records are deleted, and their keys
answer as new requests.

Downgrade restores nothing: the deleted records cannot be rebuilt, and the keyed ones
stay (code that compares plain digests answers them 422 1007 until they are purged).

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_records WHERE substr(request_hash, 1, 5) <> 'hmac:'")


def downgrade() -> None:
    """Nothing to restore: the deleted records are gone for good."""
