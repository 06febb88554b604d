"""Webhook delivery benchmark: events/s delivered to a local receiver by 1 and 4 dispatchers,
and the delay from the payment's commit to the receiver getting its webhook (p50, p99).

    python -m bench.webhook_bench [--store memory|sqlite|postgres|all] [--events 2000]
                                  [--rate 100] [--seconds 5] [--poll-interval 0.25]
                                  [--min-poll-interval 0.02] [--postgres-url URL]

The receiver is a separate uvicorn process answering 200 at once, so it shares no GIL with
the dispatchers. Over the in-memory adapters the dispatchers are threads sharing the store
(every in-memory unit of work copies the tables, so it slows down as events pile up); over
SQLite (WAL) and PostgreSQL they are processes sharing the database, like several
``paygate worker``. PostgreSQL runs in a throw-away database created beside
``--postgres-url`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and dropped
afterwards. The latency run pays at ``--rate`` from one thread; the rate it reached is shown
(a payment's commit takes several milliseconds, more on PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import httpx

from bench import servers
from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema
from paygate_adapters.webhooks import WebhookDispatcher
from paygate_adapters.webhooks.dispatcher import DEFAULT_MIN_POLL_INTERVAL, DEFAULT_POLL_INTERVAL
from paygate_core import CreateOrder, Paygate, PayOrder, RegisterMerchant, SimulatedProcessor
from paygate_core.ports import UnitOfWorkFactory
from paygate_core.system import SystemClock, UUID4Ids
from paygate_core.testing import InMemoryStore, PlainPasswordHasher, UnsignedTokenService

CARD = "4242424242424242"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# --- the receiver (runs in its own process under uvicorn) ---------------------------------

_receipts: list[tuple[str, float]] = []

Scope = dict[str, Any]
Message = dict[str, Any]


async def receiver_app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """POST /hook records (payment_id, arrival time); GET /receipts returns and clears them."""
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] == "/hook":
        _receipts.append((json.loads(body)["payment_id"], time.time()))
        answer = b"ok"
    else:
        answer = json.dumps(_receipts).encode()
        _receipts.clear()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(answer)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": answer})


@contextmanager
def receiver_process() -> Iterator[str]:
    """Start the receiver; yields its base URL (``http://localhost:<port>``)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.webhook_bench:receiver_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=Path(__file__).resolve().parent.parent,
    )
    base = f"http://localhost:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/receipts", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def fetch_receipts(base: str) -> dict[str, float]:
    return dict(httpx.get(f"{base}/receipts", timeout=30).json())


# --- stores and dispatchers ---------------------------------------------------------------


@attrs.frozen
class Store:
    uow: UnitOfWorkFactory
    url: str | None  # the SQL database URL; None for the in-memory store


@attrs.frozen
class Polling:
    """The dispatchers' poll intervals (``WebhookDispatcher`` arguments)."""

    longest: float
    shortest: float

    def dispatcher(self, uow: UnitOfWorkFactory) -> WebhookDispatcher:
        return WebhookDispatcher(
            uow,
            SystemClock(),
            UUID4Ids(),
            allow_private=True,
            poll_interval=self.longest,
            min_poll_interval=self.shortest,
        )


@contextmanager
def open_store(kind: str, postgres_url: str) -> Iterator[Store]:
    if kind == "memory":
        yield Store(InMemoryStore().unit_of_work, None)
        return
    with _database(kind, postgres_url) as url:
        engine = create_database_engine(url)
        upgrade_schema(engine)
        try:
            yield Store(SqlUnitOfWorkFactory(engine), url)
        finally:
            engine.dispose()


@contextmanager
def _database(kind: str, postgres_url: str) -> Iterator[str]:
    """A fresh SQLite file or PostgreSQL database, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    with servers.postgres_database(postgres_url, "paygate_bench") as url:
        yield url


def dispatcher_process(url: str, polling: Polling, ready: Any, stop: Any) -> None:
    """One ``paygate worker``-like process: a dispatcher over the SQL database."""
    engine = create_database_engine(url)
    handle = polling.dispatcher(SqlUnitOfWorkFactory(engine)).start_in_thread()
    ready.release()
    stop.wait()
    handle.stop()
    engine.dispose()


@contextmanager
def dispatchers(store: Store, workers: int, polling: Polling) -> Iterator[None]:
    """Threads sharing the in-memory store, or processes sharing the SQL database."""
    if store.url is None:
        handles = [polling.dispatcher(store.uow).start_in_thread() for _ in range(workers)]
        try:
            yield
        finally:
            for handle in handles:
                handle.stop()
        return
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Semaphore(0), context.Event()
    processes = [
        context.Process(target=dispatcher_process, args=(store.url, polling, ready, stop))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    try:
        yield
    finally:
        stop.set()
        for process in processes:
            process.join(30)


def paygate(uow: UnitOfWorkFactory) -> Paygate:
    clock = SystemClock()
    return Paygate(
        uow=uow,
        clock=clock,
        ids=UUID4Ids(),
        processor=SimulatedProcessor(),
        hasher=PlainPasswordHasher(),
        tokens=UnsignedTokenService(clock),
        card_key=b"bench",
    )


def merchant_of(app: Paygate, base: str) -> UUID:
    return app.register_merchant(
        RegisterMerchant("bench@shop.example", "Bench", "bench-password", f"{base}/hook")
    ).merchant.id


def pay(app: Paygate, merchant_id: UUID) -> str:
    """One approved payment (its ``payment.authorized`` event committed); its id."""
    order = app.create_order(CreateOrder(merchant_id, "100.00"))
    return str(app.pay_order(PayOrder(merchant_id, order.id, CARD, "12/30", "123")).id)


def wait_for(base: str, expected: set[str], timeout: float) -> dict[str, float]:
    received: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while not expected <= received.keys() and time.monotonic() < deadline:
        time.sleep(0.05)
        received.update(fetch_receipts(base))
    return received


# --- measurements ---------------------------------------------------------------------------


def throughput(
    kind: str, base: str, workers: int, events: int, polling: Polling, postgres_url: str
) -> str:
    """Queue ``events`` first, then let the dispatchers drain them: events per second
    between the first and the last arrival (process start-up is not counted)."""
    with open_store(kind, postgres_url) as store:
        app = paygate(store.uow)
        merchant_id = merchant_of(app, base)
        expected = {pay(app, merchant_id) for _ in range(events)}
        fetch_receipts(base)  # clear
        with dispatchers(store, workers, polling):
            received = wait_for(base, expected, timeout=600)
    done = len(expected & received.keys())
    elapsed = max(received.values()) - min(received.values())
    return (
        f"{kind:<8} throughput  {workers} {_unit(kind)}: {done}/{events} delivered in "
        f"{elapsed:6.2f} s = {done / elapsed:6.0f} events/s"
    )


def latency(
    kind: str,
    base: str,
    workers: int,
    rate: float,
    seconds: float,
    polling: Polling,
    postgres_url: str,
) -> str:
    """Commit payments at ``rate``/s while the dispatchers run; commit -> arrival delays."""
    with open_store(kind, postgres_url) as store:
        app = paygate(store.uow)
        merchant_id = merchant_of(app, base)
        committed: dict[str, float] = {}
        with dispatchers(store, workers, polling):
            begin = time.monotonic()
            for n in range(int(rate * seconds)):
                time.sleep(max(0.0, begin + n / rate - time.monotonic()))
                payment_id = pay(app, merchant_id)
                committed[payment_id] = time.time()
            reached = len(committed) / (time.monotonic() - begin)
            received = wait_for(base, set(committed), timeout=120)
    delays = sorted((received[p] - t) * 1000 for p, t in committed.items() if p in received)
    p50 = statistics.median(delays)
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    return (
        f"{kind:<8} latency     {workers} {_unit(kind)}, {reached:5.1f} events/s, poll "
        f"{polling.shortest:g}-{polling.longest:g} s: commit->delivery p50 {p50:6.1f} ms"
        f"  p99 {p99:6.1f} ms  ({len(delays)}/{len(committed)} delivered)"
    )


def _unit(kind: str) -> str:
    return "thread(s)   " if kind == "memory" else "process(es)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--store",
        choices=["memory", "sqlite", "postgres", "both", "all"],
        default="both",
        help="both = memory and sqlite",
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=DEFAULT_POLL_INTERVAL,
        help="longest wait between claims of an idle dispatcher",
    )
    parser.add_argument(
        "--min-poll-interval",
        type=float,
        default=DEFAULT_MIN_POLL_INTERVAL,
        help="wait after a claim that found work",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    kinds = {"both": ["memory", "sqlite"], "all": ["memory", "sqlite", "postgres"]}.get(
        args.store, [args.store]
    )
    workers = [int(w) for w in args.workers.split(",")]
    polling = Polling(
        longest=args.poll_interval, shortest=min(args.min_poll_interval, args.poll_interval)
    )
    with receiver_process() as base:
        for kind in kinds:
            for count in workers if not args.skip_throughput else ():
                print(
                    throughput(kind, base, count, args.events, polling, args.postgres_url),
                    flush=True,
                )
            for count in workers if not args.skip_latency else ():
                print(
                    latency(kind, base, count, args.rate, args.seconds, polling, args.postgres_url),
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
