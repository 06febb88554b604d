"""``/dashboard/events``: the signed-in merchant's live events for the Overview's script
(``static/live.js``). ``EventSource`` cannot send ``Authorization``, so this stream is
authenticated by the session cookie; it is the same stream as ``events/stream/``
(``paygate_http.live_events``, the same slots), ending when the session does.

Each event's data is its webhook body plus ``display``: the row's texts as the pages
write them (money exact with its code, the time in UTC, the status's colour class, the
card's last four digits), so the script never formats money or dates itself.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, get
from litestar.response import ServerSentEvent, ServerSentEventMessage

from paygate_core.errors import PaygateError
from paygate_core.events import EventType, PaymentEvent
from paygate_core.gateway import Paygate
from paygate_http.live_events import event_message, stream_response
from paygate_http.services import Offload, run_in_thread, services_of
from paygate_http.web.access import merchant_pages, signed_in
from paygate_http.web.formatting import money, status_class, utc
from paygate_http.web.headers import PAGE_HEADERS
from paygate_http.web.pages import DASHBOARD_PATH
from paygate_http.web.state import dashboard_of

__all__ = ["LIVE_EVENTS_PATH", "LiveEventsPage", "display_of"]

LIVE_EVENTS_PATH = f"{DASHBOARD_PATH}/events"
_NEW_PAYMENT = frozenset({EventType.PAYMENT_AUTHORIZED, EventType.PAYMENT_FAILED})
"""The events of a payment's creation: only they may add a row (and need its card)."""


def display_of(event: PaymentEvent, card_last4: str | None) -> dict[str, str]:
    """The Recent payments row's texts for ``event``, written by the pages' filters."""
    status = event.status.value
    return {
        "created_at": utc(event.payment_created_at),
        "amount": money(event.amount),
        "status": status,
        "status_class": status_class(status),
        "card": f"•••• {card_last4}" if card_last4 else "",
    }


class LiveEventsPage(Controller):
    path = "/events"
    guards = [merchant_pages]
    include_in_schema = False

    @get("/", name="dashboard-live-events")
    async def events(self, request: Request[Any, Any, Any]) -> ServerSentEvent:
        signed = await signed_in(request)
        merchant = signed.merchant
        assert merchant is not None  # the guard lets merchants with a merchant row in
        sessions = dashboard_of(request).sessions
        services = services_of(request)

        async def still_allowed() -> bool:
            # ``resume`` may write (last_seen_at): on a worker thread, as ``access`` does.
            return await run_in_thread(sessions.resume, signed.session_id) is not None

        async def encode(event: PaymentEvent) -> ServerSentEventMessage:
            card = await _card_last4(services.paygate, services.offload, event)
            body = {**event.payload(), "display": display_of(event, card)}
            return event_message(event, json.dumps(body, separators=(",", ":"), ensure_ascii=False))

        return await stream_response(
            request,
            merchant.id,
            last_event_id=request.headers.get("last-event-id"),
            still_allowed=still_allowed,
            encode=encode,
            headers=PAGE_HEADERS,
        )


async def _card_last4(paygate: Paygate, offload: Offload, event: PaymentEvent) -> str | None:
    if event.type not in _NEW_PAYMENT:
        return None
    try:
        details = await offload(paygate.get_payment, event.merchant_id, event.payment_id)
    except PaygateError:
        return None
    return details.payment.card_last4
