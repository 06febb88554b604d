"""``merchants/me/``: the merchant's own profile and credentials."""

from __future__ import annotations

from litestar import Response, get, patch, post

from paygate_core.errors import ErrorCode
from paygate_core.use_cases.accounts import UNSET, UpdateMerchant
from paygate_http.api import presenters
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import PaygateDep, PrincipalDep
from paygate_http.api.responses import (
    ApiKeyResponse,
    MerchantProfileResponse,
    MerchantProfileUpdateResponse,
    WebhookSecretResponse,
)
from paygate_http.api.route_docs import BEARER, BEARER_OR_KEY, DENIED, OptionalBody, route_errors
from paygate_http.api.schemas import ApiKeyData, MerchantUpdateRequest, WebhookSecretData
from paygate_http.pipeline.auth import bearer_only, merchant_only
from paygate_http.pipeline.request_bodies import JsonBody, JsonData

__all__ = ["MerchantProfileController"]


class MerchantProfileController(ApiController):
    path = "/merchants/me"
    tags = ["Merchants"]
    before_request = staticmethod(merchant_only)

    @get(
        "/",
        operation_id="getMerchantProfile",
        sync_to_thread=True,
        security=BEARER_OR_KEY,
        summary="The merchant's profile",
        responses=route_errors(*DENIED),
    )
    def profile(
        self,
        paygate: PaygateDep,
        principal: PrincipalDep,
    ) -> Response[MerchantProfileResponse]:
        account = paygate.merchant_account(principal.require_merchant().id)
        return Response(
            presenters.success(
                "Merchant profile retrieved successfully", presenters.merchant_profile(account)
            )
        )

    @patch(
        "/",
        operation_id="updateMerchantProfile",
        dto=JsonBody[MerchantUpdateRequest],
        sync_to_thread=True,
        security=BEARER_OR_KEY,
        summary="Change name or webhook URL",
        operation_class=OptionalBody,
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED,
            *DENIED,
            body=True,
            invalid=("webhook_url", "must be an absolute http or https URL"),
        ),
    )
    def update(
        self,
        paygate: PaygateDep,
        principal: PrincipalDep,
        data: JsonData = None,
    ) -> Response[MerchantProfileUpdateResponse]:
        """Each field optional; ``webhook_url: null`` removes the URL. A literal private,
        loopback or reserved IP is refused (422 1004)."""
        body = data or {}
        account = paygate.update_merchant(
            UpdateMerchant(
                merchant_id=principal.require_merchant().id,
                webhook_url=body.get("webhook_url", UNSET),
                name=body.get("name", UNSET),
            )
        )
        return Response(
            presenters.success(
                "Merchant profile updated successfully", presenters.merchant_profile(account)
            )
        )

    @post(
        "/api-key",
        operation_id="rotateApiKey",
        status_code=200,
        guards=[bearer_only],
        sync_to_thread=True,
        security=BEARER,
        summary="Rotate the API key (bearer only)",
        responses=route_errors(*DENIED),
    )
    def rotate_api_key(
        self,
        paygate: PaygateDep,
        principal: PrincipalDep,
    ) -> Response[ApiKeyResponse]:
        """The old key stops working at once."""
        key = paygate.rotate_api_key(principal.require_merchant().id)
        return Response(presenters.success("API key rotated successfully", ApiKeyData(api_key=key)))

    @post(
        "/webhook-secret",
        operation_id="rotateWebhookSecret",
        status_code=200,
        guards=[bearer_only],
        sync_to_thread=True,
        security=BEARER,
        summary="Rotate the webhook signing secret (bearer only)",
        responses=route_errors(*DENIED),
    )
    def rotate_webhook_secret(
        self,
        paygate: PaygateDep,
        principal: PrincipalDep,
    ) -> Response[WebhookSecretResponse]:
        secret = paygate.rotate_webhook_secret(principal.require_merchant().id)
        return Response(
            presenters.success(
                "Webhook secret rotated successfully", WebhookSecretData(webhook_secret=secret)
            )
        )
