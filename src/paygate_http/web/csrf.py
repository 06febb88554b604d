"""CSRF tokens: an HMAC-SHA256, under a key derived for this use only, of what the browser
alone holds in an ``HttpOnly`` cookie.

- In a session (synchronizer token): the session id. The token lives as long as the
  session and is worthless with any other.
- Before a session exists (the log-in and create-account forms; signed double submit):
  the random ``paygate_form`` cookie. A third party can neither read that cookie nor, not
  knowing the key, compute a token for any value it could plant.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["FORM", "SESSION", "token", "verify"]

SESSION = "session"
FORM = "form"


def token(key: bytes, kind: str, secret: str) -> str:
    message = f"{kind}:{secret}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(key: bytes, kind: str, secret: str, presented: object) -> bool:
    if not isinstance(presented, str) or not presented:
        return False
    return hmac.compare_digest(token(key, kind, secret), presented)
