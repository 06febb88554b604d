"""Merchant self-service and admin user management."""

from __future__ import annotations

from uuid import UUID

import attrs

from paygate_core.accounts import (
    MerchantAccount,
    Role,
    User,
    generate_api_key,
    generate_webhook_secret,
    validate_name,
    validate_webhook_url,
)
from paygate_core.errors import MerchantNotFound, UserNotFound, UserStateConflict
from paygate_core.pagination import Page, PageRequest
from paygate_core.ports import Clock, MerchantSummary, UnitOfWork, UnitOfWorkFactory

__all__ = [
    "UNSET",
    "UpdateMerchant",
    "delete_user",
    "get_merchant_account",
    "list_merchants",
    "list_users",
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


def _account(work: UnitOfWork, merchant_id: UUID) -> MerchantAccount:
    merchant = work.merchants.get(merchant_id)
    user = work.users.get(merchant.user_id) if merchant else None
    if merchant is None or user is None:
        raise MerchantNotFound("Merchant not found")
    return MerchantAccount(merchant, user)


def get_merchant_account(merchant_id: UUID, *, uow: UnitOfWorkFactory) -> MerchantAccount:
    with uow(read_only=True) as work:
        return _account(work, merchant_id)


def update_merchant(cmd: UpdateMerchant, *, uow: UnitOfWorkFactory, clock: Clock,
                    ) -> MerchantAccount:
    webhook_url = (validate_webhook_url(cmd.webhook_url)
                   if cmd.webhook_url is not UNSET else UNSET)
    name = validate_name(cmd.name) if cmd.name is not UNSET else UNSET
    with uow() as work:
        account = _account(work, cmd.merchant_id)
        now = clock.now()
        if webhook_url is not UNSET:
            account.merchant.webhook_url = webhook_url  # type: ignore[assignment]
            account.merchant.updated_at = now
            work.merchants.update(account.merchant)
        if isinstance(name, str):
            account.user.name = name
            account.user.updated_at = now
            work.users.update(account.user)
        work.commit()
    return account


def rotate_api_key(merchant_id: UUID, *, uow: UnitOfWorkFactory, clock: Clock) -> str:
    """A new API key; the old one stops working when this commits."""
    with uow() as work:
        account = _account(work, merchant_id)
        account.merchant.api_key = generate_api_key()
        account.merchant.updated_at = clock.now()
        work.merchants.update(account.merchant)
        work.commit()
    return account.merchant.api_key


def rotate_webhook_secret(merchant_id: UUID, *, uow: UnitOfWorkFactory, clock: Clock) -> str:
    with uow() as work:
        account = _account(work, merchant_id)
        account.merchant.webhook_secret = generate_webhook_secret()
        account.merchant.updated_at = clock.now()
        work.merchants.update(account.merchant)
        work.commit()
    return account.merchant.webhook_secret


def list_users(page: PageRequest, *, role: Role | None, include_deleted: bool,
               uow: UnitOfWorkFactory) -> Page[User]:
    with uow(read_only=True) as work:
        return work.users.list(page, role=role, include_deleted=include_deleted)


def list_merchants(page: PageRequest, *, include_deleted: bool, uow: UnitOfWorkFactory,
                   ) -> Page[MerchantSummary]:
    with uow(read_only=True) as work:
        return work.merchants.list(page, include_deleted=include_deleted)


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
