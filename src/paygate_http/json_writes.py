"""The JSON write routes (``POST orders/``, ``payments/``, ``refunds/``) as data: how a body
becomes the core's command, which use case runs it and how its result is answered.

The Litestar handlers and ``direct_routes`` both run a route through its ``JsonWrite``, so
the two ways in cannot drift apart::

    CREATE_ORDER = JsonWrite(command=create_order_command,
                             use_case=lambda paygate: paygate.create_order,
                             render=order_created)
    return await CREATE_ORDER.answer(request, merchant_id, body)      # a Litestar handler
    result = await CREATE_ORDER.run(runtime, merchant_id, body, None)  # direct_routes
    status, payload = CREATE_ORDER.render(result)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from uuid import UUID

import attrs
from litestar import Request, Response

from paygate_core.gateway import Paygate
from paygate_core.idempotency import IdempotentAnswer
from paygate_http import presenters
from paygate_http.idempotency import answer_for, answer_to_send
from paygate_http.json_body import JsonObject
from paygate_http.runtime import Runtime, runtime_of

__all__ = ["JsonWrite"]

C = TypeVar("C")
R = TypeVar("R")


@attrs.frozen
class JsonWrite(Generic[C, R]):
    command: Callable[[UUID, JsonObject, IdempotentAnswer[R] | None], C]
    """The raw fields for the core, which validates them (bad fields raise ``ValidationFailed``)."""
    use_case: Callable[[Paygate], Callable[[C], R]]
    render: Callable[[R], tuple[int, bytes]]
    """The answer's status and exact body bytes (what an ``IdempotentAnswer`` stores)."""

    async def run(self, runtime: Runtime, merchant_id: UUID, body: JsonObject,
                  idempotency: IdempotentAnswer[R] | None) -> R:
        """The use case on ``body``, run the way this application runs writes."""
        command = self.command(merchant_id, body, idempotency)
        return await runtime.offload_write(self.use_case(runtime.paygate), command)

    async def answer(self, request: Request[Any, Any, Any], merchant_id: UUID,
                     body: JsonObject) -> Response[Any]:
        """A Litestar handler's whole job: run the use case, storing the answer with its
        change when the request owns an ``Idempotency-Key``, and send that answer."""
        result = await self.run(runtime_of(request), merchant_id, body,
                                answer_for(request, self.render))
        return presenters.answer(answer_to_send(request, self.render, result))
