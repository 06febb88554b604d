"""The merchant's ``Webhooks`` page: the ``Webhook URL`` form (set, change, clear), ``Rotate
signing secret`` (the new secret shown once, on the page the rotation redirects to), the
events with their delivery status and attempts (newest first, paged), each event's attempt
log, and ``Resend`` per event.

Each form runs the API's use case (``update_merchant``, ``rotate_webhook_secret``,
``resend_webhook_event``) with its checks and words, then redirects.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.params import FromPath

from paygate_core.errors import ValidationFailed, WebhookEventNotFound
from paygate_core.use_cases.accounts import UpdateMerchant
from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.pipeline.errors import status_for
from paygate_http.services import run_read, run_write, services_of
from paygate_http.web.access import merchant_pages
from paygate_http.web.forms import FormState, read_form
from paygate_http.web.merchant_common import (
    AnyRequest,
    done,
    listing_of,
    merchant_of,
    render_merchant_page,
)
from paygate_http.web.notices import read_notice
from paygate_http.web.pages import DASHBOARD_PATH

__all__ = ["WEBHOOKS_PATH", "WebhookPages"]

WEBHOOKS_PATH = f"{DASHBOARD_PATH}/merchant/webhooks"
EVENTS_PATH = f"{WEBHOOKS_PATH}/events"
RESPONSE_SHOWN = 500
"""Characters of a receiver's response body shown in the attempt log."""


async def _webhooks_page(
    request: AnyRequest, signed: SignedIn, form: FormState | None = None, status_code: int = 200
) -> Response[Any]:
    assert signed.merchant is not None
    paygate = services_of(request).paygate
    account = await run_read(request, paygate.merchant_account, signed.merchant.id)
    listing = listing_of(request, WEBHOOKS_PATH)
    events = await run_read(
        request, paygate.list_webhook_events, signed.merchant.id, listing.page_request
    )
    notice = read_notice(request, signed)
    secret = (
        account.merchant.webhook_secret
        if notice is not None and notice.reveals == "webhook_secret"
        else None
    )
    if form is None:
        form = FormState({"webhook_url": account.merchant.webhook_url or ""})
    return render_merchant_page(
        request,
        signed,
        "webhooks.html.j2",
        title="Webhooks",
        status_code=status_code,
        form=form,
        account=account,
        new_secret=secret,
        events=events.items,
        listing=listing,
        next_href=listing.next_href(events),
    )


class WebhookPages(Controller):
    path = "/merchant/webhooks"
    guards = [merchant_pages]
    include_in_schema = False

    @get("/", name="dashboard-merchant-webhooks")
    async def webhooks(self, request: AnyRequest) -> Response[Any]:
        signed, _ = await merchant_of(request)
        return await _webhooks_page(request, signed)

    @post("/url", status_code=303)
    async def save_url(self, request: AnyRequest) -> Response[Any]:
        """An empty ``Webhook URL`` clears it (the API's ``webhook_url: null``)."""
        signed, merchant = await merchant_of(request)
        values, _ = await read_form(request, "webhook_url")
        url = values["webhook_url"].strip() or None
        try:
            await run_write(
                request,
                services_of(request).paygate.update_merchant,
                UpdateMerchant(merchant_id=merchant.id, webhook_url=url),
            )
        except ValidationFailed as exc:
            return await _webhooks_page(
                request, signed, FormState.refused(values, exc), status_for(exc)
            )
        notice = "webhook-url-saved" if url else "webhook-url-cleared"
        return done(request, signed, WEBHOOKS_PATH, notice)

    @post("/secret", status_code=303)
    async def rotate_secret(self, request: AnyRequest) -> Response[Any]:
        signed, merchant = await merchant_of(request)
        await run_write(request, services_of(request).paygate.rotate_webhook_secret, merchant.id)
        return done(request, signed, WEBHOOKS_PATH, "webhook-secret-rotated")

    @get("/events/{event_id:str}", name="dashboard-merchant-webhook-event")
    async def event(self, request: AnyRequest, event_id: FromPath[str]) -> Response[Any]:
        """The event's attempt log, newest first (another merchant's event: none)."""
        signed, merchant = await merchant_of(request)
        listing = listing_of(request, f"{EVENTS_PATH}/{quote(event_id, safe='')}")
        page = listing.page_request
        try:
            attempts = await run_read(
                request,
                services_of(request).paygate.list_webhook_attempts,
                merchant.id,
                page,
                event_id=event_id,
            )
        except ValidationFailed:  # a malformed id in the address names no event
            raise WebhookEventNotFound("Webhook event not found") from None
        return render_merchant_page(
            request,
            signed,
            "webhook_event.html.j2",
            title="Webhook event",
            event_id=event_id,
            attempts=attempts.items,
            listing=listing,
            next_href=listing.next_href(attempts),
            response_shown=RESPONSE_SHOWN,
        )

    @post("/events/{event_id:str}/resend", status_code=303)
    async def resend(self, request: AnyRequest, event_id: FromPath[str]) -> Response[Any]:
        """Queues the event again; back to the page the button was on."""
        signed, merchant = await merchant_of(request)
        values, _ = await read_form(request, "back")
        event = await run_write(
            request, services_of(request).paygate.resend_webhook_event, merchant.id, event_id
        )
        back = f"{EVENTS_PATH}/{event.id}" if values["back"] == "event" else WEBHOOKS_PATH
        return done(request, signed, back, "event-resent")
