"""Request bodies: JSON parsed so that money stays exact, as a Litestar DTO.

``decode_json_object`` is the one parser. The body must be UTF-8 (a leading byte-order mark
is ignored). JSON numbers with a fraction become ``Decimal`` (never ``float``); numbers in
exponent notation (``1e2``) and the constants ``NaN`` and ``Infinity`` are handed over as the
core's ``NumberLiteral``, so the core rejects them with its own code (1014 for an amount,
1004 where a string is expected) instead of this layer guessing. Duplicate keys are refused:
two parsers reading one body differently is how smuggled values happen. Objects and arrays
nest at most ``MAX_DEPTH`` levels.

A body is read only when it is sent as JSON (``require_json``): ``Content-Type``
``application/json`` or ``application/*+json``, with ``charset=utf-8`` or no charset, and no
``Content-Encoding``; anything else, a missing type included, is 415 9004 before the body is
parsed or anything is changed. An empty body needs no type: routes whose body is optional
(``auth/logout/``) and bodiless ``POST`` s are called without one.

Handlers receive the parsed object through the ``JsonBody`` DTO, which also documents the
body in OpenAPI with a schema-only type::

    @post("/register", dto=JsonBody[RegisterRequest], sync_to_thread=True, ...)
    def register(self, data: JsonData = None) -> ...:  # None when the body was empty

The write routes (``api.write_routes``) read theirs with ``read_json_object`` instead.

Errors, each naming what is wrong in ``meta.fields.body``: not UTF-8, not JSON (with the
parser's reason and position), a duplicate key or nested too deeply -> 400, code 1004
(``MalformedJson``); JSON but not an object -> 422, 1004.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Generator, Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from litestar import Request
from litestar.dto import AbstractDTO, DTOConfig
from litestar.exceptions import ClientException, InternalServerException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import JSONBody
from litestar.typing import FieldDefinition

from paygate_core.errors import ValidationFailed
from paygate_core.money import NumberLiteral
from paygate_core.text import is_valid_unicode
from paygate_http.pipeline.errors import CLIENT_GONE, MalformedRequest, UnsupportedMediaType

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.dto.data_structures import DTOFieldDefinition
    from litestar.openapi.spec import Reference, Schema
    from litestar.types import HTTPRequestEvent

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "JsonBody",
    "JsonData",
    "JsonObject",
    "MalformedJson",
    "decode_json_object",
    "optional_object",
    "read_body",
    "read_json_object",
    "require_json",
]

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32
"""Levels of objects and arrays a body may nest (the deepest route body needs 2)."""
JsonObject = dict[str, object]
JsonData = JSONBody[JsonObject | None]
"""The handler's ``data`` parameter: ``data: JsonData = None`` (None: the body was empty)."""
T = TypeVar("T")


class MalformedJson(MalformedRequest):
    """The body is not JSON at all: answered 400 (a JSON non-object is 422)."""


def _number(text: str) -> object:
    """Exact decimals; exponent literals stay literals for the core to reject."""
    if "e" in text or "E" in text:
        return NumberLiteral(text)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the JSON grammar already matched
        return NumberLiteral(text)


def _constant(text: str) -> NumberLiteral:
    return NumberLiteral(text)  # NaN, Infinity, -Infinity: refused wherever they appear


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
    value = _parse(_text(raw))
    if not isinstance(value, dict):
        raise ValidationFailed(fields={"body": "must be a JSON object"})
    _check_values(value, "", 1)
    return value


def _text(raw: bytes) -> str:
    """The body as text: UTF-8 only (RFC 8259 section 8.1), a leading BOM dropped."""
    try:
        return raw.decode("utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"is not valid UTF-8 (byte {exc.start})") from None


def _parse(text: str) -> object:
    try:
        return json.loads(
            text, parse_float=_number, parse_constant=_constant, object_pairs_hook=_unique_keys
        )
    except _DuplicateKey as exc:
        raise _malformed(f"has a duplicate key {_shown(str(exc))}") from None
    except json.JSONDecodeError as exc:
        reason = exc.msg[:1].lower() + exc.msg[1:]
        raise _malformed(
            f"is not valid JSON: {reason} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError:  # an integer literal beyond int's digit limit (4300 by default)
        raise _malformed("has an integer with too many digits") from None


def _shown(key: str) -> str:
    """A client's key as a message quotes it: at most 40 characters, as a Python literal."""
    return repr(key[:40])


def _malformed(reason: str) -> MalformedJson:
    return MalformedJson(fields={"body": reason})


def _too_deep() -> MalformedJson:
    return _malformed(f"is nested too deeply (at most {MAX_DEPTH} levels of objects and arrays)")


def _check_values(value: object, path: str, depth: int) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and lone UTF-16 surrogates (``"\\ud800"``):
    valid JSON, but no UTF-8 storage or response encoder accepts them, so they must stop
    here as a 1004 naming the field."""
    if isinstance(value, str):
        if not is_valid_unicode(value):
            raise ValidationFailed(
                fields={path or "body": "must be valid Unicode (no lone surrogates)"}
            )
    elif isinstance(value, dict | list):
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            for key, item in value.items():
                if not is_valid_unicode(key):
                    raise ValidationFailed(fields={path or "body": "keys must be valid Unicode"})
                _check_values(item, f"{path}.{key}" if path else key, depth + 1)
        else:
            for index, item in enumerate(value):
                _check_values(item, f"{path}[{index}]", depth + 1)


# --- the media type ------------------------------------------------------------------------

_TOKEN = r"[!#$%&'*+.^_`|~0-9a-z-]"
_JSON_MEDIA = re.compile(rf"application/(?:(?!\+){_TOKEN}+\+)?json")
"""``application/json`` and ``application/<suffix>+json`` (RFC 6839), lower-cased."""
_UTF8 = frozenset({"utf-8", "utf8"})


def require_json(headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Refuse (415 9004, ``UnsupportedMediaType``) a body not sent as JSON: the request's
    (lower-case, ASGI) ``headers`` must hold exactly one ``Content-Type`` naming
    ``application/json`` or ``application/*+json``, with no charset but UTF-8, and no
    ``Content-Encoding`` but ``identity``. Call it only for a non-empty body."""
    content_types: list[bytes] = []
    for name, value in headers:
        if name == b"content-type":
            content_types.append(value)
        elif name == b"content-encoding" and value.strip().lower() != b"identity":
            raise UnsupportedMediaType(
                f"Content-Encoding {_quoted(value)} is not supported: send the body uncompressed"
            )
    if len(content_types) == 1 and (
        content_types[0] == b"application/json" or _is_json(content_types[0].decode("latin-1"))
    ):
        return
    raise UnsupportedMediaType(_unsupported(content_types))


def _is_json(content_type: str) -> bool:
    media, _, parameters = content_type.partition(";")
    if _JSON_MEDIA.fullmatch(media.strip().lower()) is None:
        return False
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _UTF8:
            return False
    return True


def _unsupported(content_types: list[bytes]) -> str:
    if not content_types:
        return "A request body must be JSON: send Content-Type: application/json"
    if len(content_types) > 1:
        return "Content-Type must be sent once"
    media = content_types[0].decode("latin-1").partition(";")[0]
    if _JSON_MEDIA.fullmatch(media.strip().lower()) is not None:
        return "A JSON body must be UTF-8: send charset=utf-8 or no charset"
    return (
        f"Content-Type {_quoted(content_types[0])} is not JSON: send Content-Type: application/json"
    )


def _quoted(value: bytes) -> str:
    """A header value as a message quotes it: printable ASCII only, at most 60 characters."""
    text = value.decode("latin-1").strip()
    if not text.isascii() or not text.isprintable():
        return "(unprintable)"
    return repr(text[:60])


# --- reading -------------------------------------------------------------------------------


async def read_json_object(request: Request[Any, Any, Any]) -> JsonObject:
    """The request's body parsed by ``decode_json_object``, ``{}`` when it is empty; a
    non-empty body must be sent as JSON (``require_json``)."""
    body = await read_body(request)
    if not body:
        return {}
    require_json(request.scope["headers"])
    return decode_json_object(body)


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
                raise ClientException(
                    f"Invalid content-length: {value.decode('latin-1')!r}",
                ) from None
            if announced > MAX_BODY_BYTES:
                raise RequestEntityTooLarge
            break
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise InternalServerException(CLIENT_GONE)
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
        """``value`` is the request's non-empty body (Litestar skips an empty one)."""
        require_json(self.asgi_connection.scope["headers"])
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
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        return None  # no transfer models: decode_bytes does all the work

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: SchemaCreator
    ) -> Reference | Schema:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.doc_type))
