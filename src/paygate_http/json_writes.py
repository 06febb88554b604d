"""The JSON write routes (``POST orders/``, ``payments/``, ``refunds/``) as data: how a body
becomes the core's command, which use case runs it and how its result is answered.

Each route's handler takes only the ``Request`` and hands it to its ``JsonWrite``::

    CREATE_ORDER = JsonWrite(command=create_order_command,
                             use_case=lambda paygate: paygate.create_order,
                             render=order_created)

    @post("/", **documented_write(CreateOrderRequest), middleware=[IdempotencyMiddleware],
          ...)
    async def create(self, request: AnyRequest) -> Response[Success[OrderData]]:
        return await CREATE_ORDER.answer(request)

``answer`` does the whole job in one pass, with nothing for Litestar to inject, validate
or encode per request: the principal the controller's ``before_request`` hook cached, the
body read and parsed once (``json_body.read_json_object``), the command, the use case run
the way this application runs writes, and the rendered bytes sent as they are
(``presenters.EncodedJson``). ``documented_write`` gives the route the OpenAPI
description of its body and ``Idempotency-Key`` header at start-up, from Litestar's own
schema generation, without a handler parameter to extract per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_args
from uuid import UUID

import attrs
from litestar import Request, Response
from litestar.di import Provide
from litestar.enums import ParamType
from litestar.openapi.spec import Example, OpenAPIType, Operation, Parameter, Schema

from paygate_core.gateway import Paygate
from paygate_core.idempotency import IdempotentAnswer
from paygate_http.auth import authenticate
from paygate_http.idempotency import KEY_HEADER, answer_for, answer_to_send
from paygate_http.json_body import JsonBody, JsonData, JsonObject, read_json_object
from paygate_http.payment_docs import IdempotencyKey
from paygate_http.presenters import EncodedJson
from paygate_http.runtime import runtime_of

__all__ = ["JsonWrite", "documented_write"]

C = TypeVar("C")
R = TypeVar("R")


@attrs.frozen
class JsonWrite(Generic[C, R]):
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
        runtime = runtime_of(request)
        command = self.command(merchant.id, body, answer_for(request, self.render))
        result = await runtime.offload_write(self.use_case(runtime.paygate), command)
        return EncodedJson(*answer_to_send(request, self.render, result))


def documented_write(body: type[Any]) -> dict[str, Any]:
    """The route decorator's arguments that document a ``JsonWrite`` route's JSON body (as
    ``body``, a Struct) and its optional ``Idempotency-Key`` header, the handler taking only
    the request: OpenAPI reads the body from a route dependency's ``data`` parameter when
    the handler has none (the dependency is never resolved: nothing asks for it), and the
    header is added to the operation."""
    return {"dto": JsonBody.__class_getitem__(body), "operation_class": _KeyedWrite,
            "dependencies": {"documented_body": Provide(_documented_body, sync_to_thread=False)}}


def _documented_body(data: JsonData = None) -> None:
    """Never called (see ``documented_write``)."""
    del data


def _key_parameter() -> Parameter:
    """``IdempotencyKey`` as Litestar documents a handler's optional header parameter."""
    kwarg = get_args(IdempotencyKey)[1]
    examples = [example.value for example in kwarg.examples or ()]
    return Parameter(
        name=KEY_HEADER, param_in=ParamType.HEADER, required=False, deprecated=False,
        description=kwarg.description,
        schema=Schema(one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)],
                      description=kwarg.description, examples=examples),
        examples={f"idempotency_key-example-{index}": Example(value=value)
                  for index, value in enumerate(examples, start=1)})


_KEY_PARAMETER = _key_parameter()


@dataclass
class _KeyedWrite(Operation):
    """The operation of a ``JsonWrite`` route: its parameters plus ``Idempotency-Key``."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), _KEY_PARAMETER]
