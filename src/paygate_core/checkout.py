"""Hosted checkout: the token in an order's ``checkout_url`` and the signed return.

The token is a MAC, so nothing is stored to check it::

    token = base64url(order_id (16 bytes) | merchant_id (16) | expires (8, Unix seconds)
                      | HMAC-SHA256(key, those 40 bytes)[:16])

``key`` is a sub-key of the server's secret for this use only. The token is bound to its
order and merchant (changing any byte breaks the MAC), lives until ``created_at`` plus
``CHECKOUT_LIFETIME`` (the expiry is inside the MAC, so it cannot be extended) and is
refused by the page once the order is paid. 128 bits of MAC make it unguessable.

The return to the merchant's ``return_url`` carries ``order_id``, ``payment_id``,
``status`` and ``signature`` = hex HMAC-SHA256 under the merchant's webhook secret of
``"<order_id>|<payment_id>|<status>"``. Merchants check it with ``verify_return_signature``
(standard library only, so this function can be copied into a merchant's code base)::

    from paygate_core.checkout import verify_return_signature

    def on_return(query):
        if not verify_return_signature(WEBHOOK_SECRET, query["order_id"],
                                       query["payment_id"], query["status"],
                                       query["signature"]):
            return 400  # not from Paygate, or altered
        # show "thank you"; fulfil the order when its webhook arrives
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from uuid import UUID

import attrs

__all__ = [
    "CHECKOUT_LIFETIME",
    "MAX_DECLINES",
    "CheckoutTicket",
    "checkout_expiry",
    "issue_checkout_token",
    "read_checkout_token",
    "return_signature",
    "verify_return_signature",
]

CHECKOUT_LIFETIME = timedelta(days=7)
MAX_DECLINES = 5
"""Declined checkout attempts after which an order's checkout page is locked."""

_MAC_BYTES = 16  # 128 bits
_BODY_BYTES = 16 + 16 + 8
_TOKEN_BYTES = _BODY_BYTES + _MAC_BYTES
_TOKEN_CHARS = 75  # ceil(56 * 4 / 3), unpadded


@attrs.frozen
class CheckoutTicket:
    """What a genuine token names: the order, its merchant and when the token expires."""

    order_id: UUID
    merchant_id: UUID
    expires_at: datetime


def checkout_expiry(created_at: datetime) -> datetime:
    """The end of an order's checkout: ``created_at`` + 7 days, to the second."""
    return (created_at + CHECKOUT_LIFETIME).replace(microsecond=0)


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def issue_checkout_token(
    key: bytes, order_id: UUID, merchant_id: UUID, created_at: datetime
) -> str:
    """The order's token (deterministic: the same order always has the same token)."""
    expires = int(checkout_expiry(created_at).timestamp())
    body = order_id.bytes + merchant_id.bytes + expires.to_bytes(8, "big")
    raw = body + _mac(key, body)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def read_checkout_token(key: bytes, token: object, *, now: datetime) -> CheckoutTicket | None:
    """The ticket of a genuine, unexpired token; None for anything else (never raises)."""
    if not isinstance(token, str) or len(token) != _TOKEN_CHARS or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _TOKEN_BYTES:
        return None
    body, mac = raw[:_BODY_BYTES], raw[_BODY_BYTES:]
    # Base64 has several spellings of one byte string: accept only the canonical one.
    if not hmac.compare_digest(_mac(key, body), mac) or _encode(raw) != token:
        return None
    expires_at = datetime.fromtimestamp(int.from_bytes(body[32:], "big"), UTC)
    if now >= expires_at:
        return None
    return CheckoutTicket(UUID(bytes=body[:16]), UUID(bytes=body[16:32]), expires_at)


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def return_signature(webhook_secret: str, order_id: str, payment_id: str, status: str) -> str:
    """The hex HMAC-SHA256 of ``"<order_id>|<payment_id>|<status>"`` under the secret."""
    message = f"{order_id}|{payment_id}|{status}".encode()
    return hmac.new(webhook_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_return_signature(
    webhook_secret: str, order_id: str, payment_id: str, status: str, signature: str
) -> bool:
    """True when ``signature`` signs the three values (constant time; never raises)."""
    try:
        expected = return_signature(webhook_secret, order_id, payment_id, status)
        return hmac.compare_digest(expected, signature.lower())
    except (AttributeError, TypeError, ValueError, UnicodeError):
        return False
