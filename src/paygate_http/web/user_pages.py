"""The admin's ``Users`` pages under ``/dashboard/admin/users``: users with their role and
status, newest first, paged, deleted ones with ``Show deleted``; ``Delete`` (a confirmation
page, then a soft delete), ``Restore``, and the ``Create admin`` form.

The same use cases as ``admin/users/`` and ``auth/register-admin/``, with their error words:
an admin deleting themself is refused with the API's 409 message, shown on the confirmation
page. Every change is a CSRF-checked POST answered with a redirect (303) to the list, which
says what happened through a fixed ``notice`` word (never text from the query).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from paygate_core.errors import EmailAlreadyRegistered, UserStateConflict, ValidationFailed
from paygate_core.pagination import PageRequest
from paygate_core.use_cases.auth import RegisterAdmin
from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.services import run_read, run_write, services_of
from paygate_http.web.access import admin_pages, signed_in
from paygate_http.web.forms import FormState, read_form
from paygate_http.web.pages import DASHBOARD_PATH, redirect, render
from paygate_http.web.paging import page_links, query_text

__all__ = ["NOTICES", "USERS_PATH", "AdminUsers"]

AnyRequest = Request[Any, Any, Any]
USERS_PATH = f"{DASHBOARD_PATH}/admin/users"
USERS_PER_PAGE = 25
_ADMIN_FIELDS = ("email", "name", "password")

NOTICES: Mapping[str, str] = {
    "deleted": "The user was deleted. Their data is kept; Restore brings them back.",
    "restored": "The user was restored: they can log in again.",
    "admin-created": "The admin was created: they can log in now.",
}
"""What the list says after a change, by the ``notice`` word of the redirect."""


def _shown(path: str, *, show_deleted: bool, notice: str) -> str:
    query = "&".join(
        part for part in ("show_deleted=1" if show_deleted else "", f"notice={notice}") if part
    )
    return f"{path}?{query}"


async def _users_page(
    request: AnyRequest, signed: SignedIn, form: FormState | None = None, status_code: int = 200
) -> Response[Any]:
    """The list (filters from the query) with the ``Create admin`` form (``form``: what a
    refused submission typed, with its errors)."""
    show_deleted = query_text(request, "show_deleted") in ("1", "on", "true")
    cursor = query_text(request, "cursor")
    page = PageRequest.parse(USERS_PER_PAGE, cursor or None)
    users = await run_read(
        request, services_of(request).paygate.list_users, page, include_deleted=show_deleted
    )
    links = page_links(
        USERS_PATH, users, {"show_deleted": "1" if show_deleted else ""}, first=bool(cursor)
    )
    return render(
        request,
        "admin_users.html.j2",
        title="Users",
        signed=signed,
        users=users.items,
        links=links,
        show_deleted=show_deleted,
        notice=NOTICES.get(query_text(request, "notice")),
        form=form or FormState(),
        status_code=status_code,
    )


class AdminUsers(Controller):
    path = "/admin/users"
    guards = [admin_pages]
    include_in_schema = False

    @get("/", name="dashboard-admin-users")
    async def users(self, request: AnyRequest) -> Response[Any]:
        return await _users_page(request, await signed_in(request))

    @post("/create-admin", status_code=303)
    async def create_admin(self, request: AnyRequest) -> Response[Any]:
        signed = await signed_in(request)
        values, kept = await read_form(request, *_ADMIN_FIELDS, secret=("password",))
        command = RegisterAdmin(
            email=values["email"], name=values["name"], password=values["password"]
        )
        try:
            await run_write(request, services_of(request).paygate.register_admin, command)
        except ValidationFailed as exc:
            return await _users_page(request, signed, FormState.refused(kept, exc), 422)
        except EmailAlreadyRegistered as exc:
            return await _users_page(
                request, signed, FormState(kept, {"email": exc.description}), 409
            )
        return redirect(_shown(USERS_PATH, show_deleted=False, notice="admin-created"))

    @get("/{user_id:str}/delete", name="dashboard-admin-user-delete")
    async def confirm_delete(
        self,
        request: AnyRequest,
        user_id: FromPath[str],
    ) -> Response[Any]:
        """Asks before deleting (works without script: a page of its own)."""
        signed = await signed_in(request)
        user = await run_read(request, services_of(request).paygate.get_user, user_id)
        return render(
            request,
            "admin_user_delete.html.j2",
            title="Delete user",
            signed=signed,
            user=user,
            form=FormState(),
            users_path=USERS_PATH,
        )

    @post("/{user_id:str}/delete", status_code=303)
    async def delete(self, request: AnyRequest, user_id: FromPath[str]) -> Response[Any]:
        signed = await signed_in(request)
        paygate = services_of(request).paygate
        user = await run_read(request, paygate.get_user, user_id)
        try:
            await run_write(request, paygate.delete_user, signed.user, user.id)
        except UserStateConflict as exc:  # themself: the API's 409 words, on this page
            return render(
                request,
                "admin_user_delete.html.j2",
                title="Delete user",
                signed=signed,
                user=user,
                form=FormState({}, {"": exc.description}),
                users_path=USERS_PATH,
                status_code=409,
            )
        return redirect(_shown(USERS_PATH, show_deleted=False, notice="deleted"))

    @post("/{user_id:str}/restore", status_code=303)
    async def restore(self, request: AnyRequest, user_id: FromPath[str]) -> Response[Any]:
        paygate = services_of(request).paygate
        user = await run_read(request, paygate.get_user, user_id)
        await run_write(request, paygate.restore_user, user.id)
        return redirect(_shown(USERS_PATH, show_deleted=True, notice="restored"))
