"""Domain objects -> response Structs, in one place.

IDs become strings, timestamps ``format_timestamp`` (RFC 3339, ``Z``), amounts
``Money.format()``; secrets appear only where the contract shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from litestar import Response
from litestar.enums import MediaType
from litestar.serialization import encode_json

from paygate_core.accounts import Merchant, MerchantAccount, Role, User
from paygate_core.pagination import Keyed, Page
from paygate_core.ports import MerchantSummary
from paygate_core.timestamps import format_timestamp
from paygate_core.tokens import AuthSession
from paygate_core.use_cases.auth import AdminRegistration, LoginResult, MerchantRegistration
from paygate_http.schemas import (
    UNSET,
    AccessData,
    AdminRegistrationData,
    LoginData,
    MerchantItem,
    MerchantProfile,
    MerchantRegistrationData,
    PageData,
    RoleName,
    Success,
    UserItem,
)

__all__ = [
    "access_data",
    "admin_registration",
    "answer",
    "login_data",
    "merchant_item",
    "merchant_profile",
    "merchant_registration",
    "page",
    "rendered",
    "success",
    "user_item",
]

T = TypeVar("T")
K = TypeVar("K", bound=Keyed)


def rendered(status_code: int, message: str, data: object) -> tuple[int, bytes]:
    """A success envelope as the exact bytes sent: what an ``IdempotentAnswer`` stores."""
    return status_code, encode_json(success(message, data))


def answer(rendered_answer: tuple[int, bytes]) -> Response[Any]:
    """The response for an answer made by ``rendered``."""
    status_code, body = rendered_answer
    return Response(body, status_code=status_code, media_type=MediaType.JSON)


def success(message: str, data: T) -> Success[T]:
    return Success(message=message, data=data)


def page(result: Page[K], present: Callable[[K], T]) -> PageData[T]:
    """A list page: ``{items, has_more, next_cursor}``."""
    return PageData(items=[present(item) for item in result.items],
                    has_more=result.has_more, next_cursor=result.next_cursor)


def merchant_registration(result: MerchantRegistration) -> MerchantRegistrationData:
    user, merchant = result.user, result.merchant
    return MerchantRegistrationData(
        access=result.session.access, api_key=merchant.api_key, email=user.email,
        name=user.name, role=_role(user), user_id=str(user.id), merchant_id=str(merchant.id),
        webhook_url=merchant.webhook_url, webhook_secret=merchant.webhook_secret,
    )


def admin_registration(result: AdminRegistration) -> AdminRegistrationData:
    user = result.user
    return AdminRegistrationData(access=result.access, api_key=None, email=user.email,
                                 name=user.name, role="admin", user_id=str(user.id))


def login_data(result: LoginResult) -> LoginData:
    user, merchant = result.user, result.merchant
    return LoginData(
        access=result.session.access,
        api_key=merchant.api_key if merchant else None,
        email=user.email, name=user.name, role=_role(user), user_id=str(user.id),
        merchant_id=str(merchant.id) if merchant else UNSET,
    )


def access_data(session: AuthSession, *, include_refresh: bool) -> AccessData:
    return AccessData(access=session.access,
                      refresh=session.refresh if include_refresh else UNSET)


def merchant_profile(account: MerchantAccount) -> MerchantProfile:
    merchant, user = account.merchant, account.user
    return MerchantProfile(
        merchant_id=str(merchant.id), user_id=str(user.id), email=user.email, name=user.name,
        webhook_url=merchant.webhook_url, api_key=merchant.api_key,
        created_at=format_timestamp(merchant.created_at),
    )


def user_item(user: User) -> UserItem:
    return UserItem(
        user_id=str(user.id), email=user.email, name=user.name, role=_role(user),
        deleted=user.deleted,
        deleted_at=format_timestamp(user.deleted_at) if user.deleted_at else None,
        created_at=format_timestamp(user.created_at),
    )


def merchant_item(summary: MerchantSummary) -> MerchantItem:
    merchant: Merchant = summary.account.merchant
    user = summary.account.user
    return MerchantItem(
        merchant_id=str(merchant.id), user_id=str(user.id), email=user.email, name=user.name,
        webhook_url=merchant.webhook_url, created_at=format_timestamp(merchant.created_at),
        deleted=user.deleted, total_orders=summary.total_orders,
        total_payments=summary.total_payments,
    )


def _role(user: User) -> RoleName:
    return "admin" if user.role is Role.ADMIN else "merchant"
