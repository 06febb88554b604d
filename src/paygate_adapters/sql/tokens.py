"""Refresh-token sessions and revoked access tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, delete, insert, select, update

from paygate_adapters.sql.tables import refresh_tokens, revoked_access_tokens
from paygate_adapters.sql.work_connection import WorkConnection
from paygate_core.tokens import RefreshToken

__all__ = ["SqlTokenStore"]


def _refresh(row: Row[Any]) -> RefreshToken:
    return RefreshToken(
        jti=row.jti,
        user_id=row.user_id,
        family=row.family,
        expires_at=row.expires_at,
        revoked=row.revoked,
        created_at=row.created_at,
    )


class SqlTokenStore:
    """``updated_at`` of revocations is bookkeeping only: the port passes no time, so it is
    the system clock's."""

    def __init__(self, context: WorkConnection) -> None:
        self._c = context

    def add_refresh(self, token: RefreshToken) -> None:
        self._c.connection.execute(
            insert(refresh_tokens).values(
                jti=token.jti,
                user_id=token.user_id,
                family=token.family,
                expires_at=token.expires_at,
                revoked=token.revoked,
                created_at=token.created_at,
                updated_at=token.created_at,
            )
        )

    def get_refresh(self, jti: UUID) -> RefreshToken | None:
        return self._c.one(select(refresh_tokens).where(refresh_tokens.c.jti == jti), _refresh)

    def _revoke_where(self, condition: ColumnElement[bool]) -> None:
        self._c.connection.execute(
            update(refresh_tokens)
            .where(condition)
            .values(revoked=True, updated_at=datetime.now(UTC))
        )

    def revoke_refresh(self, jti: UUID) -> None:
        self._revoke_where(refresh_tokens.c.jti == jti)

    def revoke_family(self, family: UUID) -> None:
        self._revoke_where(refresh_tokens.c.family == family)

    def revoke_user(self, user_id: UUID) -> None:
        self._revoke_where(refresh_tokens.c.user_id == user_id)

    def is_family_revoked(self, family: UUID) -> bool:
        live = (
            select(refresh_tokens.c.jti)
            .where(refresh_tokens.c.family == family, refresh_tokens.c.revoked.is_(False))
            .limit(1)
        )
        return self._c.connection.execute(live).first() is None

    def revoke_access(self, jti: UUID, expires_at: datetime) -> None:
        now = datetime.now(UTC)
        stmt = self._c.upsert(revoked_access_tokens).values(
            jti=jti, expires_at=expires_at, created_at=now, updated_at=now
        )
        self._c.connection.execute(
            stmt.on_conflict_do_update(
                index_elements=[revoked_access_tokens.c.jti],
                set_={"expires_at": stmt.excluded.expires_at, "updated_at": now},
            )
        )

    def is_access_revoked(self, jti: UUID) -> bool:
        return (
            self._c.connection.execute(
                select(revoked_access_tokens.c.jti).where(revoked_access_tokens.c.jti == jti)
            ).first()
            is not None
        )

    def purge_expired(self, now: datetime) -> int:
        access = self._c.connection.execute(
            delete(revoked_access_tokens).where(revoked_access_tokens.c.expires_at <= now)
        )
        refresh = self._c.connection.execute(
            delete(refresh_tokens).where(refresh_tokens.c.expires_at <= now)
        )
        return int(access.rowcount) + int(refresh.rowcount)
