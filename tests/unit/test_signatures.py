"""Webhook signatures: the header format of the contract and the merchant-side check."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygate_core.signatures import compute_signature, sign_payload, verify_signature

SECRET = "whsec_test-secret"
BODY = b'{"event_id":"e1","event":"payment.authorized"}'
T = 1_780_000_000


def test_signature_header_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert sign_payload(SECRET, BODY, T) == f"t={T},v1={expected}"
    assert compute_signature(SECRET, BODY, T) == expected


def test_a_fresh_signature_verifies() -> None:
    assert verify_signature(SECRET, sign_payload(SECRET, BODY, T), BODY, now=T + 10)


@pytest.mark.parametrize(
    ("secret", "body"),
    [("whsec_other", BODY), (SECRET, BODY + b" "), (SECRET, BODY.replace(b"e1", b"e2"))],
)
def test_a_signature_does_not_verify_another_secret_or_an_altered_body(
    secret: str,
    body: bytes,
) -> None:
    assert not verify_signature(secret, sign_payload(SECRET, BODY, T), body, now=T)


def test_a_changed_timestamp_breaks_the_signature() -> None:
    header = sign_payload(SECRET, BODY, T).replace(f"t={T}", f"t={T + 1}")

    assert not verify_signature(SECRET, header, BODY, now=T)


@pytest.mark.parametrize("skew", [-301, 301, 10_000])
def test_signatures_outside_the_tolerance_are_refused_either_way(skew: int) -> None:
    assert not verify_signature(SECRET, sign_payload(SECRET, BODY, T), BODY, now=T + skew)


def test_tolerance_is_configurable() -> None:
    header = sign_payload(SECRET, BODY, T)

    assert verify_signature(SECRET, header, BODY, now=T + 3600, tolerance=3600)
    assert not verify_signature(SECRET, header, BODY, now=T + 3601, tolerance=3600)


def test_now_defaults_to_the_current_time() -> None:
    import time

    fresh = int(time.time())
    assert verify_signature(SECRET, sign_payload(SECRET, BODY, fresh), BODY)
    assert not verify_signature(SECRET, sign_payload(SECRET, BODY, fresh - 3600), BODY)


def test_any_of_several_v1_signatures_may_match() -> None:
    good = compute_signature(SECRET, BODY, T)
    header = f"t={T}, v1={'0' * 64}, v0=legacy, v1={good}"

    assert verify_signature(SECRET, header, BODY, now=T)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"v1={'a' * 64}",
        f"t=,v1={'a' * 64}",
        f"t=abc,v1={'a' * 64}",
        f"t=-5,v1={'a' * 64}",
        f"t={T}",
        f"t={T},t={T},v1={'a' * 64}",
        f"t={T},v1=é",
        "t=1" + "0" * 400 + ",v1=ab",
        ",,,=,=",
    ],
)
def test_malformed_headers_are_refused(header: str) -> None:
    assert not verify_signature(SECRET, header, BODY, now=T)


@pytest.mark.parametrize(
    ("secret", "header", "body"),
    [
        (None, "t=1,v1=aa", BODY),
        (SECRET, None, BODY),
        (SECRET, "t=1,v1=aa", "not bytes"),
        (SECRET, "t=1,v1=aa", 10**12),
        ("\ud800", f"t={T},v1=aa", BODY),
    ],
)
def test_verification_never_raises_on_wrong_types(
    secret: object, header: object, body: object
) -> None:
    assert verify_signature(secret, header, body, now=T) is False  # type: ignore[arg-type]


@given(secret=st.text(min_size=1), body=st.binary(), timestamp=st.integers(0, 10**12 - 1))
def test_every_signed_body_verifies_and_no_other_body_does(
    secret: str, body: bytes, timestamp: int
) -> None:
    header = sign_payload(secret, body, timestamp)

    assert verify_signature(secret, header, body, now=timestamp)
    assert not verify_signature(secret, header, body + b"x", now=timestamp)
