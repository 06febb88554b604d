"""The JSON write routes (``POST orders/``, ``payments/``, ``refunds/``) as data: how a body
becomes the core's command, which use case runs it and how its result is answered.

Each route's handler takes only the ``Request`` and hands it to its ``WriteRoute``::

    CREATE_ORDER = WriteRoute(command=create_order_command,
                             use_case=lambda paygate: paygate.create_order,
                             render=order_created)

    @post("/", **documented_write(CreateOrderRequest, "order-inv-42"),
          middleware=[IdempotencyMiddleware], ...)
    async def create(self, request: AnyRequest) -> Response[Success[OrderData]]:
        return await CREATE_ORDER.answer(request)

``answer`` does the whole job in one pass, with nothing for Litestar to inject, validate
or encode per request: the principal the controller's ``before_request`` hook cached, the
body read and parsed once (``request_bodies.read_json_object``), the command, the use case run
the way this application runs writes, and the rendered bytes sent as they are
(``presenters.EncodedJson``). ``route_docs.documented_write`` gives the route the OpenAPI
description of its body and ``Idempotency-Key`` header at start-up, without a handler
parameter to extract per request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from uuid import UUID

import attrs
from litestar import Request, Response

from paygate_core.gateway import Paygate
from paygate_core.idempotency import IdempotentAnswer
from paygate_http.api.presenters import EncodedJson
from paygate_http.pipeline.auth import authenticate
from paygate_http.pipeline.idempotent_answers import answer_for, answer_to_send
from paygate_http.pipeline.request_bodies import JsonObject, read_json_object
from paygate_http.services import services_of

__all__ = ["WriteRoute"]

C = TypeVar("C")
R = TypeVar("R")


@attrs.frozen
class WriteRoute(Generic[C, R]):
    command: Callable[[UUID, JsonObject, IdempotentAnswer[R] | None], C]
    """The raw fields for the core, which validates them (bad fields raise ``ValidationFailed``)."""
    use_case: Callable[[Paygate], Callable[[C], R]]
    render: Callable[[R], tuple[int, bytes]]
    """The answer's status and exact body bytes (what an ``IdempotentAnswer`` stores)."""

    async def answer(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """A merchant's write: run the use case on the body, storing the answer with its
        change when the request owns an ``Idempotency-Key``, and send that answer."""
        merchant = (await authenticate(request)).require_merchant()
        body = await read_json_object(request)
        services = services_of(request)
        command = self.command(merchant.id, body, answer_for(request, self.render))
        result = await services.offload_write(self.use_case(services.paygate), command)
        return EncodedJson(*answer_to_send(request, self.render, result))
