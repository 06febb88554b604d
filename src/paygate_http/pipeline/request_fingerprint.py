"""What identifies a keyed request: the fingerprint an ``Idempotency-Key`` is claimed with.

HMAC-SHA256, under a key derived from the server key, of the method, the path without its
trailing slash and the canonical JSON body (keys sorted, no whitespace, numbers exactly as
written), so a re-serialised retry still matches. The card enters only as its keyed card
fingerprint and expiry; the CVV takes no part, so nothing stored lets anyone holding the
database guess either (ADR 0005). A body that is not a JSON object is keyed as raw bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

import attrs

from paygate_core.cards import card_fingerprint
from paygate_core.errors import PaygateError
from paygate_core.money import NumberLiteral
from paygate_http.pipeline.request_bodies import decode_json_object
from paygate_http.services import Services

__all__ = [
    "FINGERPRINT_PREFIX",
    "FingerprintKeys",
    "canonical_json",
    "fingerprint_keys",
    "request_fingerprint",
]

FINGERPRINT_PREFIX = "hmac:"
"""Starts every stored fingerprint: tells a keyed digest from a plain one (migration 0005)."""

_CARD_SEPARATORS = str.maketrans("", "", " -")  # what ``parse_card`` strips from a number


def canonical_json(value: object) -> str:
    """Keys sorted, no whitespace, numbers as written (``100.0`` and ``100.00`` differ)."""
    if isinstance(value, dict):
        members = (f"{json.dumps(str(k))}:{canonical_json(v)}" for k, v in sorted(value.items()))
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, NumberLiteral):
        return value.text
    return json.dumps(value)


@attrs.frozen(repr=False)
class FingerprintKeys:
    """``request`` keys the fingerprint; ``card`` is the core's card-fingerprint key."""

    request: bytes
    card: bytes


def fingerprint_keys(services: Services) -> FingerprintKeys:
    return FingerprintKeys(request=services.fingerprint_key, card=services.paygate.card_key)


def request_fingerprint(method: str, path: str, body: bytes, keys: FingerprintKeys) -> str:
    """``hmac:`` and the hex HMAC-SHA256 under ``keys.request`` of method, path (trailing
    slash ignored) and the canonical body with its card details reduced (``_card_reduced``)."""
    try:
        content = (
            (
                b"json:"
                + canonical_json(_card_reduced(decode_json_object(body), keys.card)).encode("ascii")
            )
            if body
            else b"empty:"
        )
    except (PaygateError, RecursionError):
        content = b"raw:" + body
    # JSON-framed so no path can run into the body.
    head = canonical_json([method.upper(), path.rstrip("/") or "/"]).encode("ascii")
    return (
        FINGERPRINT_PREFIX
        + hmac.new(keys.request, head + b"\n" + content, hashlib.sha256).hexdigest()
    )


def _card_reduced(body: dict[str, object], card_key: bytes) -> dict[str, object]:
    """``body`` with the card number of its ``card_details`` replaced by the card's keyed
    fingerprint (the one its payment stores) and the CVV left out: a retry that differs only
    in the CVV is the same request."""
    card = body.get("card_details")
    if not isinstance(card, dict):
        return body
    reduced = {name: value for name, value in card.items() if name not in ("card_number", "cvv")}
    if "card_number" in card:
        number = card["card_number"]
        digits = number.translate(_CARD_SEPARATORS) if isinstance(number, str) else None
        if digits is not None and digits.isascii():
            reduced["card_fingerprint"] = card_fingerprint(digits, card_key)
        else:  # not a number the core accepts: still keyed, never kept as sent
            reduced["card_number_fingerprint"] = card_fingerprint(canonical_json(number), card_key)
    return {**body, "card_details": reduced}
