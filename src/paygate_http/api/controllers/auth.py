"""``auth/``: register, register-admin, token (login), refresh, logout."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post

from paygate_core.errors import ErrorCode, NotAuthenticated, ValidationFailed
from paygate_core.use_cases.auth import Login, RegisterAdmin, RegisterMerchant
from paygate_http.api import presenters
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import PaygateDep, PrincipalDep, SettingsDep
from paygate_http.api.refresh_cookie import REFRESH_COOKIE, cleared_refresh_cookie, refresh_cookie
from paygate_http.api.responses import (
    AdminRegistrationResponse,
    LoginResponse,
    LogoutResponse,
    MerchantRegistrationResponse,
    RefreshResponse,
)
from paygate_http.api.route_docs import BEARER, PUBLIC, OptionalBody, route_errors
from paygate_http.api.schemas import (
    EmptyData,
    LoginRequest,
    RefreshRequest,
    RegisterAdminRequest,
    RegisterRequest,
)
from paygate_http.pipeline.auth import admin_only, bearer_only, ip_rate_limited
from paygate_http.pipeline.request_bodies import JsonBody, JsonData, JsonObject, optional_object

__all__ = ["AuthController"]

_BAD_EMAIL = ("email", "must be a valid email address")
_BAD_REFRESH = ("refresh", "must be a string")


def _credentials(body: JsonObject) -> JsonObject:
    """The flat body, or its ``user`` object (the nested form older clients send)."""
    nested = optional_object(body, "user")
    return nested if nested is not None else body


def _webhook_url(body: JsonObject) -> object:
    """The registration's ``webhook_url``; ``""`` means not set, like ``null`` (forms send an
    empty field)."""
    url = body.get("webhook_url")
    return None if url == "" else url


def _refresh_token(body: JsonObject, request: Request[Any, Any, Any]) -> tuple[str | None, bool]:
    """The presented refresh token and whether it came in the body (which wins). An empty
    one is presented all the same: it is no valid token (401 1002), like any other."""
    if "refresh" in body and body["refresh"] is not None:
        token = body["refresh"]
        if not isinstance(token, str):
            raise ValidationFailed(fields={"refresh": "must be a string"})
        return token, True
    return request.cookies.get(REFRESH_COOKIE) or None, False


class AuthController(ApiController):
    path = "/auth"
    tags = ["Auth"]

    @post(
        "/register",
        operation_id="registerMerchant",
        status_code=201,
        dto=JsonBody[RegisterRequest],
        guards=[ip_rate_limited("register")],
        sync_to_thread=True,
        security=PUBLIC,
        summary="Register a merchant",
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.EMAIL_ALREADY_REGISTERED,
            ErrorCode.RATE_LIMITED,
            body=True,
            invalid=_BAD_EMAIL,
        ),
    )
    def register(
        self,
        paygate: PaygateDep,
        settings: SettingsDep,
        data: JsonData = None,
    ) -> Response[MerchantRegistrationResponse]:
        """Flat or nested (``{"user": {...}, "webhook_url": ...}``) body; sets the refresh
        cookie."""
        body = data or {}
        fields = _credentials(body)
        result = paygate.register_merchant(
            RegisterMerchant(
                email=fields.get("email"),
                name=fields.get("name"),
                password=fields.get("password"),
                webhook_url=_webhook_url(body),
            )
        )
        return Response(
            presenters.success(
                "Merchant registered successfully", presenters.merchant_registration(result)
            ),
            status_code=201,
            headers={"Set-Cookie": refresh_cookie(result.session.refresh, settings)},
        )

    @post(
        "/register-admin",
        operation_id="registerAdmin",
        status_code=201,
        dto=JsonBody[RegisterAdminRequest],
        before_request=admin_only,
        sync_to_thread=True,
        security=BEARER,
        summary="Register an admin (admins only)",
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.NOT_AUTHENTICATED,
            ErrorCode.FORBIDDEN,
            ErrorCode.EMAIL_ALREADY_REGISTERED,
            ErrorCode.RATE_LIMITED,
            body=True,
            invalid=_BAD_EMAIL,
        ),
    )
    def register_admin(
        self,
        paygate: PaygateDep,
        data: JsonData = None,
    ) -> Response[AdminRegistrationResponse]:
        """Creates another admin; the caller's own cookie is left alone."""
        fields = _credentials(data or {})
        result = paygate.register_admin(
            RegisterAdmin(
                email=fields.get("email"),
                name=fields.get("name"),
                password=fields.get("password"),
            )
        )
        return Response(
            presenters.success(
                "Admin registered successfully", presenters.admin_registration(result)
            ),
            status_code=201,
        )

    @post(
        "/token",
        operation_id="login",
        status_code=200,
        dto=JsonBody[LoginRequest],
        guards=[ip_rate_limited("token")],
        sync_to_thread=True,
        security=PUBLIC,
        summary="Log in with email and password",
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.LOGIN_FAILED,
            ErrorCode.RATE_LIMITED,
            body=True,
            invalid=("password", "must be a string"),
        ),
    )
    def login(
        self,
        paygate: PaygateDep,
        settings: SettingsDep,
        data: JsonData = None,
    ) -> Response[LoginResponse]:
        """One answer (401 1001) for an unknown email, a wrong password or a deleted user."""
        body = data or {}
        result = paygate.login(Login(email=body.get("email"), password=body.get("password")))
        return Response(
            presenters.success("Login successful", presenters.login_data(result)),
            headers={"Set-Cookie": refresh_cookie(result.session.refresh, settings)},
        )

    @post(
        "/refresh",
        operation_id="refreshToken",
        status_code=200,
        dto=JsonBody[RefreshRequest],
        guards=[ip_rate_limited("refresh")],
        sync_to_thread=True,
        security=PUBLIC,
        summary="Rotate the refresh token",
        operation_class=OptionalBody,
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.NOT_AUTHENTICATED,
            ErrorCode.RATE_LIMITED,
            body=True,
            invalid=_BAD_REFRESH,
        ),
    )
    def refresh(
        self,
        request: Request[Any, Any, Any],
        paygate: PaygateDep,
        settings: SettingsDep,
        data: JsonData = None,
    ) -> Response[RefreshResponse]:
        """Reads the ``refresh_token`` cookie or ``{"refresh"}``; a token used twice revokes
        its whole login. The new refresh token is in ``data`` only if it came in the body."""
        token, from_body = _refresh_token(data or {}, request)
        if token is None:
            raise NotAuthenticated("No refresh token was presented")
        session = paygate.refresh(token)
        return Response(
            presenters.success(
                "Token refreshed successfully",
                presenters.access_data(session, include_refresh=from_body),
            ),
            headers={"Set-Cookie": refresh_cookie(session.refresh, settings)},
        )

    @post(
        "/logout",
        operation_id="logout",
        status_code=200,
        dto=JsonBody[RefreshRequest],
        guards=[bearer_only],
        sync_to_thread=True,
        security=BEARER,
        summary="Log out",
        operation_class=OptionalBody,
        responses=route_errors(
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.NOT_AUTHENTICATED,
            ErrorCode.FORBIDDEN,
            ErrorCode.RATE_LIMITED,
            body=True,
            invalid=_BAD_REFRESH,
        ),
    )
    def logout(
        self,
        request: Request[Any, Any, Any],
        paygate: PaygateDep,
        principal: PrincipalDep,
        settings: SettingsDep,
        data: JsonData = None,
    ) -> Response[LogoutResponse]:
        """Revokes this access token and the presented refresh token; clears the cookie."""
        token, _ = _refresh_token(data or {}, request)
        paygate.logout(principal, token)
        return Response(
            presenters.success("Logout successful", EmptyData()),
            headers={"Set-Cookie": cleared_refresh_cookie(settings)},
        )
