"""What idempotency stores for a payment keeps the card secret: the request fingerprint is
an HMAC under a server-side key in which the card appears only as its keyed fingerprint and
expiry, and the CVV takes no part (contract "Idempotency", ADR 0005)."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_harness import BASE, Api, Merchant, error_of, running_api

ORDERS_PATH = BASE + "/orders"
PAYMENTS_PATH = BASE + "/payments"
CARDS = (  # (number as sent, expiry, CVV): one 3-digit and one 4-digit CVV
    ("4242 4242 4242 4242", "12/30", "918"),
    ("5555-5555-5555-4444", "07/2031", "5817"),
)


def _keyed(merchant: Merchant, key: str) -> dict[str, str]:
    return {**merchant.key, "Idempotency-Key": key}


def _canonical(value: Any) -> str:
    """The canonical JSON the fingerprint was computed over (keys sorted, no whitespace)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _plain_digests(method: str, path: str, body: dict[str, Any], raw: bytes) -> set[str]:
    """Every plain SHA-256 an unkeyed fingerprint of this request could be: over the
    canonical body, the raw bytes and both framed with method and path."""
    canonical = _canonical(body)
    texts = [
        canonical.encode(),
        raw,
        f"{method}\n{path}\njson:{canonical}".encode(),
        f"{method}\n{path}/\njson:{canonical}".encode(),
        f"{method}\n{path}\nraw:{hashlib.sha256(raw).hexdigest()}".encode(),
    ]
    return {hashlib.sha256(text).hexdigest() for text in texts}


def _payment_body(order_id: str, number: str, expiry: str, cvv: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "card_details": {"card_number": number, "expiry": expiry, "cvv": cvv},
    }


def _raw(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _digest_forms(stored: str) -> set[str]:
    """The stored text and its hex part (after a ``scheme:`` prefix), both compared."""
    return {stored, stored.rpartition(":")[2]}


def _recovered_cvvs(
    stored: Iterable[str],
    order_id: str,
    number: str,
    expiry: str,
) -> list[str]:
    """Brute force every 3- and 4-digit CVV against the stored digests, the attacker
    knowing everything else about the request (order, exact number, expiry)."""
    targets = {form for digest in stored for form in _digest_forms(digest)}
    found = []
    for cvv in [f"{n:03d}" for n in range(1000)] + [f"{n:04d}" for n in range(10000)]:
        body = _payment_body(order_id, number, expiry, cvv)
        if _plain_digests("POST", PAYMENTS_PATH, body, _raw(body)) & targets:
            found.append(cvv)
    return found


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _candidate_numbers(real: str, window: int = 30_000) -> Iterator[str]:
    """The numbers with the real one's BIN and last four digits that pass Luhn, from a slice
    of ``window`` middles holding the real one (the whole space is ten times as large and
    brings nothing more to a test: 3,000 candidates, the real number among them)."""
    bin6, middle, last4 = real[:6], int(real[6:-4]), real[-4:]
    width = len(real) - 10
    start = max(0, min(middle - window // 2, 10**width - window))
    for n in range(start, start + window):
        number = f"{bin6}{n:0{width}d}{last4}"
        if _luhn_valid(number):
            yield number


def _recovered_numbers(
    stored: Iterable[str], order_id: str, real: str, expiry: str, cvv: str
) -> list[str]:
    """Brute force the middle digits, the attacker knowing the CVV and the expiry."""
    targets = {form for digest in stored for form in _digest_forms(digest)}
    found = []
    for number in _candidate_numbers(real):
        spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        for written in (number, spaced, spaced.replace(" ", "-")):
            body = _payment_body(order_id, written, expiry, cvv)
            plain = {
                hashlib.sha256(written.encode()).hexdigest(),
                *_plain_digests("POST", PAYMENTS_PATH, body, _raw(body)),
            }
            if plain & targets:
                found.append(number)
    return found


def _rows(database: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        return list(
            connection.execute(
                "SELECT idempotency_key, request_hash, response_body FROM idempotency_records"
            )
        )


@pytest.fixture
def sqlite_api(sqlite_url: str) -> Iterator[Api]:
    with running_api("sqlite", database_url=sqlite_url) as running:
        yield running


def test_the_attack_works_on_a_plain_fingerprint() -> None:
    """The brute force below finds the CVV and the number when the digest is plain."""
    number, expiry, cvv = CARDS[0]
    body = _payment_body("o-1", number, expiry, cvv)
    plain = f"POST\n{PAYMENTS_PATH}\njson:{_canonical(body)}"
    digest = hashlib.sha256(plain.encode()).hexdigest()
    assert _recovered_cvvs([digest], "o-1", number, expiry) == [cvv]
    assert _recovered_numbers([digest], "o-1", "4242424242424242", expiry, cvv) == [
        "4242424242424242"
    ]


def test_stored_idempotency_records_do_not_reveal_the_card(
    sqlite_api: Api, sqlite_url: str
) -> None:
    shop = sqlite_api.merchant()
    paid = []
    for index, (number, expiry, cvv) in enumerate(CARDS):
        order_id = sqlite_api.order(shop)["order_id"]
        body = _payment_body(order_id, number, expiry, cvv)
        answer = sqlite_api.post("/payments/", _raw(body), _keyed(shop, f"pay-{index}"))
        assert answer.status_code == 201, answer.text
        paid.append((order_id, number, expiry, cvv))
    rows = _rows(Path(sqlite_url.removeprefix("sqlite:///")))
    assert len(rows) == len(CARDS)  # one record per keyed payment
    digests = [row[1] for row in rows]
    assert all(digest.startswith("hmac:") for digest in digests)

    for order_id, number, expiry, cvv in paid:
        digits = number.replace(" ", "").replace("-", "")
        assert _recovered_cvvs(digests, order_id, number, expiry) == []
        assert _recovered_numbers(digests, order_id, digits, expiry, cvv) == []
        secrets = {digits, number, cvv}
        plain_hashes = {
            hashlib.new(name, secret.encode()).hexdigest()
            for name in ("sha256", "sha1", "md5", "sha512")
            for secret in secrets
        }
        for row in rows:
            text = " ".join(
                value.decode() if isinstance(value, bytes) else str(value) for value in row
            )
            assert not any(secret in text for secret in (digits, number)), row
            # A CVV that leaked stands alone; inside a longer run of hex it is chance.
            assert re.search(rf"(?<![0-9A-Za-z]){cvv}(?![0-9A-Za-z])", text) is None, row
            assert not any(digest in text for digest in plain_hashes), row


def test_a_retry_that_differs_only_in_the_cvv_replays(backend_api: Api) -> None:
    shop = backend_api.merchant()
    order_id = backend_api.order(shop)["order_id"]
    number, expiry, _ = CARDS[0]
    first = backend_api.post(
        "/payments/", _payment_body(order_id, number, expiry, "111"), _keyed(shop, "pay")
    )
    assert first.status_code == 201
    retry = backend_api.post(
        "/payments/", _payment_body(order_id, number, expiry, "222"), _keyed(shop, "pay")
    )
    assert (retry.status_code, retry.content) == (201, first.content)
    assert retry.headers["idempotent-replayed"] == "true"
    payments = backend_api.get("/payments/", shop.key, {"order_id": order_id})
    assert len(payments.json()["data"]["items"]) == 1


def test_the_same_card_written_with_other_separators_replays(api: Api, merchant: Merchant) -> None:
    order_id = api.order(merchant)["order_id"]
    first = api.post(
        "/payments/",
        _payment_body(order_id, "4242 4242 4242 4242", "12/30", "123"),
        _keyed(merchant, "pay"),
    )
    retry = api.post(
        "/payments/",
        _payment_body(order_id, "4242-4242-4242-4242", "12/30", "123"),
        _keyed(merchant, "pay"),
    )
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.content == first.content


@pytest.mark.parametrize("change", [{"card_number": "5555 5555 5555 4444"}, {"expiry": "11/30"}])
def test_a_retry_with_another_card_is_422_1007(
    api: Api, merchant: Merchant, change: dict[str, str]
) -> None:
    order_id = api.order(merchant)["order_id"]
    body = _payment_body(order_id, "4242 4242 4242 4242", "12/30", "123")
    assert api.post("/payments/", body, _keyed(merchant, "pay")).status_code == 201
    body["card_details"].update(change)
    assert error_of(api.post("/payments/", body, _keyed(merchant, "pay"))) == (422, 1007)
    payments = api.get("/payments/", merchant.key, {"order_id": order_id})
    assert len(payments.json()["data"]["items"]) == 1


@pytest.mark.parametrize("card_number", [4242424242424242, "४२४२", ["4242"], None])
def test_card_numbers_of_any_json_type_are_fingerprinted_without_error(
    api: Api, merchant: Merchant, card_number: Any
) -> None:
    order_id = api.order(merchant)["order_id"]
    body = {
        "order_id": order_id,
        "card_details": {"card_number": card_number, "expiry": "12/30", "cvv": "123"},
    }
    first = api.post("/payments/", body, _keyed(merchant, "odd"))
    assert first.status_code == 422
    retry = api.post("/payments/", body, _keyed(merchant, "odd"))
    assert retry.headers["idempotent-replayed"] == "true"
    body["card_details"]["card_number"] = "4242 4242 4242 4242"
    assert error_of(api.post("/payments/", body, _keyed(merchant, "odd"))) == (422, 1007)
