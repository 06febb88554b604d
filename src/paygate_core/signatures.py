"""Webhook signatures: how Paygate signs a delivery and how a merchant checks it.

Every webhook carries ``X-Paygate-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 keyed with the merchant's webhook secret over ``"<t>." + raw body``. Signing the
timestamp with the body lets a receiver refuse replays of old deliveries; several ``v1``
entries may appear (e.g. while a secret is being rotated) and any one matching is enough.

Merchants verify with the *raw* request body, before parsing any JSON::

    from paygate_core.signatures import verify_signature

    def handle_webhook(request):
        body = request.body  # bytes exactly as received
        header = request.headers.get("X-Paygate-Signature", "")
        if not verify_signature(WEBHOOK_SECRET, header, body):
            return 400  # not from Paygate, altered, or too old
        event = json.loads(body)
        # deliveries are at least once: skip an event_id you have already applied
        ...

Standard library only, so the module can be copied into a merchant's code base as is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["DEFAULT_TOLERANCE", "SCHEME", "compute_signature", "sign_payload", "verify_signature"]

SCHEME = "v1"
DEFAULT_TOLERANCE = 300
"""Seconds a signature's timestamp may differ from the receiver's clock (either way)."""
_MAX_TIMESTAMP_DIGITS = 12  # Unix seconds have 10 digits until the year 2286


def compute_signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_payload(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Paygate-Signature`` header value: ``t=<timestamp>,v1=<hex signature>``."""
    return f"t={timestamp},{SCHEME}={compute_signature(secret, body, timestamp)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: int | None = None,
) -> bool:
    """True when ``header`` signs ``body`` under ``secret`` within ``tolerance`` seconds.

    ``now`` defaults to the current Unix time. Signatures are compared in constant time;
    any ``v1`` entry may match; anything malformed (missing or repeated ``t``, a non-numeric
    timestamp, wrong argument types) is simply False: this function never raises.
    """
    try:
        parsed = _parse_header(header)
        if parsed is None:
            return False
        timestamp, candidates = parsed
        current = int(time.time()) if now is None else int(now)
        if abs(current - timestamp) > tolerance:
            return False
        expected = compute_signature(secret, bytes(memoryview(body)), timestamp)
    except (AttributeError, TypeError, ValueError):  # not a str / bytes, unencodable secret
        return False
    # Check every candidate so the time taken does not depend on which one matched.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matches)


def _parse_header(header: str) -> tuple[int, list[str]] | None:
    """``(timestamp, v1 signatures)`` of a header, or None when it is malformed."""
    timestamps: list[str] = []
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamps.append(value)
        elif key == SCHEME and value.isascii():
            candidates.append(value)
    if len(timestamps) != 1 or not candidates:
        return None
    raw = timestamps[0]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_TIMESTAMP_DIGITS:
        return None
    return int(raw), candidates
