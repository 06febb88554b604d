"""Token claims and refresh-token sessions (the token format itself is an adapter's)."""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import UUID

import attrs

from paygate_core.accounts import Role

__all__ = ["AuthSession", "RefreshToken", "TokenClaims", "TokenType"]


class TokenType(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@attrs.frozen
class TokenClaims:
    """What a signed token says. ``family`` ties every refresh token of one login."""

    sub: UUID
    role: Role
    type: TokenType
    jti: UUID
    issued_at: datetime
    expires_at: datetime
    family: UUID | None = None


@attrs.define
class RefreshToken:
    """A stored refresh token; presenting a revoked one revokes its whole family."""

    jti: UUID
    user_id: UUID
    family: UUID
    expires_at: datetime
    revoked: bool
    created_at: datetime


@attrs.frozen(repr=False)
class AuthSession:
    """Tokens handed out by login, registration or refresh."""

    access: str
    refresh: str
    refresh_expires_at: datetime
    user_id: UUID

    def __repr__(self) -> str:
        return f"AuthSession(user_id={self.user_id!s}, tokens=<hidden>)"
