"""Where an order's hosted checkout page is: ``<origin>/checkout/<token>``.

The origin is ``PAYGATE_PUBLIC_URL`` when set, else the one the request was sent to; the
token is the core's MAC (``paygate_core.checkout``) under a sub-key of the secret key
derived for this use only.
"""

from __future__ import annotations

from typing import Any

import attrs
from litestar.connection import ASGIConnection

from paygate_core.checkout import issue_checkout_token
from paygate_core.orders import Order
from paygate_http.services import services_of
from paygate_http.settings import derive_key

__all__ = ["CHECKOUT_PATH", "CheckoutLinks", "checkout_key", "links_of"]

CHECKOUT_PATH = "/checkout"
_PURPOSE = "checkout-token"


def checkout_key(secret_key: str) -> bytes:
    """The token key: the secret key's sub-key for checkout tokens."""
    return derive_key(secret_key, _PURPOSE)


@attrs.frozen
class CheckoutLinks:
    key: bytes = attrs.field(repr=False)
    origin: str

    def url_for(self, order: Order) -> str:
        token = issue_checkout_token(self.key, order.id, order.merchant_id, order.created_at)
        return f"{self.origin}{CHECKOUT_PATH}/{token}"


def links_of(connection: ASGIConnection[Any, Any, Any, Any]) -> CheckoutLinks:
    settings = services_of(connection).settings
    origin = settings.public_url
    if origin is None:
        base = connection.base_url
        origin = f"{base.scheme}://{base.netloc}"
    return CheckoutLinks(checkout_key(settings.secret_key), origin)
