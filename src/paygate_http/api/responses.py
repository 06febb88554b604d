"""Every route's success answer under its own name in the OpenAPI document.

Handlers build ``Success[...]`` and ``PageData[...]`` values (``presenters``); for the type
checker the names below are exactly those generic types. For the document they are concrete
Structs with the same fields, so each component is named after what it holds
(``OrderPageResponse``) instead of after a generic type's module path, and its ``message``
example is the one this route sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from msgspec import Meta

from paygate_http.api.payment_schemas import (
    AdminMerchantStatsData,
    GlobalStatsData,
    MerchantStatsData,
    OrderData,
    OrderDetailData,
    PaymentData,
    PaymentDetailData,
    RefundData,
    RefundDetailData,
    StatsSeriesData,
    WebhookEventItem,
    WebhookLogItem,
)
from paygate_http.api.schemas import (
    AccessData,
    AdminRegistrationData,
    ApiKeyData,
    EmptyData,
    LoginData,
    MerchantItem,
    MerchantProfile,
    MerchantRegistrationData,
    PageData,
    Success,
    UserItem,
    WebhookSecretData,
)

__all__ = [
    "AdminMerchantStatsResponse",
    "AdminRegistrationResponse",
    "ApiKeyResponse",
    "GlobalStatsResponse",
    "LoginResponse",
    "LogoutResponse",
    "MerchantPageResponse",
    "MerchantProfileResponse",
    "MerchantProfileUpdateResponse",
    "MerchantRegistrationResponse",
    "MerchantStatsResponse",
    "OrderCreatedResponse",
    "OrderDetailResponse",
    "OrderPageResponse",
    "PaymentCapturedResponse",
    "PaymentDetailResponse",
    "PaymentPageResponse",
    "PaymentProcessedResponse",
    "RefreshResponse",
    "RefundDetailResponse",
    "RefundPageResponse",
    "RefundProcessedResponse",
    "StatsSeriesResponse",
    "UserDeletedResponse",
    "UserPageResponse",
    "UserRestoredResponse",
    "WebhookEventPageResponse",
    "WebhookEventQueuedResponse",
    "WebhookLogPageResponse",
    "WebhookSecretResponse",
]


def _page(name: str, item: type[Any]) -> type[msgspec.Struct]:
    """``PageData[item]`` as a Struct named ``name``."""
    return msgspec.defstruct(
        name,
        [
            ("items", list[item]),  # type: ignore[valid-type]
            ("has_more", Annotated[bool, Meta(examples=[False])]),
            (
                "next_cursor",
                Annotated[
                    str | None,
                    Meta(
                        examples=[None],
                        description="Pass as cursor for the next page; null on the last",
                    ),
                ],
            ),
        ],
        module=__name__,
    )


def _envelope(name: str, data: Any, message: str) -> type[msgspec.Struct]:
    """``Success[data]`` as a Struct named ``name``, with this route's message."""
    return msgspec.defstruct(
        name,
        [
            ("success", Annotated[bool, Meta(examples=[True])], True),
            ("message", Annotated[str, Meta(examples=[message])]),
            ("data", data),
        ],
        kw_only=True,
        module=__name__,
    )


if TYPE_CHECKING:
    MerchantRegistrationResponse = Success[MerchantRegistrationData]
    AdminRegistrationResponse = Success[AdminRegistrationData]
    LoginResponse = Success[LoginData]
    RefreshResponse = Success[AccessData]
    LogoutResponse = Success[EmptyData]
    MerchantProfileResponse = Success[MerchantProfile]
    MerchantProfileUpdateResponse = Success[MerchantProfile]
    ApiKeyResponse = Success[ApiKeyData]
    WebhookSecretResponse = Success[WebhookSecretData]
    UserPageResponse = Success[PageData[UserItem]]
    UserDeletedResponse = Success[UserItem]
    UserRestoredResponse = Success[UserItem]
    MerchantPageResponse = Success[PageData[MerchantItem]]
    OrderCreatedResponse = Success[OrderData]
    OrderPageResponse = Success[PageData[OrderData]]
    OrderDetailResponse = Success[OrderDetailData]
    PaymentProcessedResponse = Success[PaymentData]
    PaymentPageResponse = Success[PageData[PaymentData]]
    PaymentDetailResponse = Success[PaymentDetailData]
    PaymentCapturedResponse = Success[PaymentData]
    RefundProcessedResponse = Success[RefundDetailData]
    RefundPageResponse = Success[PageData[RefundData]]
    RefundDetailResponse = Success[RefundDetailData]
    MerchantStatsResponse = Success[MerchantStatsData]
    GlobalStatsResponse = Success[GlobalStatsData]
    AdminMerchantStatsResponse = Success[AdminMerchantStatsData]
    StatsSeriesResponse = Success[StatsSeriesData]
    WebhookEventPageResponse = Success[PageData[WebhookEventItem]]
    WebhookLogPageResponse = Success[PageData[WebhookLogItem]]
    WebhookEventQueuedResponse = Success[WebhookEventItem]
else:
    _STATS = "Statistics retrieved successfully"
    MerchantRegistrationResponse = _envelope(
        "MerchantRegistrationResponse", MerchantRegistrationData, "Merchant registered successfully"
    )
    AdminRegistrationResponse = _envelope(
        "AdminRegistrationResponse", AdminRegistrationData, "Admin registered successfully"
    )
    LoginResponse = _envelope("LoginResponse", LoginData, "Login successful")
    RefreshResponse = _envelope("RefreshResponse", AccessData, "Token refreshed successfully")
    LogoutResponse = _envelope("LogoutResponse", EmptyData, "Logout successful")
    MerchantProfileResponse = _envelope(
        "MerchantProfileResponse", MerchantProfile, "Merchant profile retrieved successfully"
    )
    MerchantProfileUpdateResponse = _envelope(
        "MerchantProfileUpdateResponse", MerchantProfile, "Merchant profile updated successfully"
    )
    ApiKeyResponse = _envelope("ApiKeyResponse", ApiKeyData, "API key rotated successfully")
    WebhookSecretResponse = _envelope(
        "WebhookSecretResponse", WebhookSecretData, "Webhook secret rotated successfully"
    )
    UserPageResponse = _envelope(
        "UserPageResponse", _page("UserPage", UserItem), "Users retrieved successfully"
    )
    UserDeletedResponse = _envelope("UserDeletedResponse", UserItem, "User deleted successfully")
    UserRestoredResponse = _envelope("UserRestoredResponse", UserItem, "User restored successfully")
    MerchantPageResponse = _envelope(
        "MerchantPageResponse",
        _page("MerchantPage", MerchantItem),
        "Merchants retrieved successfully",
    )
    OrderCreatedResponse = _envelope(
        "OrderCreatedResponse", OrderData, "Order created successfully"
    )
    OrderPageResponse = _envelope(
        "OrderPageResponse", _page("OrderPage", OrderData), "Orders retrieved successfully"
    )
    OrderDetailResponse = _envelope(
        "OrderDetailResponse", OrderDetailData, "Order retrieved successfully"
    )
    PaymentProcessedResponse = _envelope(
        "PaymentProcessedResponse", PaymentData, "Payment processed successfully"
    )
    PaymentPageResponse = _envelope(
        "PaymentPageResponse", _page("PaymentPage", PaymentData), "Payments retrieved successfully"
    )
    PaymentDetailResponse = _envelope(
        "PaymentDetailResponse", PaymentDetailData, "Payment retrieved successfully"
    )
    PaymentCapturedResponse = _envelope(
        "PaymentCapturedResponse", PaymentData, "Payment captured successfully"
    )
    RefundProcessedResponse = _envelope(
        "RefundProcessedResponse", RefundDetailData, "Refund processed successfully"
    )
    RefundPageResponse = _envelope(
        "RefundPageResponse", _page("RefundPage", RefundData), "Refunds retrieved successfully"
    )
    RefundDetailResponse = _envelope(
        "RefundDetailResponse", RefundDetailData, "Refund retrieved successfully"
    )
    MerchantStatsResponse = _envelope("MerchantStatsResponse", MerchantStatsData, _STATS)
    GlobalStatsResponse = _envelope("GlobalStatsResponse", GlobalStatsData, _STATS)
    AdminMerchantStatsResponse = _envelope(
        "AdminMerchantStatsResponse", AdminMerchantStatsData, _STATS
    )
    StatsSeriesResponse = _envelope("StatsSeriesResponse", StatsSeriesData, _STATS)
    WebhookEventPageResponse = _envelope(
        "WebhookEventPageResponse",
        _page("WebhookEventPage", WebhookEventItem),
        "Webhook events retrieved successfully",
    )
    WebhookLogPageResponse = _envelope(
        "WebhookLogPageResponse",
        _page("WebhookLogPage", WebhookLogItem),
        "Webhook logs retrieved successfully",
    )
    WebhookEventQueuedResponse = _envelope(
        "WebhookEventQueuedResponse", WebhookEventItem, "Webhook event queued for delivery"
    )
