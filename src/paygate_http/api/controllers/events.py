"""``events/stream/``: the merchant's events as they commit, as Server-Sent Events
(``paygate_http.live_events``; the core's ``use_cases.live_events``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request, get
from litestar.params import HeaderParameter
from litestar.response import ServerSentEvent

from paygate_core.errors import NotAuthenticated, StorageUnavailable
from paygate_core.gateway import Paygate
from paygate_core.principals import Principal
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import PaygateDep, PrincipalDep
from paygate_http.api.route_docs import BEARER_OR_KEY, DENIED, route_errors
from paygate_http.live_events import stream_response
from paygate_http.pipeline.auth import merchant_only
from paygate_http.services import Offload, services_of

__all__ = ["EventStreamController"]

LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        required=False,
        description="The id of the last event received: the stream first replays the "
        "merchant's events after it (one may come twice: de-duplicate by id). "
        "Unknown or another merchant's: the stream starts from now.",
    ),
]


class EventStreamController(ApiController):
    path = "/events"
    tags = ["Webhooks"]
    before_request = staticmethod(merchant_only)
    security = BEARER_OR_KEY

    @get(
        "/stream",
        operation_id="streamEvents",
        media_type="text/event-stream",
        summary="The merchant's events as they commit (Server-Sent Events)",
        response_description="`text/event-stream`: `id: <event_id>`, `event: <event type>`, "
        "`data: <the webhook body on one line>`, a blank line; "
        "`: keep-alive` every 15 s",
        responses=route_errors(*DENIED),
    )
    async def stream(
        self,
        request: Request[Any, Any, Any],
        paygate: PaygateDep,
        principal: PrincipalDep,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        """Each event reaches every open stream of its merchant within a second of its
        commit, whichever process committed it. The stream ends when the credential is
        revoked or expires, or the user is deleted. At most 5 open streams per merchant
        (per server process); another is 429 1006 with `Retry-After`."""
        merchant = principal.require_merchant()
        check = _credential_check(request, paygate, principal, services_of(request).offload)
        return await stream_response(
            request, merchant.id, last_event_id=last_event_id, still_allowed=check
        )


def _credential_check(
    request: Request[Any, Any, Any],
    paygate: Paygate,
    principal: Principal,
    offload: Offload,
) -> Callable[[], Awaitable[bool]]:
    """Whether the credential of ``request`` still authenticates the same merchant (read
    again through the credential cache: a row read when nothing changed)."""
    authorization = request.headers.get("authorization")
    merchant = principal.require_merchant()
    authenticate: Callable[[str], Principal] = paygate.authenticate_api_key
    credential = (request.headers.get("x-api-key") or "").strip()
    if authorization is not None:  # as ``auth.authenticate``: a bearer token comes first
        authenticate = paygate.authenticate_bearer
        credential = authorization.strip().partition(" ")[2].strip()

    async def still_allowed() -> bool:
        try:
            again = await offload(authenticate, credential)
        except NotAuthenticated:
            return False
        except StorageUnavailable:
            return True  # the database is away for now: keep the stream, ask again later
        return again.merchant is not None and again.merchant.id == merchant.id

    return still_allowed
