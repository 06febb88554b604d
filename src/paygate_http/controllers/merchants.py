"""``merchants/me/``: the merchant's own profile and credentials."""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post

from paygate_core.errors import ErrorCode
from paygate_core.use_cases.accounts import UNSET, UpdateMerchant
from paygate_http import presenters
from paygate_http.auth import bearer_only, merchant_only
from paygate_http.dependencies import PaygateDep, PrincipalDep
from paygate_http.errors import error_responses
from paygate_http.json_body import JsonBody, JsonData
from paygate_http.schemas import (
    ApiKeyData,
    MerchantProfile,
    MerchantUpdateRequest,
    Success,
    WebhookSecretData,
)

__all__ = ["MerchantProfileController"]

_BEARER_OR_KEY: list[dict[str, list[str]]] = [{"BearerAuth": []}, {"ApiKeyAuth": []}]
_BEARER: list[dict[str, list[str]]] = [{"BearerAuth": []}]
_DENIED = (ErrorCode.NOT_AUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.RATE_LIMITED)


class MerchantProfileController(Controller):
    path = "/merchants/me"
    tags = ["Merchants"]
    before_request = staticmethod(merchant_only)

    @get("/", operation_id="getMerchantProfile", sync_to_thread=True,
         security=_BEARER_OR_KEY, summary="The merchant's profile",
         responses=error_responses(*_DENIED))
    def profile(self, paygate: PaygateDep, principal: PrincipalDep,
                ) -> Response[Success[MerchantProfile]]:
        account = paygate.merchant_account(principal.require_merchant().id)
        return Response(presenters.success("Merchant profile retrieved successfully",
                                           presenters.merchant_profile(account)))

    @patch("/", operation_id="updateMerchantProfile", dto=JsonBody[MerchantUpdateRequest],
           sync_to_thread=True, security=_BEARER_OR_KEY, summary="Change name or webhook URL",
           responses=error_responses(ErrorCode.VALIDATION_FAILED, *_DENIED))
    def update(self, paygate: PaygateDep, principal: PrincipalDep, data: JsonData = None,
               ) -> Response[Success[MerchantProfile]]:
        """Each field optional; ``webhook_url: null`` removes the URL. A literal private,
        loopback or reserved IP is refused (422 1004)."""
        body = data or {}
        account = paygate.update_merchant(UpdateMerchant(
            merchant_id=principal.require_merchant().id,
            webhook_url=body.get("webhook_url", UNSET), name=body.get("name", UNSET),
        ))
        return Response(presenters.success("Merchant profile updated successfully",
                                           presenters.merchant_profile(account)))

    @post("/api-key", operation_id="rotateApiKey", status_code=200, guards=[bearer_only],
          sync_to_thread=True, security=_BEARER, summary="Rotate the API key (bearer only)",
          responses=error_responses(*_DENIED))
    def rotate_api_key(self, paygate: PaygateDep, principal: PrincipalDep,
                       ) -> Response[Success[ApiKeyData]]:
        """The old key stops working at once."""
        key = paygate.rotate_api_key(principal.require_merchant().id)
        return Response(presenters.success("API key rotated successfully",
                                           ApiKeyData(api_key=key)))

    @post("/webhook-secret", operation_id="rotateWebhookSecret", status_code=200,
          guards=[bearer_only], sync_to_thread=True, security=_BEARER,
          summary="Rotate the webhook signing secret (bearer only)",
          responses=error_responses(*_DENIED))
    def rotate_webhook_secret(self, paygate: PaygateDep, principal: PrincipalDep,
                              ) -> Response[Success[WebhookSecretData]]:
        secret = paygate.rotate_webhook_secret(principal.require_merchant().id)
        return Response(presenters.success("Webhook secret rotated successfully",
                                           WebhookSecretData(webhook_secret=secret)))
