"""HTTP benchmark: ``paygate serve`` against a bare Litestar app, driven by wrk.

    python -m bench http [--workers 1,2] [--duration 10] [--rounds 5] [--connections 32]
                         [--threads 2]

For each worker count it starts, side by side on the same machine:

* the bare app (``bench/bare_app.py``, one JSON POST route ``/echo``) under exactly the
  server Paygate uses (``paygate_http.server``: sockets with ``TCP_NODELAY``, one spawned
  process per worker each listening on the reserved port, ``serve_app``'s uvicorn options
  and loop), driven with the order body;
* ``paygate serve --workers N --no-dispatcher`` on a fresh temporary SQLite database with
  rate limits off (``PAYGATE_AUTH_RATE_LIMIT=0``, ``PAYGATE_API_RATE_LIMIT=0``), and drives
  ``POST orders/``, ``POST payments/`` (a fresh order per request: orders are created
  beforehand through the core and their ids handed to the wrk Lua script, split across
  wrk threads) and ``GET merchants/stats/``, all authenticated by API key.

The bare route and ``orders/`` take turns: ``--rounds`` runs of ``duration / rounds``
seconds each, alternating, so a change in the shared machine's load falls on both sides of
the ratio (one 10 s run after the other gave ratios from 0.39 to 0.51 within minutes). Their
rate is the mean of the rounds, p50 the median round's, p99 the worst round's. The
server not being driven idles meanwhile. ``payments/`` and ``merchants/stats/`` run once,
for ``--duration`` seconds.

It prints requests/s, p50 and p99 per route and the ratio orders/ : bare measured in the
same run, against the targets: orders/ >= 0.4 x bare, payments/ >= 1,500 req/s, p99 < 50 ms.
Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

import attrs
import httpx

from bench.wrk import WrkResult, combined, run

BASE = "/paygate/api/v1"
SECRET = "bench-secret-key-0123456789abcdefghijklmnopq"
ORDER_BODY = '{"amount": "100.00", "currency": "INR", "receipt": "bench"}'
CARD = '{"card_number": "4242424242424242", "expiry": "12/30", "cvv": "123"}'
TARGET_RATIO = 0.4
TARGET_PAYMENTS_RPS = 1500.0
TARGET_P99_MS = 50.0
QUIET_SECONDS = 0.75


# --- servers ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with status {process.returncode}")
        try:
            httpx.get(url + path, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


@contextmanager
def _process(args: list[str], env: dict[str, str], url: str, probe: str) -> Iterator[str]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(url, process, probe)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def paygate_env(database: Path, log_level: str) -> dict[str, str]:
    return {**os.environ, "PAYGATE_DATABASE_URL": f"sqlite:///{database}",
            "PAYGATE_SECRET_KEY": SECRET, "PAYGATE_AUTH_RATE_LIMIT": "0",
            "PAYGATE_API_RATE_LIMIT": "0", "PAYGATE_LOG_LEVEL": log_level,
            "PAYGATE_SIMULATOR_SUCCESS_RATE": "1"}


@contextmanager
def paygate_server(database: Path, workers: int, log_level: str) -> Iterator[str]:
    port = _free_port()
    args = [sys.executable, "-m", "paygate_http.cli", "serve", "--port", str(port),
            "--workers", str(workers), "--no-dispatcher"]
    with _process(args, paygate_env(database, log_level), f"http://127.0.0.1:{port}",
                  "/health") as url:
        yield url


@contextmanager
def bare_server(workers: int) -> Iterator[str]:
    port = _free_port()
    args = [sys.executable, "-m", "bench.http_bench", "--serve-bare", str(port),
            "--workers", str(workers)]
    with _process(args, dict(os.environ), f"http://127.0.0.1:{port}", "/") as url:
        yield url


def _bare_worker(port: int, reuse_port: bool) -> None:
    """One process of the bare app, on its own socket, served exactly as Paygate's are."""
    from bench.bare_app import app
    from paygate_http.server import bind_socket, serve_app

    serve_app(app, bind_socket("127.0.0.1", port, reuse_port=reuse_port))


def serve_bare(port: int, workers: int) -> int:
    """The bare app on Paygate's sockets and uvicorn options, one process per worker."""
    from paygate_http.server import reserve_port

    if workers == 1:
        _bare_worker(port, reuse_port=False)
        return 0
    reserved = reserve_port("127.0.0.1", port)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_bare_worker, args=(port, True))
                 for _ in range(workers)]

    def stop(signum: int, frame: object) -> None:
        del signum, frame
        for process in processes:
            process.terminate()

    # The bench stops this process with SIGTERM: pass it on, or the workers outlive the run
    # and keep serving (and using CPU) through every later measurement.
    signal.signal(signal.SIGTERM, stop)
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    reserved.close()
    return 0


# --- data ------------------------------------------------------------------------------------


@attrs.frozen
class Shop:
    merchant_id: UUID
    api_key: str


def register(url: str) -> Shop:
    response = httpx.post(f"{url}{BASE}/auth/register/", timeout=30, json={
        "email": "bench@shop.example", "name": "Bench", "password": "s3cret-pass"})
    response.raise_for_status()
    data = response.json()["data"]
    return Shop(UUID(data["merchant_id"]), data["api_key"])


def seed_orders(database: Path, shop: Shop, count: int, log_level: str) -> list[str]:
    """``count`` fresh orders written through the core (``Paygate.create_order``)."""
    from paygate_core.use_cases.payments import CreateOrder
    from paygate_http.settings import Settings
    from paygate_http.wiring import build_paygate, open_database

    settings = Settings.from_env(paygate_env(database, log_level))
    db = open_database(settings, migrate=False)
    try:
        paygate = build_paygate(settings, db.uow)
        return [str(paygate.create_order(CreateOrder(shop.merchant_id, "100.00")).id)
                for _ in range(count)]
    finally:
        db.close()


# --- wrk scripts -----------------------------------------------------------------------------


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def post_script(body: str, api_key: str | None) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body)}",
             'wrk.headers["Content-Type"] = "application/json"']
    if api_key:
        lines.append(f'wrk.headers["X-API-Key"] = {_lua_string(api_key)}')
    return "\n".join(lines) + "\n"


def get_script(api_key: str) -> str:
    return f'wrk.headers["X-API-Key"] = {_lua_string(api_key)}\n'


def payments_script(api_key: str, ids_file: Path, threads: int) -> str:
    """Each wrk thread pays its own share of the pre-created orders, one per request."""
    return f"""
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  ids = {{}}
  local i = 0
  for line in io.lines({_lua_string(str(ids_file))}) do
    if i % {threads} == tid then table.insert(ids, line) end
    i = i + 1
  end
  pos = 0
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = {_lua_string(api_key)}
end
function request()
  pos = pos + 1
  local id = ids[((pos - 1) % #ids) + 1]
  return wrk.format("POST", nil, nil,
    '{{"order_id": "' .. id .. '", "card_details": ' .. {_lua_string(CARD)} .. '}}')
end
"""


# --- the run ---------------------------------------------------------------------------------


@attrs.frozen
class Options:
    workers: tuple[int, ...]
    duration: int
    connections: int
    threads: int
    seed: int
    log_level: str
    rounds: int = 5


def _drive(url: str, lua: str, options: Options) -> WrkResult:
    return run(url, lua, connections=options.connections, threads=options.threads,
               duration=options.duration)


def bench_workers(workers: int, options: Options, tmp: Path) -> dict[str, WrkResult]:
    results: dict[str, WrkResult] = {}
    database = tmp / f"paygate-{workers}.db"
    with bare_server(workers) as bare_url, \
            paygate_server(database, workers, options.log_level) as url:
        shop = register(url)
        routes = {"bare POST /echo": (bare_url + "/echo", post_script(ORDER_BODY, None)),
                  "POST orders/": (f"{url}{BASE}/orders/",
                                   post_script(ORDER_BODY, shop.api_key))}
        for target, lua in routes.values():  # warm-up
            _drive(target, lua, attrs.evolve(options, duration=2))
        # The ratio's two routes take turns, round by round, so that a change in the
        # machine's load falls on both instead of on whichever ran second.
        rounds: dict[str, list[WrkResult]] = {name: [] for name in routes}
        segment = attrs.evolve(options, duration=max(1, options.duration // options.rounds))
        for _ in range(options.rounds):
            for name, (target, lua) in routes.items():
                # Let the other server's trailing work (a WAL checkpoint every 0.25 s)
                # finish before this round, not during it.
                time.sleep(QUIET_SECONDS)
                rounds[name].append(_drive(target, lua, segment))
        results.update({name: combined(each) for name, each in rounds.items()})
        ids_file = tmp / f"orders-{workers}.txt"
        # One order per payment request: 1.5 x what orders/ managed in the same time (a
        # payment costs more than an order), unless --seed-orders says otherwise.
        count = options.seed or max(1000, int(1.5 * options.duration * results[
            "POST orders/"].requests_per_second))
        ids_file.write_text("\n".join(seed_orders(database, shop, count,
                                                  options.log_level)) + "\n")
        results["POST payments/"] = _drive(
            f"{url}{BASE}/payments/", payments_script(shop.api_key, ids_file, options.threads),
            options)
        results["GET merchants/stats/"] = _drive(f"{url}{BASE}/merchants/stats/",
                                                 get_script(shop.api_key), options)
    return results


def _verdict(results: dict[str, WrkResult], options: Options) -> list[str]:
    misses = []
    ratio = results["POST orders/"].requests_per_second / \
        results["bare POST /echo"].requests_per_second
    if ratio < TARGET_RATIO:
        misses.append(f"orders/ is {ratio:.2f} x bare (target >= {TARGET_RATIO})")
    payments = results["POST payments/"]
    paid_rps = payments.requests_per_second * (1 - payments.non_2xx / max(
        1, payments.requests_per_second * options.duration))
    if paid_rps < TARGET_PAYMENTS_RPS:
        misses.append(f"payments/ {paid_rps:.0f} req/s (target >= {TARGET_PAYMENTS_RPS:.0f})")
    for name, result in results.items():
        if name != "bare POST /echo" and result.p99_ms >= TARGET_P99_MS:
            misses.append(f"{name} p99 {result.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f})")
        if result.non_2xx:
            misses.append(f"{name}: {result.non_2xx} non-2xx answers")
    return misses


def _parse(argv: list[str] | None) -> tuple[argparse.Namespace, Options]:
    parser = argparse.ArgumentParser(prog="python -m bench http", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2", help="comma-separated (default 1,2)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--seed-orders", type=int, default=0,
                        help="orders created for the payments run (default: 1.5 x the "
                             "orders/ rate x duration)")
    parser.add_argument("--log-level", default="INFO", help="PAYGATE_LOG_LEVEL of the server")
    parser.add_argument("--rounds", type=int, default=5,
                        help="turns the bare route and orders/ take within --duration "
                             "(default 5)")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    options = Options(workers=tuple(int(w) for w in args.workers.split(",")),
                      duration=args.duration, connections=args.connections,
                      threads=args.threads, seed=args.seed_orders,
                      log_level=args.log_level, rounds=max(1, args.rounds))
    return args, options


def main(argv: list[str] | None = None) -> int:
    args, options = _parse(argv)
    if args.serve_bare:
        return serve_bare(args.serve_bare, options.workers[0])
    print(f"wrk: {options.connections} connections, {options.threads} threads, "
          f"{options.duration} s per run; {os.cpu_count()} CPUs; server log level "
          f"{options.log_level}", flush=True)
    misses: list[str] = []
    with tempfile.TemporaryDirectory(prefix="paygate-bench-") as tmp:
        for workers in options.workers:
            results = bench_workers(workers, options, Path(tmp))
            print(f"\n--workers {workers}")
            for name, result in results.items():
                print("  " + result.row(name))
            ratio = results["POST orders/"].requests_per_second / \
                results["bare POST /echo"].requests_per_second
            print(f"  orders/ : bare = {ratio:.2f} (target >= {TARGET_RATIO})", flush=True)
            misses += [f"--workers {workers}: {miss}" for miss in _verdict(results, options)]
    print("\nall targets met" if not misses else "\ntargets missed:\n  " + "\n  ".join(misses))
    return 0 if not misses else 1


if __name__ == "__main__":
    raise SystemExit(main())
