"""Password hashing (bcrypt) and signed tokens (PyJWT, HS256): the security ports' adapters.

Passwords: bcrypt reads at most 72 bytes (bcrypt 5 refuses longer input outright), and the
contract allows 128 characters, i.e. up to 512 UTF-8 bytes. Every password is therefore
pre-hashed first: ``base64(SHA-256(utf-8 password))`` is 44 ASCII bytes, under bcrypt's
limit, and free of NUL bytes. Two passwords that differ anywhere, even after byte 72, give
different pre-hashes, so nothing is truncated into a collision. The stored value is a
standard ``$2b$`` bcrypt string of that pre-hash.

Tokens: HS256 only. ``decode`` pins ``algorithms=["HS256"]``, so ``alg: none`` and every
other algorithm fail; expiry is checked against the injected clock, not the wall clock, so
tests can move time. Any failure is ``NotAuthenticated``.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import bcrypt
import jwt

from paygate_core.accounts import Role
from paygate_core.errors import NotAuthenticated
from paygate_core.ports import Clock
from paygate_core.tokens import TokenClaims, TokenType

__all__ = ["BcryptPasswordHasher", "JwtTokenService"]

_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ("sub", "role", "type", "jti", "iat", "exp")
_MIN_KEY_BYTES = 32


def _prehash(password: str) -> bytes:
    """44 ASCII bytes that stand for the whole password (see the module docstring)."""
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


class BcryptPasswordHasher:
    """bcrypt over a SHA-256 pre-hash; ``rounds`` is the bcrypt cost (4 to 31)."""

    def __init__(self, rounds: int = 12) -> None:
        if not 4 <= rounds <= 31:
            raise ValueError("bcrypt rounds must be between 4 and 31")
        self.rounds = rounds
        # Spent on unknown emails so they answer as slowly as a wrong password.
        self._dummy = bcrypt.hashpw(_prehash("paygate-dummy-password"), bcrypt.gensalt(rounds))

    def hash(self, password: str) -> str:
        return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(self.rounds)).decode("ascii")

    def verify(self, password: str, hashed: str | None) -> bool:
        candidate = _prehash(password)
        if hashed is None:
            bcrypt.checkpw(candidate, self._dummy)
            return False
        try:
            return bcrypt.checkpw(candidate, hashed.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            bcrypt.checkpw(candidate, self._dummy)  # a corrupt hash costs the same time
            return False


class JwtTokenService:
    """HS256 JWTs with claims ``sub, role, type, jti, iat, exp`` (+ ``fam`` on refresh)."""

    def __init__(self, secret: str | bytes, *, clock: Clock) -> None:
        key = secret.encode("utf-8") if isinstance(secret, str) else secret
        if len(key) < _MIN_KEY_BYTES:
            raise ValueError(f"the signing key must be at least {_MIN_KEY_BYTES} bytes")
        self._key = key
        self._clock = clock

    def __repr__(self) -> str:
        return "JwtTokenService(key=<hidden>)"

    def encode(self, claims: TokenClaims) -> str:
        payload: dict[str, Any] = {
            "sub": str(claims.sub),
            "role": claims.role.value,
            "type": claims.type.value,
            "jti": str(claims.jti),
            "iat": int(claims.issued_at.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
        }
        if claims.family is not None:
            payload["fam"] = str(claims.family)
        return jwt.encode(payload, self._key, algorithm=_ALGORITHM)

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                # Expiry is checked below against our clock; everything else PyJWT checks.
                options={
                    "require": list(_REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
            claims = _claims_from(payload)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, OverflowError):
            raise NotAuthenticated("Token is not valid") from None
        if claims.type is not expected:
            raise NotAuthenticated("Token is not valid")
        if claims.expires_at <= self._clock.now():
            raise NotAuthenticated("Token has expired")
        return claims


def _claims_from(payload: dict[str, Any]) -> TokenClaims:
    kind = TokenType(payload["type"])
    family = payload.get("fam")
    if kind is TokenType.REFRESH and family is None:
        raise ValueError("refresh token without a family")
    for name in ("iat", "exp"):
        if not isinstance(payload[name], int) or isinstance(payload[name], bool):
            raise TypeError(f"{name} must be an integer")
    return TokenClaims(
        sub=UUID(str(payload["sub"])),
        role=Role(payload["role"]),
        type=kind,
        jti=UUID(str(payload["jti"])),
        issued_at=datetime.fromtimestamp(payload["iat"], UTC),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        family=UUID(str(family)) if family is not None else None,
    )
