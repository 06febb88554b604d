"""``admin/users/`` and ``admin/merchants/``: user management for admins (bearer)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Response, delete, get, post

from paygate_core.accounts import Role
from paygate_core.errors import ErrorCode, UserNotFound
from paygate_http.api import presenters
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import PaygateDep, PrincipalDep
from paygate_http.api.params import ROLE, Cursor, Flag, Limit, page_request, parse_flag, path_id
from paygate_http.api.responses import (
    MerchantPageResponse,
    UserDeletedResponse,
    UserPageResponse,
    UserRestoredResponse,
)
from paygate_http.api.route_docs import BEARER, DENIED, route_errors
from paygate_http.pipeline.auth import admin_only

__all__ = ["AdminMerchantsController", "AdminUsersController"]

RoleFilter = Annotated[str | None, ROLE.parameter("Only users with this role", "merchant")]
UserIdParam = Annotated[str, path_id("The user's id (UUID); a malformed one is 404 1016")]
_BAD_FILTER = ("include_deleted", "must be true or false")


def _role(raw: str | None) -> Role | None:
    value = ROLE.check(raw)
    return None if value is None else Role(value.lower())


def _user_id(raw: str) -> UUID:
    """A malformed id names no user: 404 1016, like an unknown one."""
    try:
        return UUID(raw)
    except ValueError:
        raise UserNotFound("User not found") from None


class AdminUsersController(ApiController):
    path = "/admin/users"
    tags = ["Admin"]
    before_request = staticmethod(admin_only)
    security = BEARER

    @get(
        "/",
        operation_id="listUsers",
        sync_to_thread=True,
        summary="List users",
        responses=route_errors(ErrorCode.VALIDATION_FAILED, *DENIED, invalid=_BAD_FILTER),
    )
    def list_users(
        self,
        paygate: PaygateDep,
        role: RoleFilter = None,
        include_deleted: Flag = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[UserPageResponse]:
        """Active users, newest first; ``include_deleted=true`` adds soft-deleted ones."""
        result = paygate.list_users(
            page_request(limit, cursor),
            role=_role(role),
            include_deleted=parse_flag(include_deleted),
        )
        return Response(
            presenters.success(
                "Users retrieved successfully", presenters.page(result, presenters.user_item)
            )
        )

    @delete(
        "/{user_id:str}",
        operation_id="deleteUser",
        status_code=200,
        sync_to_thread=True,
        summary="Soft-delete a user",
        responses=route_errors(ErrorCode.USER_NOT_FOUND, ErrorCode.USER_STATE_CONFLICT, *DENIED),
    )
    def delete_user(
        self,
        paygate: PaygateDep,
        principal: PrincipalDep,
        user_id: UserIdParam,
    ) -> Response[UserDeletedResponse]:
        """Data is kept; every credential of the user stops working, refresh tokens for
        good. Admins cannot delete themselves (409 1017)."""
        user = paygate.delete_user(principal.require_admin(), _user_id(user_id))
        return Response(presenters.success("User deleted successfully", presenters.user_item(user)))

    @post(
        "/{user_id:str}/restore",
        operation_id="restoreUser",
        status_code=200,
        sync_to_thread=True,
        summary="Restore a soft-deleted user",
        responses=route_errors(ErrorCode.USER_NOT_FOUND, ErrorCode.USER_STATE_CONFLICT, *DENIED),
    )
    def restore_user(
        self,
        paygate: PaygateDep,
        user_id: UserIdParam,
    ) -> Response[UserRestoredResponse]:
        """They can log in again; a merchant's API key works again."""
        user = paygate.restore_user(_user_id(user_id))
        return Response(
            presenters.success("User restored successfully", presenters.user_item(user))
        )


class AdminMerchantsController(ApiController):
    path = "/admin/merchants"
    tags = ["Admin"]
    before_request = staticmethod(admin_only)
    security = BEARER

    @get(
        "/",
        operation_id="listMerchants",
        sync_to_thread=True,
        summary="List merchants with their order and payment counts",
        responses=route_errors(ErrorCode.VALIDATION_FAILED, *DENIED, invalid=_BAD_FILTER),
    )
    def list_merchants(
        self,
        paygate: PaygateDep,
        include_deleted: Flag = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[MerchantPageResponse]:
        result = paygate.list_merchants(
            page_request(limit, cursor), include_deleted=parse_flag(include_deleted)
        )
        return Response(
            presenters.success(
                "Merchants retrieved successfully",
                presenters.page(result, presenters.merchant_item),
            )
        )
