"""Users, roles, merchant profiles, and the rules for their fields and secrets."""

from __future__ import annotations

import enum
import re
import secrets
from datetime import datetime
from uuid import UUID

import attrs

from paygate_core.errors import UserStateConflict, ValidationFailed
from paygate_core.network import url_problem
from paygate_core.text import check_storable

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "Merchant",
    "MerchantAccount",
    "MerchantSummary",
    "Role",
    "User",
    "generate_api_key",
    "generate_webhook_secret",
    "normalise_email",
    "validate_name",
    "validate_password",
    "validate_webhook_url",
]

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 255
_EMAIL = re.compile(r"[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+")


class Role(enum.StrEnum):
    ADMIN = "admin"
    MERCHANT = "merchant"


@attrs.define
class User:
    id: UUID
    email: str
    name: str
    password_hash: str
    role: Role
    deleted: bool
    deleted_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_staff(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.role is Role.ADMIN

    def soft_delete(self, now: datetime) -> None:
        if self.deleted:
            raise UserStateConflict("User is already deleted")
        self.deleted = True
        self.deleted_at = now
        self.updated_at = now

    def restore(self, now: datetime) -> None:
        if not self.deleted:
            raise UserStateConflict("User is not deleted")
        self.deleted = False
        self.deleted_at = None
        self.updated_at = now


@attrs.define
class Merchant:
    """A merchant profile, one-to-one with a user of role ``merchant``."""

    id: UUID
    user_id: UUID
    webhook_url: str | None
    api_key: str
    webhook_secret: str
    created_at: datetime
    updated_at: datetime


@attrs.frozen
class MerchantAccount:
    """A merchant with its user, as read for display."""

    merchant: Merchant
    user: User

    @property
    def id(self) -> UUID:
        return self.merchant.id

    @property
    def created_at(self) -> datetime:
        return self.merchant.created_at


@attrs.frozen
class MerchantSummary:
    """A merchant account with its order and payment counts, as listed for admins."""

    account: MerchantAccount
    total_orders: int
    total_payments: int

    @property
    def id(self) -> UUID:
        return self.account.id

    @property
    def created_at(self) -> datetime:
        return self.account.created_at


def generate_api_key() -> str:
    return "pk_" + secrets.token_urlsafe(32)


def generate_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def normalise_email(raw: object) -> str:
    """Trimmed and lower-cased: emails are unique and matched case-insensitively."""
    if not isinstance(raw, str):
        raise ValidationFailed(fields={"email": "must be a string"})
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or _EMAIL.fullmatch(email) is None:
        raise ValidationFailed(fields={"email": "must be a valid email address"})
    return check_storable(email, "email")


def validate_name(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValidationFailed(fields={"name": "must be a string"})
    name = raw.strip()  # the limit counts what was sent, as the API documents it
    if not name or len(raw) > MAX_NAME_LENGTH:
        raise ValidationFailed(fields={"name": f"must be 1 to {MAX_NAME_LENGTH} characters"})
    return check_storable(name, "name")


def validate_password(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValidationFailed(fields={"password": "must be a string"})
    check_storable(raw, "password")
    if not MIN_PASSWORD_LENGTH <= len(raw) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            fields={
                "password": f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
            }
        )
    return raw


def validate_webhook_url(raw: object, *, allow_private: bool = False) -> str | None:
    """An absolute http(s) URL of at most 2048 characters, not a literal internal address
    unless ``allow_private`` (local development and tests).

    Host names are checked again at delivery time, on every address they resolve to.
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationFailed(fields={"webhook_url": "must be a string or null"})
    reason = url_problem(raw, https_only=False, allow_private=allow_private)
    if reason:
        raise ValidationFailed(fields={"webhook_url": reason})
    return raw
