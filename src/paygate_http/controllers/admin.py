"""``admin/users/`` and ``admin/merchants/``: user management for admins (bearer)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.openapi.spec import Example
from litestar.params import Parameter

from paygate_core.accounts import Role
from paygate_core.errors import ErrorCode, UserNotFound, ValidationFailed
from paygate_http import presenters
from paygate_http.auth import admin_only
from paygate_http.dependencies import PaygateDep, PrincipalDep
from paygate_http.errors import error_responses
from paygate_http.params import Cursor, Flag, Limit, page_request, parse_flag
from paygate_http.schemas import MerchantItem, PageData, Success, UserItem

__all__ = ["AdminMerchantsController", "AdminUsersController"]

_BEARER: list[dict[str, list[str]]] = [{"BearerAuth": []}]
_DENIED = (ErrorCode.NOT_AUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.RATE_LIMITED)
RoleFilter = Annotated[str | None, Parameter(
    description="admin or merchant", examples=[Example(value="merchant")], required=False)]
UserIdParam = Annotated[str, Parameter(description="The user's id (UUID)")]


def _role(raw: str | None) -> Role | None:
    if raw is None or raw == "":
        return None
    try:
        return Role(raw.strip().lower())
    except ValueError:
        raise ValidationFailed(fields={"role": "must be one of: admin, merchant"}) from None


def _user_id(raw: str) -> UUID:
    """A malformed id names no user: 404 1016, like an unknown one."""
    try:
        return UUID(raw)
    except ValueError:
        raise UserNotFound("User not found") from None


class AdminUsersController(Controller):
    path = "/admin/users"
    tags = ["Admin"]
    before_request = staticmethod(admin_only)
    security = _BEARER

    @get("/", operation_id="listUsers", sync_to_thread=True, summary="List users",
         responses=error_responses(ErrorCode.VALIDATION_FAILED, *_DENIED))
    def list_users(self, paygate: PaygateDep, role: RoleFilter = None,
                   include_deleted: Flag = None, limit: Limit = None, cursor: Cursor = None,
                   ) -> Response[Success[PageData[UserItem]]]:
        """Active users, newest first; ``include_deleted=true`` adds soft-deleted ones."""
        result = paygate.list_users(page_request(limit, cursor), role=_role(role),
                                    include_deleted=parse_flag(include_deleted,
                                                               "include_deleted"))
        return Response(presenters.success("Users retrieved successfully",
                                           presenters.page(result, presenters.user_item)))

    @delete("/{user_id:str}", operation_id="deleteUser", status_code=200, sync_to_thread=True,
            summary="Soft-delete a user",
            responses=error_responses(ErrorCode.USER_NOT_FOUND, ErrorCode.USER_STATE_CONFLICT,
                                      *_DENIED, malformed=True))
    def delete_user(self, paygate: PaygateDep, principal: PrincipalDep, user_id: UserIdParam,
                    ) -> Response[Success[UserItem]]:
        """Data is kept; every credential of the user stops working, refresh tokens for
        good. Admins cannot delete themselves (409 1017)."""
        user = paygate.delete_user(principal.require_admin(), _user_id(user_id))
        return Response(presenters.success("User deleted successfully",
                                           presenters.user_item(user)))

    @post("/{user_id:str}/restore", operation_id="restoreUser", status_code=200,
          sync_to_thread=True, summary="Restore a soft-deleted user",
          responses=error_responses(ErrorCode.USER_NOT_FOUND, ErrorCode.USER_STATE_CONFLICT,
                                    *_DENIED, malformed=True))
    def restore_user(self, paygate: PaygateDep, user_id: UserIdParam,
                     ) -> Response[Success[UserItem]]:
        """They can log in again; a merchant's API key works again."""
        user = paygate.restore_user(_user_id(user_id))
        return Response(presenters.success("User restored successfully",
                                           presenters.user_item(user)))


class AdminMerchantsController(Controller):
    path = "/admin/merchants"
    tags = ["Admin"]
    before_request = staticmethod(admin_only)
    security = _BEARER

    @get("/", operation_id="listMerchants", sync_to_thread=True,
         summary="List merchants with their order and payment counts",
         responses=error_responses(ErrorCode.VALIDATION_FAILED, *_DENIED))
    def list_merchants(self, paygate: PaygateDep, include_deleted: Flag = None,
                       limit: Limit = None, cursor: Cursor = None,
                       ) -> Response[Success[PageData[MerchantItem]]]:
        result = paygate.list_merchants(page_request(limit, cursor),
                                        include_deleted=parse_flag(include_deleted,
                                                                   "include_deleted"))
        return Response(presenters.success("Merchants retrieved successfully",
                                           presenters.page(result, presenters.merchant_item)))
