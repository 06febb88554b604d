"""Wire schemas: msgspec Structs for every request and response body of the auth, merchant
and admin routes, with examples; they drive the OpenAPI document.

Responses are built from these Structs by ``presenters``; never serialise a domain object
directly. Request Structs are for documentation only: bodies are parsed by
``request_bodies.decode_json_object`` and validated by the core (see ``JsonBody``).
"""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar

import msgspec
from litestar.openapi.spec import Schema
from msgspec import UNSET, Meta, Struct, UnsetType

__all__ = [
    "UNSET",
    "AccessData",
    "AdminRegistrationData",
    "ApiKeyData",
    "EmptyData",
    "ErrorDetail",
    "ErrorEnvelope",
    "ErrorMeta",
    "Health",
    "LoginData",
    "LoginRequest",
    "MerchantItem",
    "MerchantProfile",
    "MerchantRegistrationData",
    "MerchantUpdateRequest",
    "PageData",
    "RefreshRequest",
    "RegisterAdminRequest",
    "RegisterRequest",
    "Success",
    "UnsetType",
    "UserItem",
    "WebhookSecretData",
]

T = TypeVar("T")


def doc(**schema: object) -> dict[str, object]:
    """``Meta(extra_json_schema=doc(...))``: schema keywords (``format``, ``any_of``, ...) that
    the OpenAPI document states for a field beyond its Python type."""
    return {"extra": schema}


NO_NUL = r"^[^\x00]*$"
"""Any text without NUL characters (no database stores them)."""
NAME_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
"""Not blank: at least one character besides white space."""
_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}"
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_ATOM}(\.{_ATOM}){{0,2}}@{_LABEL}(\.{_LABEL}){{1,3}}$"
"""A dot-atom address at a host name: what both ``format: email`` and the server take."""
_PATH_TEXT = "([A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*"
_QUERY_TEXT = "([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*"
URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://{_LABEL}(\.{_LABEL})*(:[0-9]{{1,4}})?"
    rf"(/{_PATH_TEXT})?(\?{_QUERY_TEXT})?(#{_QUERY_TEXT})?$"
)
"""An absolute http(s) URL of RFC 3986 characters: a host name or IPv4 address, an optional
port, path, query and fragment (the server also takes IPv6 literals and internationalised
names)."""
URL_DESCRIPTION = (
    "Absolute http(s) URL, at most 2048 characters. A literal loopback, private "
    "or reserved IP address is refused (422 1004) unless the server allows "
    "private destinations"
)

Uuid = Annotated[
    str,
    Meta(
        examples=["5b7f3c1e-8a2d-4c6b-9e0f-1a2b3c4d5e6f"],
        description="UUID, lowercase and hyphenated",
        extra_json_schema=doc(format="uuid"),
    ),
]
Timestamp = Annotated[
    str,
    Meta(
        examples=["2026-10-06T10:30:00.123456Z"],
        description="RFC 3339 UTC timestamp",
        extra_json_schema=doc(format="date-time"),
    ),
]
Email = Annotated[
    str,
    Meta(
        examples=["a@shop.example"],
        max_length=254,
        pattern=EMAIL_PATTERN,
        extra_json_schema=doc(format="email"),
    ),
]
Name = Annotated[str, Meta(examples=["Shop"], min_length=1, max_length=255, pattern=NAME_PATTERN)]
Password = Annotated[
    str, Meta(examples=["s3cret-pass"], min_length=8, max_length=128, pattern=NO_NUL)
]
WebhookUrl = Annotated[
    str, Meta(examples=["https://shop.example/hooks"], max_length=2048, description=URL_DESCRIPTION)
]
WebhookUrlInput = Annotated[
    str,
    Meta(
        examples=["https://shop.example/hooks"],
        max_length=2048,
        pattern=URL_PATTERN,
        description=URL_DESCRIPTION,
        extra_json_schema=doc(format="uri"),
    ),
]
Jwt = Annotated[
    str,
    Meta(
        examples=["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOi..."], description="JWT (HS256)"
    ),
]
ApiKey = Annotated[str, Meta(examples=["pk_3q2-Xb8..."], description="Merchant API key")]
WebhookSecret = Annotated[str, Meta(examples=["whsec_Zk1v..."])]
RoleName = Literal["admin", "merchant"]


# --- envelopes -------------------------------------------------------------------------------


class Success(Struct, Generic[T], kw_only=True):
    """Every successful answer: ``{"success": true, "message", "data"}``."""

    success: Annotated[bool, Meta(examples=[True])] = True
    message: Annotated[str, Meta(examples=["Login successful"])]
    data: T


class ErrorMeta(Struct):
    fields: Annotated[
        dict[str, str],
        Meta(
            examples=[{"email": "must be a valid email address"}],
            description="Each bad field and why",
        ),
    ]


class ErrorDetail(Struct):
    code: Annotated[int, Meta(examples=[1004], description="Contract error code")]
    message: Annotated[str, Meta(examples=["Validation failed"])]
    description: Annotated[str, Meta(examples=["email: must be a valid email address"])]
    meta: ErrorMeta | None = None


class ErrorEnvelope(Struct, kw_only=True):
    """Every error answer: ``{"success": false, "exception": {...}}``."""

    success: Annotated[bool, Meta(examples=[False])] = False
    exception: ErrorDetail


class PageData(Struct, Generic[T]):
    """A page of a list, newest first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[T]
    has_more: Annotated[bool, Meta(examples=[False])]
    next_cursor: Annotated[str | None, Meta(examples=[None])]


class EmptyData(Struct):
    """``{}``."""


class Health(Struct):
    status: Annotated[str, Meta(examples=["ok"])]


# --- auth --------------------------------------------------------------------------------------


class Credentials(Struct):
    email: Email
    name: Name
    password: Password


RegistrationWebhookUrl = Annotated[
    str,
    Meta(
        examples=["https://shop.example/hooks"],
        description=f'{URL_DESCRIPTION}. Optional: absent, null or "" means not set',
        extra_json_schema=doc(
            type=None,
            one_of=None,
            any_of=[
                {"type": "string", "format": "uri", "pattern": URL_PATTERN, "maxLength": 2048},
                {"type": "string", "const": ""},
                {"type": "null"},
            ],
        ),
    ),
]


NestedFormMarker = Annotated[
    None,
    Meta(
        description="Never sent in this form: a body with `user` is the nested form, whatever "
        "else it holds",
        extra_json_schema=doc(type=None, schema_not=Schema()),
    ),
]
"""``user`` on a flat body: the server reads the nested form whenever ``user`` is present,
so the document says a flat body has none (the two forms never both match)."""


class RegisterFlat(Struct):
    email: Email
    name: Name
    password: Password
    webhook_url: RegistrationWebhookUrl | None = None
    user: NestedFormMarker = None


class RegisterNested(Struct):
    """The form older clients send: the credentials under ``user``."""

    user: Credentials
    webhook_url: RegistrationWebhookUrl | None = None


class RegisterAdminFlat(Struct):
    email: Email
    name: Name
    password: Password
    user: NestedFormMarker = None


class RegisterAdminNested(Struct):
    """The credentials under ``user``."""

    user: Credentials


RegisterRequest = RegisterFlat | RegisterNested
RegisterAdminRequest = RegisterAdminFlat | RegisterAdminNested


class LoginRequest(Struct):
    email: Email
    password: Password


class RefreshRequest(Struct):
    """Optional: clients without cookies send the refresh token here (an empty or unknown
    token is 401 1002)."""

    refresh: Jwt | None = None


class MerchantRegistrationData(Struct):
    access: Jwt
    api_key: ApiKey
    email: Email
    name: Name
    role: RoleName
    user_id: Uuid
    merchant_id: Uuid
    webhook_url: WebhookUrl | None
    webhook_secret: WebhookSecret


class AdminRegistrationData(Struct):
    access: Jwt
    api_key: None
    email: Email
    name: Name
    role: RoleName
    user_id: Uuid


class LoginData(Struct):
    access: Jwt
    api_key: ApiKey | None
    email: Email
    name: Name
    role: RoleName
    user_id: Uuid
    merchant_id: Uuid | UnsetType = UNSET
    """Merchants only (absent for admins)."""


class AccessData(Struct):
    access: Jwt
    refresh: Jwt | UnsetType = UNSET
    """Only when the refresh token came in the body."""


# --- merchants -------------------------------------------------------------------------------


class MerchantUpdateRequest(Struct):
    """Each field optional (an empty body changes nothing); ``webhook_url: null`` removes the
    URL."""

    webhook_url: WebhookUrlInput | UnsetType | None = UNSET
    name: Name | UnsetType = UNSET


class MerchantProfile(Struct):
    merchant_id: Uuid
    user_id: Uuid
    email: Email
    name: Name
    webhook_url: WebhookUrl | None
    api_key: ApiKey
    created_at: Timestamp


class ApiKeyData(Struct):
    api_key: ApiKey


class WebhookSecretData(Struct):
    webhook_secret: WebhookSecret


# --- admin -------------------------------------------------------------------------------------


class UserItem(Struct):
    user_id: Uuid
    email: Email
    name: Name
    role: RoleName
    deleted: Annotated[bool, Meta(examples=[False])]
    deleted_at: Timestamp | None
    created_at: Timestamp


class MerchantItem(Struct):
    merchant_id: Uuid
    user_id: Uuid
    email: Email
    name: Name
    webhook_url: WebhookUrl | None
    created_at: Timestamp
    deleted: Annotated[bool, Meta(examples=[False])]
    total_orders: Annotated[int, Meta(examples=[12], ge=0)]
    total_payments: Annotated[int, Meta(examples=[15], ge=0)]


def encode(value: object) -> bytes:
    """The exact bytes a handler's Struct is sent as (for stored idempotent replies)."""
    return msgspec.json.encode(value)
