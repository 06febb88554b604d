"""The merchant's ``Settings`` page: the name (editable), the API key masked with
``Reveal`` and ``Copy``, and ``Rotate API key`` behind a confirmation.

The key is not in the page until asked for: ``Reveal`` is a POST (CSRF-checked; it
changes nothing, so it answers the page itself rather than redirecting, and the key never
appears in an address or the history), and ``Copy`` (``static/merchant.js``) copies the
revealed key, fetching it through that same POST when it is still masked. ``Rotate API
key`` runs the API's ``rotate_api_key``: the old key stops working when it commits, and
the page it redirects to shows the new key once.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from paygate_core.errors import ValidationFailed
from paygate_core.use_cases.accounts import UpdateMerchant
from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.pipeline.errors import status_for
from paygate_http.services import run_read, run_write, services_of
from paygate_http.web.access import merchant_pages
from paygate_http.web.forms import FormState, read_form
from paygate_http.web.merchant_common import (
    AnyRequest,
    done,
    merchant_of,
    render_merchant_page,
)
from paygate_http.web.notices import read_notice
from paygate_http.web.pages import DASHBOARD_PATH

__all__ = ["CONFIRM_ROTATE", "SETTINGS_PATH", "SettingsPages", "masked"]

SETTINGS_PATH = f"{DASHBOARD_PATH}/merchant/settings"
CONFIRM_ROTATE = "confirm_rotate"
_CONFIRM_REASON = "is required: the current key stops working at once"
_SHOWN_END = 4


def masked(api_key: str) -> str:
    """``pk_••••••••••••Ab3x``: its kind and last characters, enough to tell keys apart."""
    prefix, _, _ = api_key.partition("_")
    return f"{prefix}_{'•' * 12}{api_key[-_SHOWN_END:]}"


async def _settings_page(
    request: AnyRequest,
    signed: SignedIn,
    *,
    reveal: bool = False,
    name_form: FormState | None = None,
    rotate_form: FormState | None = None,
    status_code: int = 200,
) -> Response[Any]:
    assert signed.merchant is not None
    account = await run_read(
        request, services_of(request).paygate.merchant_account, signed.merchant.id
    )
    notice = read_notice(request, signed)
    shown_once = notice is not None and notice.reveals == "api_key"
    api_key = account.merchant.api_key
    return render_merchant_page(
        request,
        signed,
        "settings.html.j2",
        title="Settings",
        status_code=status_code,
        account=account,
        api_key=api_key if reveal or shown_once else None,
        masked_key=masked(api_key),
        shown_once=shown_once,
        name_form=name_form or FormState({"name": account.user.name}),
        rotate_form=rotate_form or FormState(),
    )


class SettingsPages(Controller):
    path = "/merchant/settings"
    guards = [merchant_pages]
    include_in_schema = False

    @get("/", name="dashboard-merchant-settings")
    async def settings(self, request: AnyRequest) -> Response[Any]:
        signed, _ = await merchant_of(request)
        return await _settings_page(request, signed)

    @post("/name", status_code=303)
    async def save_name(self, request: AnyRequest) -> Response[Any]:
        signed, merchant = await merchant_of(request)
        values, _ = await read_form(request, "name")
        try:
            await run_write(
                request,
                services_of(request).paygate.update_merchant,
                UpdateMerchant(merchant_id=merchant.id, name=values["name"]),
            )
        except ValidationFailed as exc:
            return await _settings_page(
                request,
                signed,
                name_form=FormState.refused(values, exc),
                status_code=status_for(exc),
            )
        return done(request, signed, SETTINGS_PATH, "name-saved")

    @post("/api-key/reveal", status_code=200)
    async def reveal(self, request: AnyRequest) -> Response[Any]:
        """The page with the key in full (nothing changes: no redirect)."""
        signed, _ = await merchant_of(request)
        return await _settings_page(request, signed, reveal=True)

    @post("/api-key/rotate", status_code=303)
    async def rotate(self, request: AnyRequest) -> Response[Any]:
        signed, merchant = await merchant_of(request)
        values, _ = await read_form(request, CONFIRM_ROTATE)
        if values[CONFIRM_ROTATE] != "yes":
            refused = FormState({}, {CONFIRM_ROTATE: _CONFIRM_REASON})
            return await _settings_page(request, signed, rotate_form=refused, status_code=422)
        await run_write(request, services_of(request).paygate.rotate_api_key, merchant.id)
        return done(request, signed, SETTINGS_PATH, "api-key-rotated")
