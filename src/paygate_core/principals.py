"""Who is calling: the authenticated user, how they proved it, and what they may do."""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import UUID

import attrs

from paygate_core.accounts import Merchant, Role, User
from paygate_core.errors import Forbidden

__all__ = ["CredentialKind", "Principal"]


class CredentialKind(enum.StrEnum):
    BEARER = "bearer"
    API_KEY = "api_key"


@attrs.frozen(repr=False)
class Principal:
    user: User
    merchant: Merchant | None
    credential: CredentialKind
    access_jti: UUID | None = None
    access_expires_at: datetime | None = None

    def __repr__(self) -> str:
        return f"Principal(user_id={self.user.id!s}, credential={self.credential.value})"

    @property
    def role(self) -> Role:
        return self.user.role

    def require_merchant(self) -> Merchant:
        if self.user.role is not Role.MERCHANT or self.merchant is None:
            raise Forbidden("This action is for merchants")
        return self.merchant

    def require_admin(self) -> User:
        if self.user.role is not Role.ADMIN:
            raise Forbidden("This action is for admins")
        return self.user

    def require_bearer(self) -> None:
        """Credential management needs a bearer token: an API key cannot replace itself."""
        if self.credential is not CredentialKind.BEARER:
            raise Forbidden("This action needs a bearer token, not an API key")
