"""Merchant self-service and admin user management."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import attrs

from paygate_core.accounts import (
    MAX_EMAIL_LENGTH,
    Merchant,
    MerchantAccount,
    MerchantSummary,
    Role,
    User,
    generate_api_key,
    generate_webhook_secret,
    validate_name,
    validate_webhook_url,
)
from paygate_core.errors import (
    MerchantNotFound,
    UserNotFound,
    UserStateConflict,
    ValidationFailed,
)
from paygate_core.pagination import Page, PageRequest
from paygate_core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from paygate_core.text import check_storable
from paygate_core.use_cases._parsing import parse_uuid

__all__ = [
    "UNSET",
    "UpdateMerchant",
    "delete_user",
    "email_search",
    "get_merchant_account",
    "get_user",
    "list_merchants",
    "list_users",
    "load_merchant_account",
    "restore_user",
    "rotate_api_key",
    "rotate_webhook_secret",
    "update_merchant",
]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: object = _Unset()
"""Marks a PATCH field that was not sent (``None`` means "clear it")."""


@attrs.frozen
class UpdateMerchant:
    merchant_id: UUID
    webhook_url: object = UNSET
    name: object = UNSET


def load_merchant_account(work: UnitOfWork, merchant_id: UUID) -> MerchantAccount:
    """The merchant and its user, read in ``work``: 404 1019 when either is missing."""
    merchant = work.merchants.get(merchant_id)
    user = work.users.get(merchant.user_id) if merchant else None
    if merchant is None or user is None:
        raise MerchantNotFound("Merchant not found")
    return MerchantAccount(merchant, user)


def get_merchant_account(merchant_id: UUID, *, uow: UnitOfWorkFactory) -> MerchantAccount:
    with uow(read_only=True) as work:
        return load_merchant_account(work, merchant_id)


def update_merchant(
    cmd: UpdateMerchant,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    allow_private_webhooks: bool = False,
) -> MerchantAccount:
    """PATCH semantics: only fields that were sent change; ``webhook_url=None`` clears it."""
    change_url = cmd.webhook_url is not UNSET
    webhook_url = (
        validate_webhook_url(cmd.webhook_url, allow_private=allow_private_webhooks)
        if change_url
        else None
    )
    name = validate_name(cmd.name) if cmd.name is not UNSET else None
    with uow() as work:
        account = load_merchant_account(work, cmd.merchant_id)
        now = clock.now()
        if change_url:
            account.merchant.webhook_url = webhook_url
            account.merchant.updated_at = now
            work.merchants.update(account.merchant)
        if name is not None:
            account.user.name = name
            account.user.updated_at = now
            work.users.update(account.user)
        work.commit()
    return account


def _rotate(
    merchant_id: UUID, change: Callable[[Merchant], str], *, uow: UnitOfWorkFactory, clock: Clock
) -> str:
    with uow() as work:
        account = load_merchant_account(work, merchant_id)
        secret = change(account.merchant)
        account.merchant.updated_at = clock.now()
        work.merchants.update(account.merchant)
        work.commit()
    return secret


def _new_api_key(merchant: Merchant) -> str:
    merchant.api_key = generate_api_key()
    return merchant.api_key


def _new_webhook_secret(merchant: Merchant) -> str:
    merchant.webhook_secret = generate_webhook_secret()
    return merchant.webhook_secret


def rotate_api_key(merchant_id: UUID, *, uow: UnitOfWorkFactory, clock: Clock) -> str:
    """A new API key; the old one stops working when this commits."""
    return _rotate(merchant_id, _new_api_key, uow=uow, clock=clock)


def rotate_webhook_secret(merchant_id: UUID, *, uow: UnitOfWorkFactory, clock: Clock) -> str:
    return _rotate(merchant_id, _new_webhook_secret, uow=uow, clock=clock)


def list_users(
    page: PageRequest, *, role: Role | None, include_deleted: bool, uow: UnitOfWorkFactory
) -> Page[User]:
    with uow(read_only=True) as work:
        return work.users.list(page, role=role, include_deleted=include_deleted)


def email_search(raw: object) -> str | None:
    """What an email search looks for: the start of an email, trimmed and lower-cased
    (emails match case-insensitively); ``None`` for no search."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationFailed(fields={"email": "must be a string"})
    prefix = raw.strip().lower()
    if len(prefix) > MAX_EMAIL_LENGTH:
        raise ValidationFailed(fields={"email": f"must be at most {MAX_EMAIL_LENGTH} characters"})
    return check_storable(prefix, "email") or None


def list_merchants(
    page: PageRequest, *, include_deleted: bool, uow: UnitOfWorkFactory, email: object = None
) -> Page[MerchantSummary]:
    """Newest first, with their order and payment counts; ``email``: only those whose
    email starts with it (``email_search``)."""
    prefix = email_search(email)
    with uow(read_only=True) as work:
        return work.merchants.list(page, include_deleted=include_deleted, email_prefix=prefix)


def get_user(user_id: object, *, uow: UnitOfWorkFactory) -> User:
    """Any user, deleted or not; a malformed id names no user (``UserNotFound``)."""
    try:
        ident = parse_uuid(user_id, "user_id")
    except ValidationFailed:
        raise UserNotFound("User not found") from None
    with uow(read_only=True) as work:
        user = work.users.get(ident)
    if user is None:
        raise UserNotFound("User not found")
    return user


def delete_user(actor: User, user_id: UUID, *, uow: UnitOfWorkFactory, clock: Clock) -> User:
    """Soft delete: data is kept, every credential stops working, refresh tokens for good."""
    if actor.id == user_id:
        raise UserStateConflict("Admins cannot delete their own account")
    with uow() as work:
        user = work.users.get(user_id)
        if user is None:
            raise UserNotFound("User not found")
        user.soft_delete(clock.now())
        work.users.update(user)
        work.tokens.revoke_user(user.id)
        work.commit()
    return user


def restore_user(user_id: UUID, *, uow: UnitOfWorkFactory, clock: Clock) -> User:
    with uow() as work:
        user = work.users.get(user_id)
        if user is None:
            raise UserNotFound("User not found")
        user.restore(clock.now())
        work.users.update(user)
        work.commit()
    return user
