"""The credential epoch also moves when an access token or a login is revoked.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

An access token is accepted while it is not in ``revoked_access_tokens``, its login (the
refresh-token family named by its ``fam`` claim) still has a live refresh token, and its
user is active (``users``, already counted by migration 0003). Triggers add one to
``credential_epoch.value`` in the same transaction as:

* any insert into ``revoked_access_tokens`` (logout);
* an update or delete of a live ``refresh_tokens`` row after which its family has no live
  row left: the login has ended (logout, reuse detection, a deleted user, the purge).

Rotating a refresh token stores the successor before revoking the old one, so the family
keeps a live row and the epoch stays: rotation is the frequent write, and it ends nothing.
Deleting revoked rows or revoked access tokens, and inserting refresh tokens, cannot end an
accepted token and move nothing.

On PostgreSQL two transactions could each revoke one of a family's last two live rows, each
seeing the other's row still live. The check therefore runs under a per-family advisory
transaction lock; a transaction that cannot take it at once moves the epoch without
checking (an extra move is always safe; waiting could deadlock on the epoch row).

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BUMP = "UPDATE credential_epoch SET value = value + 1 WHERE id = 1"
_LOGIN_ENDED = "NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE family = OLD.family AND NOT revoked)"
# The first key of the two-key advisory lock space for refresh-token families.
_FAMILY_LOCKS = 6


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER revoked_access_tokens_credential_epoch_insert "
            f"AFTER INSERT ON revoked_access_tokens BEGIN {_BUMP}; END"
        )
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER refresh_tokens_credential_epoch_{event.lower()} "
                f"AFTER {event} ON refresh_tokens "
                f"WHEN NOT OLD.revoked AND {_LOGIN_ENDED} BEGIN {_BUMP}; END"
            )
        return
    op.execute(
        "CREATE TRIGGER revoked_access_tokens_credential_epoch "
        "AFTER INSERT ON revoked_access_tokens "
        "FOR EACH STATEMENT EXECUTE FUNCTION bump_credential_epoch()"
    )
    op.execute(
        "CREATE FUNCTION bump_credential_epoch_if_login_ended() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NOT pg_try_advisory_xact_lock({_FAMILY_LOCKS}, hashtext(OLD.family::text)) THEN "
        f"{_BUMP}; RETURN NULL; END IF; "
        f"IF {_LOGIN_ENDED} THEN {_BUMP}; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER refresh_tokens_credential_epoch "
        "AFTER UPDATE OR DELETE ON refresh_tokens FOR EACH ROW WHEN (NOT OLD.revoked) "
        "EXECUTE FUNCTION bump_credential_epoch_if_login_ended()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS revoked_access_tokens_credential_epoch_insert")
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS refresh_tokens_credential_epoch_{event}")
        return
    op.execute(
        "DROP TRIGGER IF EXISTS revoked_access_tokens_credential_epoch ON revoked_access_tokens"
    )
    op.execute("DROP TRIGGER IF EXISTS refresh_tokens_credential_epoch ON refresh_tokens")
    op.execute("DROP FUNCTION IF EXISTS bump_credential_epoch_if_login_ended()")
