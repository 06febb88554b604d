"""``paygate_adapters.security``: bcrypt over a pre-hash, and pinned-HS256 JWTs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
import pytest

from paygate_adapters.security import BcryptPasswordHasher, JwtTokenService
from paygate_core.accounts import Role
from paygate_core.errors import NotAuthenticated
from paygate_core.testing import FixedClock
from paygate_core.tokens import TokenClaims, TokenType

KEY = b"k" * 32
NOW = datetime(2026, 10, 6, 10, 30, tzinfo=UTC)


@pytest.fixture
def hasher() -> BcryptPasswordHasher:
    return BcryptPasswordHasher(rounds=4)


def test_a_password_verifies_against_its_own_hash_only(hasher: BcryptPasswordHasher) -> None:
    hashed = hasher.hash("correct horse")

    assert hashed.startswith("$2b$04$")
    assert hasher.verify("correct horse", hashed)
    assert not hasher.verify("correct horsf", hashed)


def test_passwords_differing_after_byte_72_do_not_collide(hasher: BcryptPasswordHasher) -> None:
    prefix = "x" * 72
    hashed = hasher.hash(prefix + "A")

    assert hasher.verify(prefix + "A", hashed)
    assert not hasher.verify(prefix + "B", hashed)
    assert not hasher.verify(prefix, hashed)


def test_a_128_character_multibyte_password_hashes(hasher: BcryptPasswordHasher) -> None:
    password = "ü" * 128  # 256 bytes

    assert hasher.verify(password, hasher.hash(password))


def test_verify_against_no_hash_is_false_and_as_slow_as_a_real_check() -> None:
    hasher = BcryptPasswordHasher(rounds=8)
    hashed = hasher.hash("secret-password")

    def timed(stored: str | None) -> float:
        start = time.perf_counter()
        for _ in range(3):
            hasher.verify("wrong-password", stored)
        return time.perf_counter() - start

    real, missing = timed(hashed), timed(None)

    assert hasher.verify("anything", None) is False
    assert missing > real * 0.5


def test_a_corrupt_stored_hash_is_a_mismatch(hasher: BcryptPasswordHasher) -> None:
    assert not hasher.verify("password", "not-a-bcrypt-hash")
    assert not hasher.verify("password", "sha256$ünicode")


def test_rounds_are_bounded() -> None:
    with pytest.raises(ValueError, match="between 4 and 31"):
        BcryptPasswordHasher(rounds=3)


# --- JWT -------------------------------------------------------------------------------------


def _claims(kind: TokenType = TokenType.ACCESS, family: UUID | None = None) -> TokenClaims:
    return TokenClaims(
        sub=UUID(int=1),
        role=Role.MERCHANT,
        type=kind,
        jti=UUID(int=2),
        issued_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
        family=family,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def tokens(clock: FixedClock) -> JwtTokenService:
    return JwtTokenService(KEY, clock=clock)


def test_claims_survive_a_round_trip(tokens: JwtTokenService) -> None:
    refresh = _claims(TokenType.REFRESH, family=UUID(int=3))

    assert tokens.decode(tokens.encode(_claims()), TokenType.ACCESS) == _claims()
    assert tokens.decode(tokens.encode(refresh), TokenType.REFRESH) == refresh


def test_the_wrong_token_type_is_not_authenticated(tokens: JwtTokenService) -> None:
    with pytest.raises(NotAuthenticated):
        tokens.decode(tokens.encode(_claims()), TokenType.REFRESH)


def test_expiry_follows_the_injected_clock(tokens: JwtTokenService, clock: FixedClock) -> None:
    token = tokens.encode(_claims())
    clock.advance(timedelta(minutes=15))

    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.decode(token, TokenType.ACCESS)


@pytest.mark.parametrize("algorithm", ["none", "HS384"])
def test_other_algorithms_are_rejected(tokens: JwtTokenService, algorithm: str) -> None:
    payload = jwt.decode(tokens.encode(_claims()), options={"verify_signature": False})
    forged = jwt.encode(payload, None if algorithm == "none" else KEY * 2, algorithm=algorithm)

    with pytest.raises(NotAuthenticated):
        tokens.decode(forged, TokenType.ACCESS)


@pytest.mark.parametrize("missing", ["sub", "role", "type", "jti", "iat", "exp"])
def test_every_contract_claim_is_required(tokens: JwtTokenService, missing: str) -> None:
    payload = jwt.decode(tokens.encode(_claims()), options={"verify_signature": False})
    del payload[missing]

    with pytest.raises(NotAuthenticated):
        tokens.decode(jwt.encode(payload, KEY, algorithm="HS256"), TokenType.ACCESS)


@pytest.mark.parametrize(
    ("claim", "value"), [("sub", "not-a-uuid"), ("role", "owner"), ("exp", "tomorrow"), ("jti", 5)]
)
def test_malformed_claims_are_not_authenticated(
    tokens: JwtTokenService, claim: str, value: object
) -> None:
    payload = jwt.decode(tokens.encode(_claims()), options={"verify_signature": False})
    payload[claim] = value

    with pytest.raises(NotAuthenticated):
        tokens.decode(jwt.encode(payload, KEY, algorithm="HS256"), TokenType.ACCESS)


def test_a_refresh_token_without_a_family_is_rejected(tokens: JwtTokenService) -> None:
    with pytest.raises(NotAuthenticated):
        tokens.decode(tokens.encode(_claims(TokenType.REFRESH)), TokenType.REFRESH)


@pytest.mark.parametrize("garbage", ["", "a.b.c", "not a token", "e30.e30.e30"])
def test_garbage_is_not_authenticated(tokens: JwtTokenService, garbage: str) -> None:
    with pytest.raises(NotAuthenticated):
        tokens.decode(garbage, TokenType.ACCESS)


def test_a_short_signing_key_is_refused(clock: FixedClock) -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        JwtTokenService("short", clock=clock)
