"""Domain objects -> response Structs, in one place.

IDs become strings, timestamps ``format_timestamp`` (RFC 3339, ``Z``), amounts
``Money.format()``; secrets appear only where the contract shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.response.base import ASGIResponse
from litestar.serialization import encode_json

from paygate_core.accounts import Merchant, MerchantAccount, MerchantSummary, Role, User
from paygate_core.pagination import Keyed, Page
from paygate_core.timestamps import format_timestamp
from paygate_core.tokens import AuthSession
from paygate_core.use_cases.auth import AdminRegistration, LoginResult, MerchantRegistration
from paygate_http.api.schemas import (
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

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.background_tasks import BackgroundTask, BackgroundTasks
    from litestar.datastructures import Cookie
    from litestar.types import Receive, Scope, Send, TypeEncodersMap

__all__ = [
    "EncodedJson",
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


class EncodedJson(Response[bytes]):
    """A JSON body already encoded (an answer made by ``rendered``), sent as it is.

    Litestar's ``Response`` builds a general ``ASGIResponse`` for every answer (header
    containers, cookie encoding, content checks). This one sends its two messages itself
    with exactly the headers that would carry (``content-type``, ``content-length``), unless
    the route or the response has anything more to send: then it is an ordinary
    ``Response``."""

    def __init__(self, status_code: int, body: bytes) -> None:
        super().__init__(body, status_code=status_code, media_type=MediaType.JSON)

    def to_asgi_response(
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        if (
            background
            or cookies
            or encoded_headers
            or headers
            or is_head_response
            or self.background
            or self.cookies
            or self.headers
        ):
            return super().to_asgi_response(
                app,
                request,
                background=background,
                cookies=cookies,
                encoded_headers=encoded_headers,
                headers=headers,
                is_head_response=is_head_response,
                media_type=media_type,
                status_code=status_code,
                type_encoders=type_encoders,
            )
        return _EncodedJsonAnswer(cast("int", self.status_code), self.content)


class _EncodedJsonAnswer(ASGIResponse):
    """The ASGI side of ``EncodedJson``: no header containers, two ``send`` calls."""

    def __init__(self, status_code: int, body: bytes) -> None:  # not super()'s: no containers
        self.status_code = status_code
        self.body = body
        self.background = None
        self.is_head_response = False

    def encode_headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.encode_headers(),
            }
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def answer(rendered_answer: tuple[int, bytes]) -> EncodedJson:
    """The response for an answer made by ``rendered``."""
    return EncodedJson(*rendered_answer)


def success(message: str, data: T) -> Success[T]:
    return Success(message=message, data=data)


def page(result: Page[K], present: Callable[[K], T]) -> PageData[T]:
    """A list page: ``{items, has_more, next_cursor}``."""
    return PageData(
        items=[present(item) for item in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


def merchant_registration(result: MerchantRegistration) -> MerchantRegistrationData:
    user, merchant = result.user, result.merchant
    return MerchantRegistrationData(
        access=result.session.access,
        api_key=merchant.api_key,
        email=user.email,
        name=user.name,
        role=_role(user),
        user_id=str(user.id),
        merchant_id=str(merchant.id),
        webhook_url=merchant.webhook_url,
        webhook_secret=merchant.webhook_secret,
    )


def admin_registration(result: AdminRegistration) -> AdminRegistrationData:
    user = result.user
    return AdminRegistrationData(
        access=result.access,
        api_key=None,
        email=user.email,
        name=user.name,
        role="admin",
        user_id=str(user.id),
    )


def login_data(result: LoginResult) -> LoginData:
    user, merchant = result.user, result.merchant
    return LoginData(
        access=result.session.access,
        api_key=merchant.api_key if merchant else None,
        email=user.email,
        name=user.name,
        role=_role(user),
        user_id=str(user.id),
        merchant_id=str(merchant.id) if merchant else UNSET,
    )


def access_data(session: AuthSession, *, include_refresh: bool) -> AccessData:
    return AccessData(access=session.access, refresh=session.refresh if include_refresh else UNSET)


def merchant_profile(account: MerchantAccount) -> MerchantProfile:
    merchant, user = account.merchant, account.user
    return MerchantProfile(
        merchant_id=str(merchant.id),
        user_id=str(user.id),
        email=user.email,
        name=user.name,
        webhook_url=merchant.webhook_url,
        api_key=merchant.api_key,
        created_at=format_timestamp(merchant.created_at),
    )


def user_item(user: User) -> UserItem:
    return UserItem(
        user_id=str(user.id),
        email=user.email,
        name=user.name,
        role=_role(user),
        deleted=user.deleted,
        deleted_at=format_timestamp(user.deleted_at) if user.deleted_at else None,
        created_at=format_timestamp(user.created_at),
    )


def merchant_item(summary: MerchantSummary) -> MerchantItem:
    merchant: Merchant = summary.account.merchant
    user = summary.account.user
    return MerchantItem(
        merchant_id=str(merchant.id),
        user_id=str(user.id),
        email=user.email,
        name=user.name,
        webhook_url=merchant.webhook_url,
        created_at=format_timestamp(merchant.created_at),
        deleted=user.deleted,
        total_orders=summary.total_orders,
        total_payments=summary.total_payments,
    )


def _role(user: User) -> RoleName:
    return "admin" if user.role is Role.ADMIN else "merchant"
