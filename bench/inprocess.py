"""In-process profile of ``POST orders/`` or ``POST payments/``: the app's CPU per
request, no server, no socket.

    python -m bench.inprocess [--route orders|payments] [--requests 4000]
                              [--concurrency 32] [--rounds 5] [--profile out.pstats]

Builds ``create_app`` on a fresh SQLite file database (rate limits off), registers a
merchant through the app, then sends ``POST orders/`` (or pays orders created before the
round, untimed) with its API key straight to the ASGI callable, ``--concurrency`` requests
at a time, and prints the process CPU time per request (µs) of each round, their minimum
and median (on a shared machine the minimum is the steadier figure). The requests are
plain ASGI messages (no HTTP client), so the figure is the application's own cost:
routing, middleware, hooks, the handler, the use case, SQLite and the group commit.
``--profile`` writes a cProfile of the last round.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from paygate_http.process.app import create_app
from paygate_http.settings import Settings

BASE = "/paygate/api/v1"
SECRET = "bench-secret-key-0123456789abcdefghijklmnopq"
ORDER_BODY = b'{"amount": "100.00", "currency": "INR", "receipt": "bench"}'
CARD = b'{"card_number": "4242424242424242", "expiry": "12/30", "cvv": "123"}'


async def call(
    app: Any, method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    """One request to the ASGI app: its status and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client stays until the answer is done
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def lifespan(app: Any) -> tuple[asyncio.Queue[Any], asyncio.Task[Any]]:
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, send)
    )
    await inbox.put({"type": "lifespan.startup"})
    await started.wait()
    return inbox, task


async def main(
    route: str,
    requests: int,
    concurrency: int,
    rounds: int,
    profile: str | None,
    wrap: Callable[[Any], Any] = lambda app: app,
) -> list[float]:
    """The CPU µs per request of each round (``wrap`` may put something around the app)."""
    with tempfile.TemporaryDirectory(prefix="paygate-inprocess-") as tmp:
        settings = Settings(
            secret_key=SECRET,
            database_url=f"sqlite:///{tmp}/paygate.db",
            api_rate_limit=None,
            auth_rate_limit=None,
            bcrypt_rounds=4,
            log_level="WARNING",
        )
        app = wrap(create_app(settings))
        inbox, task = await lifespan(app)
        status, body = await call(
            app,
            "POST",
            f"{BASE}/auth/register/",
            msgspec.json.encode(
                {"email": "bench@shop.example", "name": "Bench", "password": "bench-password-1"}
            ),
            [],
        )
        assert status == 201, body
        key = msgspec.json.decode(body)["data"]["api_key"].encode()
        headers = [(b"x-api-key", key)]

        async def new_order() -> bytes:
            answer, text = await call(app, "POST", f"{BASE}/orders/", ORDER_BODY, headers)
            assert answer == 201, text
            return bytes(msgspec.json.decode(text)["data"]["order_id"].encode())

        async def payment_bodies(count: int) -> list[bytes]:
            ids = [await new_order() for _ in range(count)]
            return [b'{"order_id": "' + i + b'", "card_details": ' + CARD + b"}" for i in ids]

        async def worker(bodies: list[bytes]) -> None:
            path = f"{BASE}/{route}/"
            for body in bodies:
                answer, text = await call(app, "POST", path, body, headers)
                assert answer == 201, text

        async def one_round() -> float:
            share = requests // concurrency
            shares = [
                await payment_bodies(share) if route == "payments" else [ORDER_BODY] * share
                for _ in range(concurrency)
            ]
            started = time.process_time()
            await asyncio.gather(*(worker(bodies) for bodies in shares))
            return (time.process_time() - started) / (share * concurrency) * 1e6

        await one_round()  # warm-up: caches, the first statements, the allocator
        figures = []
        for index in range(rounds):
            profiler = cProfile.Profile() if profile and index == rounds - 1 else None
            if profiler:
                profiler.enable()
            figures.append(await one_round())
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)  # type: ignore[arg-type]
        await inbox.put({"type": "lifespan.shutdown"})
        await task
    return figures


def report(route: str, figures: list[float], requests: int, concurrency: int) -> str:
    return (
        f"{route}/ CPU per request (us): rounds {', '.join(f'{f:.0f}' for f in figures)};"
        f" min {min(figures):.0f}, median {statistics.median(figures):.0f}"
        f" ({requests} requests a round, {concurrency} at a time)"
    )


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess")
    parser.add_argument("--route", choices=("orders", "payments"), default="orders")
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = asyncio.run(
        main(
            args.route,
            args.requests,
            args.concurrency,
            args.rounds,
            str(args.profile) if args.profile else None,
        )
    )
    print(report(args.route, figures, args.requests, args.concurrency))


if __name__ == "__main__":
    run(sys.argv[1:])
