"""Direct routes (ADR 0009) answer exactly what Litestar answers: the same requests go to an
app with them and to one without, and every answer must match byte for byte."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import attrs
import pytest
from api_harness import (
    BASE,
    DECLINED_CARD,
    GOOD_CARD,
    Api,
    Merchant,
    api_settings,
    running_api,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paygate_http.app import PaygateApp
from paygate_http.direct_routes import DirectRoutes
from paygate_http.json_body import MAX_BODY_BYTES
from paygate_http.ratelimit import RateLimit

REQUEST_ID = {"X-Request-Id": "direct-routes-check"}  # so that even 500s quote the same id


@attrs.frozen
class Pair:
    """The same world twice: ``direct`` with direct routes, ``framework`` without."""

    direct: Api
    framework: Api
    credentials: dict[str, tuple[dict[str, str], dict[str, str]]]

    def send(self, path: str, content: bytes | None, headers: dict[str, str],
             credential: str, query: str = "") -> tuple[Any, Any]:
        answers = []
        for api, own in ((self.direct, self.credentials[credential][0]),
                         (self.framework, self.credentials[credential][1])):
            answers.append(api.client.post(f"{BASE}{path}{query}", content=content,
                                           headers={**REQUEST_ID, **headers, **own}))
        return answers[0], answers[1]

    @property
    def served(self) -> int:
        return _direct_routes(self.direct).served


def _direct_routes(api: Api) -> DirectRoutes:
    app = api.client.app
    assert isinstance(app, PaygateApp)
    assert app.direct_routes is not None
    return app.direct_routes


def _same(direct: Any, framework: Any, *, retry_after: bool = False) -> None:
    assert direct.status_code == framework.status_code, (direct.text, framework.text)
    assert direct.content == framework.content
    headers = [(k, v) for k, v in direct.headers.multi_items()]
    expected = [(k, v) for k, v in framework.headers.multi_items()]
    if retry_after:  # seconds to the window's end: the two apps may read the clock apart
        headers = [(k, "?" if k == "retry-after" else v) for k, v in headers]
        expected = [(k, "?" if k == "retry-after" else v) for k, v in expected]
    assert headers == expected


@pytest.fixture
def pair_factory(tmp_path: Path) -> Iterator[Any]:
    with ExitStack() as stack:
        def make(backend: str = "memory", **overrides: Any) -> Pair:
            apis = [stack.enter_context(running_api(
                backend, settings=api_settings(**overrides), direct_routes=direct,
                database_url=f"sqlite:///{tmp_path}/{direct}.db" if backend == "sqlite"
                else None)) for direct in (True, False)]
            assert isinstance(apis[1].client.app, PaygateApp)
            assert apis[1].client.app.direct_routes is None
            shops: list[Merchant] = [api.merchant() for api in apis]
            others: list[Merchant] = [api.merchant("Other") for api in apis]
            admins = [api.admin_headers() for api in apis]
            credentials = {
                "key": (shops[0].key, shops[1].key),
                "bearer": (shops[0].bearer, shops[1].bearer),
                "other": (others[0].key, others[1].key),
                "admin": (admins[0], admins[1]),
                "wrong key": ({"X-API-Key": "pk_nope"},) * 2,
                "bad scheme": ({"Authorization": "Basic abc"},) * 2,
                "none": ({}, {}),
            }
            return Pair(apis[0], apis[1], credentials)
        yield make


@pytest.fixture
def pair(pair_factory: Any) -> Pair:
    """One world for all of a property test's examples: both sides see every request."""
    made: Pair = pair_factory()
    return made


AMOUNTS = st.one_of(st.sampled_from(['"100.00"', "12.5", '"0"', '"-1"', '"1.234"', '"abc"',
                                     "1e3", "null", "true", '"99999999999"', "[]"]),
                    st.decimals(min_value=0, max_value=10**9, places=2).map(
                        lambda d: f'"{d}"'))
ORDER_BODIES = st.one_of(
    st.builds(lambda amount, currency, receipt, notes: "{" + ", ".join(
        part for part in (f'"amount": {amount}', currency, receipt, notes) if part) + "}",
              AMOUNTS,
              st.sampled_from(["", '"currency": "usd"', '"currency": "XXX"', '"currency": 5']),
              st.sampled_from(["", '"receipt": "r-1"', '"receipt": "' + "x" * 41 + '"',
                               '"receipt": 7']),
              st.sampled_from(["", '"notes": {"k": "v"}', '"notes": []',
                               '"notes": {' + ", ".join(f'"k{i}": "v"' for i in range(16))
                               + "}"])),
    st.sampled_from(["", "{", "null", "[]", '"x"', '{"amount": "1.00", "amount": "2.00"}',
                     '{"amount": "1.00", "receipt": "\\ud800"}', '{"unknown": 1}',
                     '{"amount": "1.00"} trailing']),
).map(lambda text: text.encode("utf-8", "surrogatepass")) | st.just(b'{"amount": "\xff"}')
HEADERS = st.sampled_from([
    {"Content-Type": "application/json"},
    {"Content-Type": "application/json; charset=utf-8"},
    {"Content-Type": "text/plain"},
    {},
    {"Content-Type": "application/json", "Origin": "https://shop.example"},
])
CREDENTIALS = st.sampled_from(["key", "key", "key", "bearer", "other", "admin", "wrong key",
                               "bad scheme", "none"])


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(ORDER_BODIES, HEADERS, CREDENTIALS,
                                st.sampled_from(["", "", "?x=1"]),
                                st.sampled_from(["/orders/", "/orders"])),
                      min_size=1, max_size=6))
def test_orders_answer_alike_both_ways(pair: Pair, steps: list[Any]) -> None:
    for body, headers, credential, query, path in steps:
        served = pair.served
        _same(*pair.send(path, body, headers, credential, query))
        plain = headers == {"Content-Type": "application/json"} and not query
        assert pair.served == served + plain  # taken exactly when nothing else is needed


@pytest.mark.parametrize("backend", ["memory", "sqlite"])  # sqlite: the SQL adapters
def test_payments_and_refunds_answer_alike_both_ways(pair_factory: Any, backend: str) -> None:
    pair: Pair = pair_factory(backend)
    plain = {"Content-Type": "application/json"}
    before = pair.served

    def order() -> str:
        direct, framework = pair.send("/orders/", b'{"amount": "100.00"}', plain, "key")
        _same(direct, framework)
        order_id: str = direct.json()["data"]["order_id"]
        return order_id

    def pay(order_id: str, card: Any, credential: str = "key") -> Any:
        body = json.dumps({"order_id": order_id, "card_details": card}).encode()
        direct, framework = pair.send("/payments/", body, plain, credential)
        _same(direct, framework)
        return direct

    paid = order()
    for card in (DECLINED_CARD, {**GOOD_CARD, "cvv": "12"}, {**GOOD_CARD, "expiry": "01/20"},
                 "4242", None, GOOD_CARD, GOOD_CARD):  # declined, invalid, then paid twice
        pay(paid, card)
    for credential in ("other", "admin", "wrong key"):
        pay(order(), GOOD_CARD, credential)
    pay("not-an-id", GOOD_CARD)
    payment_id = pay(order(), GOOD_CARD).json()["data"]["payment_id"]
    for body in ({"payment_id": payment_id, "amount": "30.00"},
                 {"payment_id": payment_id, "amount": "80.00"},  # above what is left
                 {"payment_id": payment_id, "amount": "0.001"},
                 {"payment_id": "nope"}, {},
                 {"payment_id": payment_id, "reason": "requested_by_customer"},
                 {"payment_id": payment_id}):  # nothing left
        _same(*pair.send("/refunds/", json.dumps(body).encode(), plain, "key"))
    assert pair.served - before == 24  # every request above took the direct way


def test_rate_limited_and_keyed_requests_answer_alike(pair_factory: Any) -> None:
    pair: Pair = pair_factory(api_rate_limit=RateLimit(4, 3600))
    plain = {"Content-Type": "application/json"}
    for _ in range(6):  # registration used none of the budget: 4 pass, then 429s
        _same(*pair.send("/orders/", b'{"amount": "5.00"}', plain, "key"), retry_after=True)
    keyed = {**plain, "Idempotency-Key": "direct-1"}
    served = pair.served
    for _ in range(2):
        _same(*pair.send("/orders/", b'{"amount": "5.00"}', keyed, "other"))
    assert pair.served == served  # keyed requests go through Litestar's middleware


def test_a_body_over_the_limit_is_answered_413_both_ways(pair_factory: Any) -> None:
    pair: Pair = pair_factory()
    body = b'{"receipt": "' + b"x" * MAX_BODY_BYTES + b'"}'
    served = pair.served
    direct, framework = pair.send("/orders/", body, {"Content-Type": "application/json"},
                                  "key")
    _same(direct, framework)
    assert direct.status_code == 413
    assert pair.served == served


def _scope(length: int) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": f"{BASE}/orders/", "query_string": b"",
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(length).encode())], "state": {}}


def test_a_body_longer_than_announced_is_handed_on_whole() -> None:
    chunks = [b"x" * 40_000, b"y" * 40_000, b"z"]
    messages = [{"type": "http.request", "body": chunk, "more_body": index < 2}
                for index, chunk in enumerate(chunks)]
    sent: list[Any] = []

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    async def run() -> bytes:
        routes = DirectRoutes(runtime=None, routes={f"{BASE}/orders/": None})  # type: ignore[arg-type]
        declined = await routes.serve(_scope(10), receive, send)  # type: ignore[arg-type]
        assert declined is not None
        assert routes.served == 0
        body = b""
        while True:
            message = await declined()
            body += message.get("body", b"")
            if not message.get("more_body"):
                return body

    assert asyncio.run(run()) == b"".join(chunks)
    assert sent == []


def test_a_client_gone_before_its_body_is_declined_without_an_answer() -> None:
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    async def run() -> None:
        routes = DirectRoutes(runtime=None, routes={f"{BASE}/orders/": None})  # type: ignore[arg-type]
        assert await routes.serve(_scope(10), receive, send) is not None  # type: ignore[arg-type]

    asyncio.run(run())
    assert sent == []
