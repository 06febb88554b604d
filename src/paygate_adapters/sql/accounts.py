"""Users and merchants."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, and_, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from paygate_adapters.sql.prepared import Prepared
from paygate_adapters.sql.tables import merchant_stats_rollup, merchants, users
from paygate_adapters.sql.work_connection import WorkConnection
from paygate_core.accounts import Merchant, MerchantAccount, MerchantSummary, Role, User
from paygate_core.errors import EmailAlreadyRegistered
from paygate_core.pagination import Page, PageRequest

__all__ = ["SqlMerchants", "SqlUsers"]

_USER_COLUMNS = [column.label(f"u_{column.name}") for column in users.c]
_HIGHEST = "\U0010ffff"  # sorts after every character an email can hold


def _user(row: Any, prefix: str = "") -> User:
    """From a ``Row`` or a ``Prepared`` record (attribute access on both)."""

    def column(name: str) -> Any:
        return getattr(row, prefix + name)

    return User(
        id=column("id"),
        email=column("email"),
        name=column("name"),
        password_hash=column("password_hash"),
        role=Role(column("role")),
        deleted=bool(column("deleted")),
        deleted_at=column("deleted_at"),
        created_at=column("created_at"),
        updated_at=column("updated_at"),
    )


def _user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "email_lower": user.email.lower(),
        "name": user.name,
        "password_hash": user.password_hash,
        "role": user.role.value,
        "deleted": user.deleted,
        "deleted_at": user.deleted_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def _merchant(row: Any) -> Merchant:
    return Merchant(
        id=row.id,
        user_id=row.user_id,
        webhook_url=row.webhook_url,
        api_key=row.api_key,
        webhook_secret=row.webhook_secret,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _merchant_values(merchant: Merchant) -> dict[str, Any]:
    return {
        "id": merchant.id,
        "user_id": merchant.user_id,
        "webhook_url": merchant.webhook_url,
        "api_key": merchant.api_key,
        "webhook_secret": merchant.webhook_secret,
        "created_at": merchant.created_at,
        "updated_at": merchant.updated_at,
    }


class SqlUsers:
    def __init__(self, context: WorkConnection) -> None:
        self._c = context

    def add(self, user: User) -> None:
        if self.get_by_email(user.email) is not None:
            raise EmailAlreadyRegistered("A user with this email already exists")
        # Two registrations racing past the check: the unique index decides; the savepoint
        # keeps this unit of work usable after the loser's failed INSERT.
        try:
            with self._c.connection.begin_nested():
                self._c.connection.execute(insert(users).values(_user_values(user)))
        except IntegrityError:
            if self.get_by_email(user.email) is not None:
                raise EmailAlreadyRegistered("A user with this email already exists") from None
            raise

    def update(self, user: User) -> None:
        self._c.connection.execute(
            update(users).where(users.c.id == user.id).values(_user_values(user))
        )

    def get(self, user_id: UUID) -> User | None:
        return self._c.one(select(users).where(users.c.id == user_id), _user)

    def get_by_email(self, email: str) -> User | None:
        return self._c.one(select(users).where(users.c.email_lower == email.lower()), _user)

    def list(
        self, page: PageRequest, *, role: Role | None = None, include_deleted: bool = False
    ) -> Page[User]:
        stmt = select(users)
        if role is not None:
            stmt = stmt.where(users.c.role == role.value)
        if not include_deleted:
            stmt = stmt.where(users.c.deleted.is_(False))
        return self._c.page(stmt, users, page, _user)

    def count(self, role: Role) -> int:
        return int(
            self._c.connection.execute(
                select(func.count())
                .select_from(users)
                .where(users.c.role == role.value, users.c.deleted.is_(False))
            ).scalar_one()
        )


def _rollup_total(counter: str) -> Any:
    """A merchant's all-time count from its month rollups (a dozen rows a year per currency
    and shard; the day rollups would be thirty times as many)."""
    rollup = merchant_stats_rollup
    return (
        select(func.coalesce(func.sum(rollup.c[counter]), 0))
        .where(rollup.c.merchant_id == merchants.c.id, rollup.c.grain == "month")
        .scalar_subquery()
        .label(f"total_{counter}")
    )


def _summary(row: Row[Any]) -> MerchantSummary:
    account = MerchantAccount(_merchant(row), _user(row, "u_"))
    return MerchantSummary(account, int(row.total_orders), int(row.total_payments))


# Built once (the per-request lookups): values travel as parameters.
_MERCHANT_BY_ID = Prepared(select(merchants).where(merchants.c.id == bindparam("key_id")))
_MERCHANT_BY_KEY = Prepared(
    select(merchants, *_USER_COLUMNS)
    .join(users, users.c.id == merchants.c.user_id)
    .where(merchants.c.api_key == bindparam("key_api_key"))
)


class SqlMerchants:
    def __init__(self, context: WorkConnection) -> None:
        self._c = context

    def add(self, merchant: Merchant) -> None:
        if self.get_by_api_key(merchant.api_key) is not None:
            raise ValueError("duplicate API key")
        self._c.connection.execute(insert(merchants).values(_merchant_values(merchant)))

    def update(self, merchant: Merchant) -> None:
        self._c.connection.execute(
            update(merchants)
            .where(merchants.c.id == merchant.id)
            .values(_merchant_values(merchant))
        )

    def get(self, merchant_id: UUID) -> Merchant | None:
        return self._c.first(_MERCHANT_BY_ID, _merchant, {"key_id": merchant_id})

    def get_by_user(self, user_id: UUID) -> Merchant | None:
        return self._c.one(select(merchants).where(merchants.c.user_id == user_id), _merchant)

    def get_by_api_key(self, api_key: str) -> Merchant | None:
        account = self.get_account_by_api_key(api_key)
        return account.merchant if account else None

    def get_account_by_api_key(self, api_key: str) -> MerchantAccount | None:
        """One joined query: authenticating an API key needs both rows on every request."""
        return self._c.first(
            _MERCHANT_BY_KEY,
            lambda row: MerchantAccount(_merchant(row), _user(row, "u_")),
            {"key_api_key": api_key},
        )

    def list(
        self, page: PageRequest, *, include_deleted: bool = False, email_prefix: str | None = None
    ) -> Page[MerchantSummary]:
        self._c.flush_rollup()  # the totals come from the rollups
        stmt = select(
            merchants, *_USER_COLUMNS, _rollup_total("orders"), _rollup_total("payments")
        ).join(users, users.c.id == merchants.c.user_id)
        if not include_deleted:
            stmt = stmt.where(users.c.deleted.is_(False))
        if email_prefix:
            stmt = stmt.where(self._email_starts_with(email_prefix))
        return self._c.page(stmt, merchants, page, _summary)

    def _email_starts_with(self, prefix: str) -> ColumnElement[bool]:
        """An index range of ``users.email_lower`` (migration 0011): SQLite compares text
        byte by byte, so the emails starting with ``prefix`` are those from ``prefix`` up to
        ``prefix`` followed by the highest code point; PostgreSQL's pattern index serves a
        ``LIKE`` with the prefix's wildcards escaped."""
        column = users.c.email_lower
        if self._c.is_sqlite:
            return and_(column >= prefix, column < prefix + _HIGHEST)
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(escaped + "%", escape="\\")
