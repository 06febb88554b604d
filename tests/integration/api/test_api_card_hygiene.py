"""The full card number and the CVV never appear in a response, a log line, an error or a
database row, whatever the request does with them."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from api_harness import Api, running_api

NUMBER = "4000 0566 5566 5556"
DIGITS = NUMBER.replace(" ", "")
CVV = "7391"
SECRETS = (DIGITS, NUMBER, "4000-0566-5566-5556", CVV, "73917391739", "73917")


def _leaks(secret: str, text: str) -> bool:
    """Whether ``text`` shows ``secret``. A short secret counts only as a token of its own:
    four digits turn up inside random hex (request ids, key hashes) about once a run in
    a thousand, and a CVV that leaked sits between quotes, spaces or ``=``, never inside a
    longer run of letters and digits."""
    if len(secret) >= 12:
        return secret in text
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text) is not None


def _card(**changes: Any) -> dict[str, Any]:
    return {"card_number": NUMBER, "expiry": "12/30", "cvv": CVV, **changes}


def _exercise(api: Api) -> list[str]:
    """Every way a request can carry the card; returns everything the API answered."""
    api.client.headers["X-Request-Id"] = "card-hygiene-check"  # no random ids to search
    shop = api.merchant(webhook_url="https://shop.example/hooks")
    keyed = {**shop.key, "Idempotency-Key": "card-hygiene"}
    seen: list[Any] = []

    def pay(card: Any, headers: dict[str, str] = shop.key) -> None:
        order_id = api.order(shop)["order_id"]
        seen.append(api.post("/payments/", {"order_id": order_id, "card_details": card}, headers))

    pay(_card(), keyed)  # approved (stored reply)
    pay(_card(card_number="4000 0566 5566 0002"))  # declined
    pay(_card(card_number="4000-0566-5566-5556"))
    pay(_card(expiry="13/30"))  # 1010, bad expiry
    pay(_card(expiry="01/20"))  # 1010, expired
    pay(_card(card_number="7391 7391 739", cvv="73917"))  # 1010, both malformed
    pay(_card(card_number=int(DIGITS), cvv=int(CVV)))  # 1004, wrong types
    pay(_card(card_number=[DIGITS]))
    pay({"number": DIGITS, "cvv": CVV})  # unknown field names
    order_id = api.order(shop)["order_id"]
    for raw in (
        f'{{"order_id": "{order_id}", "card_details": {{"card_number": "{NUMBER}", '
        f'"cvv": "{CVV}"',  # malformed JSON
        f'{{"card_details": {{"cvv": "{CVV}"}}, "card_details": "{DIGITS}"}}',
    ):
        seen.append(api.post("/payments/", raw.encode(), shop.key))
    seen.append(api.post("/orders/", {"amount": DIGITS, "receipt": CVV}, shop.key))
    for path in ("/payments/", "/orders/", "/webhooks/events/", "/merchants/stats/"):
        seen.append(api.get(path, shop.key))
    payment_id = seen[0].json()["data"]["payment_id"]
    seen.append(api.get(f"/payments/{payment_id}/", shop.key))
    assert seen[0].json()["data"]["card"]["last4"] == "5556"
    assert [r.status_code for r in seen[:12]] == [
        201,
        201,
        201,
        422,
        422,
        422,
        422,
        422,
        422,
        400,
        400,
        422,
    ]
    return [f"{r.status_code} {dict(r.headers)} {r.text}" for r in seen]


def _dump(database: Path) -> str:
    """Every row of every table, and the raw bytes of the database files."""
    lines: list[str] = []
    with sqlite3.connect(database) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        assert {"payments", "orders", "idempotency_records"} <= set(tables)
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                lines.append(f"{table}: {row!r}")
        lines.extend(connection.iterdump())
    for path in database.parent.glob(database.name + "*"):
        lines.append(path.read_bytes().decode("latin-1"))
    return "\n".join(lines)


def test_card_number_and_cvv_are_never_returned_logged_or_stored(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    with running_api("sqlite", database_url=sqlite_url) as api:
        answers = _exercise(api)
        assert "payments" in _dump(Path(sqlite_url.removeprefix("sqlite:///")))
    logs = capsys.readouterr()
    places = {
        "responses": "\n".join(answers),
        "stderr": logs.err,
        "stdout": logs.out,
        "log records": caplog.text,
        "database": _dump(Path(sqlite_url.removeprefix("sqlite:///"))),
    }
    assert "5556" in places["responses"]  # the last four digits are shown, and only they
    assert "paygate.http.access" in places["stderr"]  # the log was captured
    assert "card-hygiene-check" in places["stderr"]
    for where, text in places.items():
        for secret in SECRETS:
            assert not _leaks(secret, text), f"{secret!r} found in {where}"


@pytest.mark.parametrize("text", ['{"cvv":"7391"}', "cvv=7391 ", "'7391'", "7391", "\x047391"])
def test_a_leaked_cvv_is_found_wherever_it_stands_alone(text: str) -> None:
    assert _leaks(CVV, text)


@pytest.mark.parametrize("text", ["8270c73917ee4af2", "a7391", "73910", "2026-07391"])
def test_four_digits_inside_a_random_token_are_not_a_leak(text: str) -> None:
    assert not _leaks(CVV, text)
