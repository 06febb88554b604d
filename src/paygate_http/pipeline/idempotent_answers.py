"""The ``Idempotency-Key`` a request owns, and how its route stores the answer with its change.

``IdempotencyMiddleware`` attaches an ``OwnedKey`` to the request it lets run as the key's
owner. The route hands ``answer_for(request, render)`` to its use case, which stores the
rendered answer in the same transaction as the order, payment or refund it makes (ADR
0005), and sends ``answer_to_send(...)``: those very bytes. Any other answer the middleware
``settle``s itself: stored (2xx and 4xx other than 401/429) or the key released (5xx, 401,
429), before it goes out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import attrs
from anyio import CancelScope
from litestar.connection import ASGIConnection
from litestar.types import Scope

from paygate_core.errors import StorageUnavailable
from paygate_core.idempotency import IdempotentAnswer
from paygate_http.pipeline.idempotency_releases import PENDING_RELEASES
from paygate_http.services import Services

__all__ = ["OwnedKey", "answer_for", "answer_to_send"]

_NOT_STORED = frozenset({401, 429})
_OWNED_KEY_STATE_KEY = "paygate.idempotency.claim"
R = TypeVar("R")
_log = logging.getLogger("paygate.http.idempotency")


@attrs.define
class OwnedKey:
    """A key this request owns: it must end completed or released."""

    services: Services
    merchant_id: UUID
    key: str
    rendered: tuple[int, bytes] | None = None
    """The answer the route's use case stored with its change (``answer_for``), if any."""

    def attach_to(self, scope: Scope) -> None:
        """Make this key the one ``answer_for`` finds for the request of ``scope``."""
        scope.setdefault("state", {})[_OWNED_KEY_STATE_KEY] = self

    def holds(self, status: int, body: bytes) -> bool:
        """Whether the record already holds this answer: the use case committed it (a
        rendered answer whose transaction failed never goes out: that request answers 5xx)."""
        return self.rendered is not None and self.rendered == (status, body)

    async def settle(self, status: int, body: bytes) -> None:
        """Store the answer, or release the key when the answer must not be stored."""
        if status >= 500 or status in _NOT_STORED:
            await self.release()
            return
        paygate = self.services.paygate
        try:
            await self.services.offload_write(
                paygate.complete_idempotency_key, self.merchant_id, self.key, status, body
            )
        except StorageUnavailable:  # not kept: released once the database is back
            PENDING_RELEASES.add(paygate, self.merchant_id, self.key)
        except Exception:
            # The work is done; the answer must still go out. The key stays unfinished
            # (409 1007) until LEASE runs out: ADR 0005 discusses this window.
            _log.exception(
                "idempotency record could not be completed",
                extra={"fields": {"merchant_id": str(self.merchant_id), "status": status}},
            )

    async def release(self) -> None:
        paygate = self.services.paygate
        with CancelScope(shield=True):
            try:
                await self.services.offload_write(
                    paygate.release_idempotency_key, self.merchant_id, self.key
                )
            except StorageUnavailable:  # the answer still goes out; released later
                PENDING_RELEASES.add(paygate, self.merchant_id, self.key)


def answer_for(
    connection: ASGIConnection[Any, Any, Any, Any], render: Callable[[R], tuple[int, bytes]]
) -> IdempotentAnswer[R] | None:
    """For a route's command: the key this request owns and how its use case renders the
    answer to store with its change; None without an owned key.

        order = await run_write(request, paygate.create_order, CreateOrder(
            ..., idempotency=answer_for(request, _created)))
        return presenters.answer(answer_to_send(request, _created, order))
    """
    owned = _owned_key_of(connection)
    if owned is None:
        return None

    def render_and_note(result: R) -> tuple[int, bytes]:
        owned.rendered = render(result)
        return owned.rendered

    return IdempotentAnswer(owned.key, render_and_note)


def answer_to_send(
    connection: ASGIConnection[Any, Any, Any, Any],
    render: Callable[[R], tuple[int, bytes]],
    result: R,
) -> tuple[int, bytes]:
    """The answer the use case stored with its change (``answer_for``), byte for byte, or
    ``render(result)`` when the request has no key."""
    owned = _owned_key_of(connection)
    if owned is not None and owned.rendered is not None:
        return owned.rendered
    return render(result)


def _owned_key_of(connection: ASGIConnection[Any, Any, Any, Any]) -> OwnedKey | None:
    owned = connection.scope.get("state", {}).get(_OWNED_KEY_STATE_KEY)
    return owned if isinstance(owned, OwnedKey) else None
