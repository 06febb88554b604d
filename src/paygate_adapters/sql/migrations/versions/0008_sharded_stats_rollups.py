"""Statistics rollups split into shards, so concurrent writers never share a row (ADR 0013).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

``merchant_stats_rollup`` gets a ``shard`` (one hex digit) in its primary key, as
``global_stats_rollup`` already had; a bucket's counters are the sum over its shards. On
PostgreSQL each writing transaction takes its shard from ``stats_rollup_shard()``: the
lowest of 16 advisory slots (lock space 8) that no other transaction holds, kept until its
end, so two transactions committing at once update different rows. On SQLite (one writer)
the triggers write shard ``0``.

Upgrading: existing merchant rows become shard ``0``; the global rows, sharded by the
merchant id's last hex digit until now, are added up into shard ``0`` (fewer rows to read,
the same sums). SQLite rebuilds ``merchant_stats_rollup`` to change its primary key and
recreates the four rollup triggers of migrations 0002 and 0007 with the new conflict
targets. Downgrading adds each bucket's shards up into one row again, restores the old
primary key and the triggers of 0007 (global shard = the merchant id's last hex digit);
global rows stay where they are (their sum is what 0007 reads too).

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARDS = 16
_SHARD_LOCKS = 8  # first key of the two-key advisory lock space for the shard slots
_SHARD_SETTING = "paygate.stats_rollup_shard"
_COUNTERS = (
    "orders",
    "payments",
    "successful_payments",
    "failed_payments",
    "refunds",
    "paid_minor",
    "refunded_minor",
)
_MERCHANT_KEY = ("merchant_id", "grain", "bucket", "currency")
_GLOBAL_KEY = ("grain", "bucket", "currency")
_BUCKETS = {
    "month": "%Y-%m-01 00:00:00.000000",
    "day": "%Y-%m-%d 00:00:00.000000",
    "hour": "%Y-%m-%d %H:00:00.000000",
}
_SUCCESSFUL = ("authorized", "captured", "refunded")
_GRAINS = "grain IN ('hour', 'day', 'month')"

# A transaction's shard: the one it already took, else the lowest free slot, else (all 16
# taken) a random one, waiting for it. Taken slots and the setting end with the transaction
# (or with the savepoint they were taken in, together with the rows written under them).
_SHARD_FUNCTION = f"""
CREATE FUNCTION stats_rollup_shard() RETURNS char(1) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  taken text := current_setting('{_SHARD_SETTING}', true);
  slot int;
BEGIN
  IF taken IS NOT NULL AND taken <> '' THEN
    RETURN taken;
  END IF;
  FOR slot IN 0..{SHARDS - 1} LOOP
    IF pg_try_advisory_xact_lock({_SHARD_LOCKS}, slot) THEN
      RETURN set_config('{_SHARD_SETTING}', to_hex(slot), true);
    END IF;
  END LOOP;
  slot := floor(random() * {SHARDS});
  PERFORM pg_advisory_xact_lock({_SHARD_LOCKS}, slot);
  RETURN set_config('{_SHARD_SETTING}', to_hex(slot), true);
END $$"""


# --- SQLite triggers (migration 0002's form, with the shards as parameters) -----------------


def _successful(row: str) -> str:
    # ORed equalities, not IN (...): see migration 0002.
    return "(" + " OR ".join(f"{row}.status = '{status}'" for status in _SUCCESSFUL) + ")"


def _failed(row: str) -> str:
    return f"({row}.status = 'failed')"


def _upserts(at: str, stamp: str, counts: Mapping[str, str], *, sharded: bool) -> str:
    """Add ``counts`` to the six rollup rows of NEW's merchant and currency at ``at``: into
    shard ``0`` of both tables when ``sharded``, else into the merchant's one row and the
    global shard of the merchant id's last hex digit (migration 0007's state)."""
    columns = ", ".join(_COUNTERS)
    values = ", ".join(counts.get(name, "0") for name in _COUNTERS)
    update = ", ".join(f"{name} = {name} + excluded.{name}" for name in _COUNTERS)
    update += ", updated_at = excluded.updated_at"
    merchant_shard = (", shard", ", '0'") if sharded else ("", "")
    global_shard = "'0'" if sharded else "substr(NEW.merchant_id, -1)"
    statements = []  # constants only, no input: S608 does not apply
    for grain, pattern in _BUCKETS.items():
        bucket = f"strftime('{pattern}', {at})"
        statements.append(
            f"INSERT INTO merchant_stats_rollup (merchant_id, grain, bucket, currency"  # noqa: S608
            f"{merchant_shard[0]}, {columns}, created_at, updated_at) VALUES (NEW.merchant_id, "
            f"'{grain}', {bucket}, NEW.currency{merchant_shard[1]}, {values}, {stamp}, "
            f"{stamp}) ON CONFLICT (merchant_id, grain, bucket, currency{merchant_shard[0]}) "
            f"DO UPDATE SET {update};"
        )
        statements.append(
            f"INSERT INTO global_stats_rollup (grain, bucket, shard, currency, {columns}, "  # noqa: S608
            f"created_at, updated_at) VALUES ('{grain}', {bucket}, {global_shard}, "
            f"NEW.currency, {values}, {stamp}, {stamp}) "
            f"ON CONFLICT (grain, bucket, shard, currency) DO UPDATE SET {update};"
        )
    return "\n  ".join(statements)


def _triggers(*, sharded: bool) -> dict[str, tuple[str, str]]:
    changed = (
        f"{_successful('NEW')} != {_successful('OLD')} OR {_failed('NEW')} != {_failed('OLD')}"
    )
    return {
        "orders_rollup_insert": (
            "AFTER INSERT ON orders",
            _upserts("NEW.created_at", "NEW.created_at", {"orders": "1"}, sharded=sharded),
        ),
        "payments_rollup_insert": (
            "AFTER INSERT ON payments",
            _upserts(
                "NEW.created_at",
                "NEW.created_at",
                {
                    "payments": "1",
                    "successful_payments": _successful("NEW"),
                    "failed_payments": _failed("NEW"),
                    "paid_minor": f"{_successful('NEW')} * NEW.amount_minor",
                },
                sharded=sharded,
            ),
        ),
        "payments_rollup_status": (
            f"AFTER UPDATE OF status ON payments WHEN {changed}",
            _upserts(
                "NEW.created_at",
                "NEW.updated_at",
                {
                    "successful_payments": f"{_successful('NEW')} - {_successful('OLD')}",
                    "failed_payments": f"{_failed('NEW')} - {_failed('OLD')}",
                    "paid_minor": f"({_successful('NEW')} - "
                    f"{_successful('OLD')}) * NEW.amount_minor",
                },
                sharded=sharded,
            ),
        ),
        "refunds_rollup_insert": (
            "AFTER INSERT ON refunds",
            _upserts(
                "NEW.created_at",
                "NEW.created_at",
                {"refunds": "1", "refunded_minor": "NEW.amount_minor"},
                sharded=sharded,
            ),
        ),
    }


def _replace_triggers(*, sharded: bool) -> None:
    triggers = _triggers(sharded=sharded)
    for name in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name, (when, body) in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {when}\nBEGIN\n  {body}\nEND")


# --- data --------------------------------------------------------------------------------------


def _gather_into_shard_zero(table: str, key: Sequence[str], conflict: Sequence[str]) -> None:
    """Add every row outside shard ``0`` into its bucket's shard-``0`` row, then delete it:
    the same sums, one row per bucket."""
    keys = ", ".join(key)
    columns = ", ".join(_COUNTERS)
    sums = ", ".join(f"sum({name})" for name in _COUNTERS)
    update = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in _COUNTERS)
    op.execute(
        f"INSERT INTO {table} ({keys}, shard, {columns}, created_at, updated_at) "  # noqa: S608
        f"SELECT {keys}, '0', {sums}, min(created_at), max(updated_at) FROM {table} "
        f"WHERE shard <> '0' GROUP BY {keys} "
        f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {update}, "
        f"updated_at = excluded.updated_at"
    )
    op.execute(f"DELETE FROM {table} WHERE shard <> '0'")  # noqa: S608


def _merchant_table(name: str, *, sharded: bool) -> None:
    key = [*_MERCHANT_KEY, "shard"] if sharded else list(_MERCHANT_KEY)
    op.create_table(
        name,
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("grain", sa.String(5), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        *([sa.Column("shard", sa.CHAR(1), nullable=False)] if sharded else []),
        *[sa.Column(counter, sa.BigInteger(), nullable=False) for counter in _COUNTERS],
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_GRAINS, name="ck_merchant_stats_rollup_grain"),
        sa.PrimaryKeyConstraint(*key, name="pk_merchant_stats_rollup"),
    )


def _sqlite_rebuild_merchant_table(*, sharded: bool) -> None:
    """SQLite cannot change a primary key in place: copy into a new table (shard ``0`` going
    up; each bucket's shards added up going down) and swap it in."""
    keys = ", ".join(_MERCHANT_KEY)
    columns = ", ".join(_COUNTERS)
    _merchant_table("merchant_stats_rollup_next", sharded=sharded)
    if sharded:
        select = (
            f"SELECT {keys}, '0', {columns}, created_at, updated_at "  # noqa: S608
            f"FROM merchant_stats_rollup"
        )
    else:
        sums = ", ".join(f"sum({name})" for name in _COUNTERS)
        select = (
            f"SELECT {keys}, {sums}, min(created_at), max(updated_at) "  # noqa: S608
            f"FROM merchant_stats_rollup GROUP BY {keys}"
        )
    shard = ", shard" if sharded else ""
    op.execute(
        f"INSERT INTO merchant_stats_rollup_next ({keys}{shard}, {columns}, "
        f"created_at, updated_at) {select}"
    )
    op.drop_table("merchant_stats_rollup")
    op.rename_table("merchant_stats_rollup_next", "merchant_stats_rollup")


# --- steps ----------------------------------------------------------------------------------


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _triggers(sharded=True):  # they name the table being replaced
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        _sqlite_rebuild_merchant_table(sharded=True)
        _gather_into_shard_zero(
            "global_stats_rollup", _GLOBAL_KEY, ("grain", "bucket", "shard", "currency")
        )
        _replace_triggers(sharded=True)
        return
    op.add_column(
        "merchant_stats_rollup", sa.Column("shard", sa.CHAR(1), nullable=False, server_default="0")
    )
    op.alter_column("merchant_stats_rollup", "shard", server_default=None)
    op.drop_constraint("pk_merchant_stats_rollup", "merchant_stats_rollup", type_="primary")
    op.create_primary_key(
        "pk_merchant_stats_rollup", "merchant_stats_rollup", [*_MERCHANT_KEY, "shard"]
    )
    _gather_into_shard_zero(
        "global_stats_rollup", _GLOBAL_KEY, ("grain", "bucket", "shard", "currency")
    )
    op.execute(_SHARD_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _triggers(sharded=False):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        _sqlite_rebuild_merchant_table(sharded=False)
        _replace_triggers(sharded=False)
        return
    op.execute("DROP FUNCTION IF EXISTS stats_rollup_shard()")
    _gather_into_shard_zero("merchant_stats_rollup", _MERCHANT_KEY, [*_MERCHANT_KEY, "shard"])
    op.drop_constraint("pk_merchant_stats_rollup", "merchant_stats_rollup", type_="primary")
    op.drop_column("merchant_stats_rollup", "shard")
    op.create_primary_key("pk_merchant_stats_rollup", "merchant_stats_rollup", list(_MERCHANT_KEY))
