"""Request bodies: JSON parsed so that money stays exact, as a Litestar DTO.

``decode_json_object`` is the one parser. JSON numbers with a fraction become ``Decimal``
(never ``float``); numbers in exponent notation (``1e2``) and the constants ``NaN`` and
``Infinity`` are handed over as their raw text, so the core rejects them with its own code
(1014 for an amount) instead of this layer guessing. Duplicate keys are refused: two parsers
reading one body differently is how smuggled values happen.

Handlers receive the parsed object through the ``JsonBody`` DTO, which also documents the
body in OpenAPI with a schema-only type::

    @post("/", dto=JsonBody[CreateOrderRequest], sync_to_thread=True, ...)
    def create(self, data: JsonData = None) -> ...:  # None when the body was empty

Errors: not JSON -> 400, code 1004 (``MalformedJson``); JSON but not an object -> 422, 1004.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from litestar import Request
from litestar.dto import AbstractDTO, DTOConfig
from litestar.exceptions import ClientException, InternalServerException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import JSONBody
from litestar.typing import FieldDefinition

from paygate_core.errors import ValidationFailed
from paygate_core.text import is_valid_unicode
from paygate_http.errors import MalformedRequest

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.dto.data_structures import DTOFieldDefinition
    from litestar.openapi.spec import Reference, Schema
    from litestar.types import HTTPRequestEvent

__all__ = [
    "MAX_BODY_BYTES",
    "JsonBody",
    "JsonData",
    "JsonObject",
    "MalformedJson",
    "decode_json_object",
    "optional_object",
    "read_body",
    "read_json_object",
]

MAX_BODY_BYTES = 64 * 1024
JsonObject = dict[str, object]
JsonData = JSONBody[JsonObject | None]
"""The handler's ``data`` parameter: ``data: JsonData = None`` (None: the body was empty)."""
T = TypeVar("T")


class MalformedJson(MalformedRequest):
    """The body is not JSON at all: answered 400 (a JSON non-object is 422)."""


def _number(text: str) -> object:
    """Exact decimals; exponent literals stay text for the core to reject."""
    if "e" in text or "E" in text:
        return text
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the JSON grammar already matched
        return text


def _constant(text: str) -> str:
    return text  # NaN, Infinity, -Infinity: a string the amount parser refuses


def _unique_keys(pairs: list[tuple[str, object]]) -> JsonObject:
    result: JsonObject = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _DuplicateKey(ValueError):
    pass


def decode_json_object(raw: bytes) -> JsonObject:
    """Parse a request body that must be a JSON object (see the module docstring)."""
    try:
        value = json.loads(raw, parse_float=_number, parse_constant=_constant,
                           object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise MalformedJson(fields={"body": f"duplicate key {str(exc)[:40]!r}"}) from None
    except (ValueError, RecursionError):  # includes JSONDecodeError and bad UTF-8
        raise MalformedJson(fields={"body": "is not valid JSON"}) from None
    if not isinstance(value, dict):
        raise ValidationFailed(fields={"body": "must be a JSON object"})
    _check_unicode(value, "")
    return value


def _check_unicode(value: object, path: str) -> None:
    """Refuse lone UTF-16 surrogates (``"\\ud800"``): valid JSON, but no UTF-8 storage or
    response encoder accepts them, so they must stop here as a 1004 naming the field."""
    if isinstance(value, str):
        if not is_valid_unicode(value):
            raise ValidationFailed(fields={path or "body": "must be valid Unicode "
                                                           "(no lone surrogates)"})
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else key
            if not is_valid_unicode(key):
                raise ValidationFailed(fields={path or "body": "keys must be valid Unicode"})
            _check_unicode(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_unicode(item, f"{path}[{index}]")


async def read_json_object(request: Request[Any, Any, Any]) -> JsonObject:
    """The request's body parsed by ``decode_json_object``, ``{}`` when it is empty."""
    body = await read_body(request)
    return decode_json_object(body) if body else {}


async def read_body(request: Request[Any, Any, Any]) -> bytes:
    """The whole body, read once, under ``Request.body``'s rules and with its exceptions
    (so the same answers): an announced or actual length over ``MAX_BODY_BYTES`` is 413
    9003, a ``Content-Length`` that is no number 400, a client gone before the end 500.

    It reads the ASGI messages itself: ``Request.body`` builds a header container and an
    async generator for every request, which cost more than the rest of the reading."""
    for name, value in request.scope["headers"]:
        if name == b"content-length":
            try:
                announced = int(value)
            except ValueError:
                raise ClientException(f"Invalid content-length: {value.decode('latin-1')!r}",
                                      ) from None
            if announced > MAX_BODY_BYTES:
                raise RequestEntityTooLarge
            break
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise InternalServerException("client disconnected prematurely")
        chunk = cast("HTTPRequestEvent", message).get("body", b"")
        if chunk:
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise RequestEntityTooLarge
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def optional_object(data: JsonObject, key: str) -> JsonObject | None:
    """``data[key]`` when it is an object, None when absent or null, else ``ValidationFailed``."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationFailed(fields={key: "must be an object"})
    return value


class JsonBody(AbstractDTO[T]):
    """A DTO that parses with ``decode_json_object`` and documents ``JsonBody[Schema]``.

    The type argument is for OpenAPI only (any msgspec Struct, dataclass or union of them);
    the handler always receives a ``JsonObject`` (or its default when the body is empty).
    """

    config: ClassVar[DTOConfig] = DTOConfig()
    doc_type: ClassVar[Any] = JsonObject

    def __class_getitem__(cls, annotation: Any) -> type[JsonBody[Any]]:
        name = getattr(annotation, "__name__", str(annotation))
        return type(f"JsonBody[{name}]", (cls,), {"doc_type": annotation})

    def decode_bytes(self, value: bytes) -> JsonObject:
        return decode_json_object(value)

    def decode_builtins(self, value: dict[str, Any]) -> JsonObject:
        raise NotImplementedError("JsonBody reads raw JSON bytes only (no form data)")

    @classmethod
    def generate_field_definitions(
        cls, model_type: type[Any]
    ) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def is_supported_model_type_field(cls, field_definition: FieldDefinition) -> bool:
        return False  # never used for responses

    @classmethod
    def create_for_field_definition(cls, field_definition: FieldDefinition, handler_id: str,
                                    backend_cls: Any = None) -> None:
        return None  # no transfer models: decode_bytes does all the work

    @classmethod
    def create_openapi_schema(cls, field_definition: FieldDefinition, handler_id: str,
                              schema_creator: SchemaCreator) -> Reference | Schema:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.doc_type))
