"""HTTP benchmark: ``paygate serve`` as users run it, against a bare and a naive durable
Litestar app on the same machine, driven by wrk.

    python -m bench http [--quick] [--rounds 5] [--seconds 3] [--workers 1,2]
                         [--connections 32] [--threads 2] [--db sqlite|postgres]
                         [--postgres-admin-url URL] [--log-level LEVEL]
                         [--routes bare,naive,orders,payments,stats] [--auth bearer,api-key]
                         [--baseline-src DIR]

A full run takes about 10 minutes on 2 CPUs (``--db postgres``: about 2), ``--quick`` about
2 (2 rounds of 1 s).

For each worker count it starts, side by side (``bench/servers.py``):

* ``bare``: ``bench/bare_app.py``, one no-op JSON POST route, served exactly as Paygate is
  (Paygate's sockets, worker processes and uvicorn options), driven with the order body;
* ``naive durable``: ``bench/naive_app.py``, the same body inserted with the stdlib
  ``sqlite3`` in a worker thread, one connection and one ``synchronous = FULL`` WAL
  transaction per request: what a straightforward durable implementation gets;
* ``paygate serve --workers N`` on a fresh SQLite file, as users run it: webhook dispatcher
  on, default simulator, a merchant whose ``webhook_url`` is a local receiver answering 200
  (``PAYGATE_WEBHOOK_ALLOW_PRIVATE=true``), ``PAYGATE_API_RATE_LIMIT=0`` (the merchant routes
  are not rate limited; the two auth calls keep the default limit),
  ``PAYGATE_ACCESS_TOKEN_TTL=86400``. The merchant registers through ``auth/register/``
  and logs in through ``auth/token/``; each Paygate route runs with the bearer token and
  with the API key: ``POST orders/``, ``POST payments/`` (a fresh order per request,
  created through ``POST orders/`` by a wrk run just before, its ids handed to the payments
  script) and ``GET merchants/stats/``.

Every measured route takes a turn in each of ``--rounds`` rounds of ``--seconds`` seconds,
so a change in the shared machine's load falls on both sides of every ratio. Before each
turn the bench waits until the receiver got a webhook for every payment so far (no backlog
of deliveries from one turn lands in the next), then 0.75 s more (0.25 s with ``--quick``)
for the previous server's trailing work (WAL checkpoints). A route's rate is the mean of its
rounds, p50 the median round's, p99 the worst round's. ``--db postgres`` runs ``paygate
serve`` with 1 and with 2 workers side by side on a throw-away PostgreSQL database (created
beside ``--postgres-admin-url``, dropped afterwards) and reports ``POST orders/`` and the
2 ÷ 1 worker ratio instead.

``--routes`` and ``--auth`` measure a subset (e.g. ``--routes bare,payments --auth api-key``;
the targets of routes left out are not checked). ``--baseline-src DIR`` also starts, beside
this tree's server, ``paygate serve`` from the sources in ``DIR`` (a copy of ``src/``, put
first on ``PYTHONPATH``); its routes take their turns alternating with this tree's and are
reported as ``[baseline]``, for before/after ratios measured in one run.

The report on stdout is Markdown (results, ratios, and the targets each met or missed:
orders/ >= 0.25 x bare and >= 1.0 x naive durable; with 2 workers orders/ >= 3,600 req/s
and payments/ >= 2,000 req/s; p99 < 50 ms on every Paygate route; PostgreSQL 2 ÷ 1 workers
>= 1.6) with the load average at start and end; progress goes to stderr. Exit status 0 when
every target is met, 1 when one is missed, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from uuid import uuid4

import attrs
import httpx

from bench import servers
from bench.naive_app import DATABASE_ENV, create_schema
from bench.webhook_bench import fetch_receipts
from bench.wrk import WrkResult, combined, run
from bench.wrk_scripts import (
    Headers,
    get_script,
    payments_script,
    post_script,
    seed_orders_script,
)

BASE = "/paygate/api/v1"
SECRET = "bench-secret-key-0123456789abcdefghijklmnopq"
ORDER_BODY = '{"amount": "100.00", "currency": "INR", "receipt": "bench"}'
CARD = '{"card_number": "4242424242424242", "expiry": "12/30", "cvv": "123"}'
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

BARE, NAIVE = "bare POST /echo", "naive durable POST /orders"
ORDERS, PAYMENTS, STATS = "POST orders/", "POST payments/", "GET merchants/stats/"
BEARER, API_KEY = "bearer", "API key"
ROUTE_NAMES = {"bare": BARE, "naive": NAIVE, "orders": ORDERS, "payments": PAYMENTS, "stats": STATS}
AUTH_NAMES = {"bearer": BEARER, "api-key": API_KEY}
BASELINE = " [baseline]"

TARGET_OF_BARE = 0.25
TARGET_OF_NAIVE = 1.0
TARGET_ORDERS_RPS = 3600.0  # with 2 workers
TARGET_PAYMENTS_RPS = 2000.0  # with 2 workers
TARGET_P99_MS = 50.0
TARGET_POSTGRES_SCALING = 1.6


@attrs.frozen
class Options:
    workers: tuple[int, ...] = (1, 2)
    rounds: int = 5
    seconds: int = 3
    warmup: int = 2
    quiet: float = 0.75
    drain_timeout: float = 60.0
    connections: int = 32
    threads: int = 2
    db: str = "sqlite"
    postgres_admin_url: str = POSTGRES_ADMIN_URL
    log_level: str | None = None
    routes: tuple[str, ...] = tuple(ROUTE_NAMES.values())
    auths: tuple[str, ...] = (BEARER, API_KEY)
    baseline_src: str | None = None


FULL = Options()
QUICK = Options(rounds=2, seconds=1, warmup=1, quiet=0.25, drain_timeout=30.0)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- webhook deliveries ----------------------------------------------------------------------


@attrs.define
class Deliveries:
    """Payments made so far against webhooks the receiver got (one per payment)."""

    receiver: str
    expected: int = 0
    received: set[str] = attrs.field(factory=set)
    longest_wait: float = 0.0

    def paid(self, result: WrkResult) -> None:
        self.expected += result.requests - result.non_2xx

    def drain(self, timeout: float) -> None:
        """Wait until every payment so far has had its webhook, at most ``timeout`` s."""
        started = time.monotonic()
        while True:
            self.received.update(fetch_receipts(self.receiver))
            waited = time.monotonic() - started
            if len(self.received) >= self.expected or waited > timeout:
                break
            time.sleep(0.1)
        self.longest_wait = max(self.longest_wait, waited)
        if len(self.received) < self.expected:
            progress(
                f"  webhooks: {self.expected - len(self.received)} still undelivered "
                f"after {timeout:.0f} s"
            )


# --- measured routes -------------------------------------------------------------------------


@attrs.define
class Measure:
    route: str
    auth: str
    workers: int
    url: str
    script: str
    prepare: Callable[[], None] | None = None
    after: Callable[[WrkResult], None] | None = None
    rounds: list[WrkResult] = attrs.field(factory=list)

    def result(self) -> WrkResult:
        return combined(self.rounds)


@attrs.frozen
class Credentials:
    api_key: str
    access: str

    def headers(self, auth: str) -> Headers:
        if auth == BEARER:
            return {"Authorization": f"Bearer {self.access}"}
        return {"X-API-Key": self.api_key}


def sign_up(url: str, webhook_url: str) -> Credentials:
    """Register a merchant and log in, as a client does."""
    email, password = f"bench-{uuid4().hex[:8]}@shop.example", "s3cret-pass"
    registered = httpx.post(
        f"{url}{BASE}/auth/register/",
        timeout=30,
        json={"email": email, "name": "Bench", "password": password, "webhook_url": webhook_url},
    )
    registered.raise_for_status()
    login = httpx.post(
        f"{url}{BASE}/auth/token/", timeout=30, json={"email": email, "password": password}
    )
    login.raise_for_status()
    return Credentials(registered.json()["data"]["api_key"], login.json()["data"]["access"])


def paygate_env(database_url: str, options: Options) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env = {
        **inherited,
        "PAYGATE_DATABASE_URL": database_url,
        "PAYGATE_SECRET_KEY": SECRET,
        "PAYGATE_API_RATE_LIMIT": "0",
        "PAYGATE_ACCESS_TOKEN_TTL": "86400",
        "PAYGATE_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    if options.log_level:
        env["PAYGATE_LOG_LEVEL"] = options.log_level
    return env


def _wrk(url: str, script: str, seconds: int, options: Options) -> WrkResult:
    return run(
        url, script, connections=options.connections, threads=options.threads, duration=seconds
    )


def paygate_measures(
    url: str,
    workers: int,
    who: Credentials,
    deliveries: Deliveries,
    options: Options,
    tmp: Path,
    suffix: str = "",
) -> list[Measure]:
    """The selected Paygate routes of one server; ``suffix`` tells the server apart."""
    measures = []
    # Orders are cheaper than payments: 1.5 x the turn's length of them is plenty.
    seed_seconds = math.ceil(1.5 * max(options.seconds, options.warmup))
    auths = options.auths
    for auth in auths if ORDERS in options.routes else ():
        headers = who.headers(auth)
        measures.append(
            Measure(
                ORDERS + suffix,
                auth,
                workers,
                f"{url}{BASE}/orders/",
                post_script(ORDER_BODY, headers),
            )
        )
    for auth in auths if PAYMENTS in options.routes else ():
        headers = who.headers(auth)
        tag = f"{workers}-{auth.replace(' ', '-')}{suffix.strip(' []')}"
        ids = tmp / f"orders-{tag}.txt"
        seed = seed_orders_script(ORDER_BODY, headers, ids)

        def prepare(seed: str = seed) -> None:
            _wrk(f"{url}{BASE}/orders/", seed, seed_seconds, options)

        measures.append(
            Measure(
                PAYMENTS + suffix,
                auth,
                workers,
                f"{url}{BASE}/payments/",
                payments_script(headers, CARD, ids, options.threads),
                prepare,
                deliveries.paid,
            )
        )
    for auth in auths if STATS in options.routes else ():
        measures.append(
            Measure(
                STATS + suffix,
                auth,
                workers,
                f"{url}{BASE}/merchants/stats/",
                get_script(who.headers(auth)),
            )
        )
    return measures


def interleave(first: list[Measure], second: list[Measure]) -> list[Measure]:
    """One of ``first``, one of ``second``, and so on: each pair shares the machine's mood."""
    mixed = [m for pair in zip(first, second, strict=False) for m in pair]
    return mixed + first[len(second) :] + second[len(first) :]


def take_turns(measures: list[Measure], deliveries: Deliveries, options: Options) -> None:
    """A warm-up turn each, then ``rounds`` rounds in which every measure takes a turn."""
    for round_no in range(options.rounds + 1):
        seconds = options.warmup if round_no == 0 else options.seconds
        progress(f"  round {round_no}/{options.rounds}" + (" (warm-up)" if not round_no else ""))
        for measure in measures:
            if measure.prepare:
                measure.prepare()
            deliveries.drain(options.drain_timeout)
            time.sleep(options.quiet)
            result = _wrk(measure.url, measure.script, seconds, options)
            if measure.after:
                measure.after(result)
            if round_no:
                measure.rounds.append(result)


def bench_sqlite(options: Options, deliveries: Deliveries, tmp: Path) -> list[Measure]:
    measures: list[Measure] = []
    for workers in options.workers:
        progress(f"--workers {workers}")
        naive_db = tmp / f"naive-{workers}.db"
        create_schema(str(naive_db))
        env = paygate_env(f"sqlite:///{tmp}/paygate-{workers}.db", options)
        with ExitStack() as stack:
            these = []
            if BARE in options.routes:
                bare = stack.enter_context(servers.asgi_server("bench.bare_app", workers))
                these.append(
                    Measure(BARE, "-", workers, bare + "/echo", post_script(ORDER_BODY, {}))
                )
            if NAIVE in options.routes:
                naive = stack.enter_context(
                    servers.asgi_server("bench.naive_app", workers, {DATABASE_ENV: str(naive_db)})
                )
                these.append(
                    Measure(NAIVE, "-", workers, naive + "/orders", post_script(ORDER_BODY, {}))
                )
            url = stack.enter_context(servers.paygate_server(env, workers))
            who = sign_up(url, f"{deliveries.receiver}/hook")
            ours = paygate_measures(url, workers, who, deliveries, options, tmp)
            if options.baseline_src:
                base_env = {
                    **paygate_env(f"sqlite:///{tmp}/baseline-{workers}.db", options),
                    "PYTHONPATH": options.baseline_src,
                }
                base_url = stack.enter_context(servers.paygate_server(base_env, workers))
                base_who = sign_up(base_url, f"{deliveries.receiver}/hook")
                ours = interleave(
                    paygate_measures(
                        base_url, workers, base_who, deliveries, options, tmp, BASELINE
                    ),
                    ours,
                )
            these += ours
            take_turns(these, deliveries, options)
        measures += these
    return measures


def bench_postgres(options: Options, deliveries: Deliveries) -> list[Measure]:
    """``POST orders/`` on 1 and on 2 workers side by side, one database, taking turns."""
    with (
        servers.postgres_database(options.postgres_admin_url, "paygate_bench_http") as database_url,
        ExitStack() as stack,
    ):
        env = paygate_env(database_url, options)
        urls = {
            workers: stack.enter_context(servers.paygate_server(env, workers)) for workers in (1, 2)
        }
        who = sign_up(urls[1], f"{deliveries.receiver}/hook")
        measures = [
            Measure(
                ORDERS,
                auth,
                workers,
                f"{url}{BASE}/orders/",
                post_script(ORDER_BODY, who.headers(auth)),
            )
            for workers, url in urls.items()
            for auth in (BEARER, API_KEY)
        ]
        take_turns(measures, deliveries, options)
    return measures


# --- the report ------------------------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _find(measures: list[Measure], route: str, auth: str, workers: int) -> WrkResult:
    for measure in measures:
        if (measure.route, measure.auth, measure.workers) == (route, auth, workers):
            return measure.result()
    raise LookupError(f"{route} ({auth}, {workers} workers) was not measured")


def _measured(measures: list[Measure], route: str, auth: str, workers: int) -> bool:
    return any((m.route, m.auth, m.workers) == (route, auth, workers) for m in measures)


def _ok_rate(result: WrkResult) -> float:
    """Requests/s that got a 2xx."""
    return result.requests_per_second * (1 - result.non_2xx / max(1, result.requests))


def results_table(measures: list[Measure]) -> list[str]:
    lines = [
        "| Route | Auth | Workers | req/s | p50 ms | p99 ms | non-2xx |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for measure in sorted(measures, key=lambda m: m.workers):
        result = measure.result()
        lines.append(
            f"| {measure.route} | {measure.auth} | {measure.workers} | "
            f"{result.requests_per_second:,.0f} | {result.p50_ms:.1f} | "
            f"{result.p99_ms:.1f} | {result.non_2xx} |"
        )
    return lines


@attrs.frozen
class Check:
    text: str
    value: str
    met: bool

    def line(self) -> str:
        return f"- {'met' if self.met else '**MISSED**'}: {self.text}: {self.value}"


def sqlite_checks(
    measures: list[Measure], workers: tuple[int, ...]
) -> tuple[list[str], list[Check]]:
    ratios = ["| Ratio | Workers | bearer | API key |", "|---|---:|---:|---:|"]
    checks = []
    for count in workers:
        if not all(_measured(measures, route, "-", count) for route in (BARE, NAIVE)):
            checks += _payments_checks(measures, count)
            continue
        bare, naive = _find(measures, BARE, "-", count), _find(measures, NAIVE, "-", count)
        cells: dict[str, list[str]] = {"bare": [], "naive": []}
        for auth in (BEARER, API_KEY):
            if not _measured(measures, ORDERS, auth, count):
                continue
            orders = _find(measures, ORDERS, auth, count)
            of_bare = _ok_rate(orders) / bare.requests_per_second
            of_naive = _ok_rate(orders) / naive.requests_per_second
            cells["bare"].append(f"{of_bare:.2f}")
            cells["naive"].append(f"{of_naive:.2f}")
            where = f"{count} worker{'s' if count > 1 else ''}, {auth}"
            checks += [
                Check(
                    f"orders/ ≥ {TARGET_OF_BARE} x bare ({where})",
                    f"{of_bare:.2f}",
                    of_bare >= TARGET_OF_BARE,
                ),
                Check(
                    f"orders/ ≥ {TARGET_OF_NAIVE} x naive durable ({where})",
                    f"{of_naive:.2f}",
                    of_naive >= TARGET_OF_NAIVE,
                ),
            ]
            if count == 2:
                checks.append(
                    Check(
                        f"orders/ ≥ {TARGET_ORDERS_RPS:,.0f} req/s ({where})",
                        f"{_ok_rate(orders):,.0f}",
                        _ok_rate(orders) >= TARGET_ORDERS_RPS,
                    )
                )
        checks += _payments_checks(measures, count)
        if cells["bare"]:
            ratios.append(f"| orders/ ÷ bare | {count} | {' | '.join(cells['bare'])} |")
            ratios.append(f"| orders/ ÷ naive durable | {count} | {' | '.join(cells['naive'])} |")
    return ratios + _baseline_ratios(measures), checks


def _payments_checks(measures: list[Measure], count: int) -> list[Check]:
    checks = []
    for auth in (BEARER, API_KEY):
        if count != 2 or not _measured(measures, PAYMENTS, auth, count):
            continue
        payments = _ok_rate(_find(measures, PAYMENTS, auth, count))
        checks.append(
            Check(
                f"payments/ ≥ {TARGET_PAYMENTS_RPS:,.0f} req/s ({count} workers, {auth})",
                f"{payments:,.0f}",
                payments >= TARGET_PAYMENTS_RPS,
            )
        )
    return checks


def _baseline_ratios(measures: list[Measure]) -> list[str]:
    """This tree ÷ ``--baseline-src`` per measured route: req/s and p99."""
    lines = [
        "",
        "| This tree ÷ baseline | Auth | Workers | req/s | p99 |",
        "|---|---|---:|---:|---:|",
    ]
    for measure in measures:
        if not _measured(measures, measure.route + BASELINE, measure.auth, measure.workers):
            continue
        ours = measure.result()
        base = _find(measures, measure.route + BASELINE, measure.auth, measure.workers)
        lines.append(
            f"| {measure.route} | {measure.auth} | {measure.workers} | "
            f"{_ok_rate(ours) / max(_ok_rate(base), 1e-9):.2f} | "
            f"{ours.p99_ms / max(base.p99_ms, 1e-9):.2f} |"
        )
    return lines if len(lines) > 3 else []


def postgres_checks(measures: list[Measure]) -> tuple[list[str], list[Check]]:
    ratios = ["| Ratio | bearer | API key |", "|---|---:|---:|"]
    checks, cells = [], []
    for auth in (BEARER, API_KEY):
        one, two = _find(measures, ORDERS, auth, 1), _find(measures, ORDERS, auth, 2)
        scaling = _ok_rate(two) / _ok_rate(one)
        cells.append(f"{scaling:.2f}")
        checks.append(
            Check(
                f"orders/ 2 workers ≥ {TARGET_POSTGRES_SCALING} x 1 worker ({auth})",
                f"{scaling:.2f}",
                scaling >= TARGET_POSTGRES_SCALING,
            )
        )
    ratios.append(f"| orders/ 2 workers ÷ 1 worker | {' | '.join(cells)} |")
    return ratios, checks


def common_checks(measures: list[Measure]) -> list[Check]:
    checks = []
    for measure in measures:
        if measure.route in (BARE, NAIVE) or measure.route.endswith(BASELINE):
            continue
        result = measure.result()
        where = (
            f"{measure.route} ({measure.workers} worker{'s' if measure.workers > 1 else ''},"
            f" {measure.auth})"
        )
        checks.append(
            Check(
                f"p99 < {TARGET_P99_MS:.0f} ms, {where}",
                f"{result.p99_ms:.1f} ms",
                result.p99_ms < TARGET_P99_MS,
            )
        )
        if result.non_2xx or result.errors:
            checks.append(
                Check(
                    f"every answer 2xx, {where}",
                    f"{result.non_2xx} non-2xx {result.errors}".strip(),
                    False,
                )
            )
    return checks


def report(
    measures: list[Measure], options: Options, deliveries: Deliveries, load_at_start: str
) -> bool:
    database = "PostgreSQL" if options.db == "postgres" else "SQLite"
    lines = [
        f"wrk {options.connections} connections, {options.threads} threads; "
        f"{options.rounds} alternating rounds of {options.seconds} s per route; "
        f"{os.cpu_count()} CPUs; `paygate serve` on {database}, webhook dispatcher on, "
        "`PAYGATE_API_RATE_LIMIT=0`.",
        "",
        f"Load average (1, 5, 15 min) at start: {load_at_start}; at end: {_load()}.",
        "",
        *results_table(measures),
        "",
    ]
    if options.db == "postgres":
        ratios, checks = postgres_checks(measures)
    else:
        ratios, checks = sqlite_checks(measures, options.workers)
    checks += common_checks(measures)
    lines += [
        *ratios,
        "",
        f"Webhooks: {deliveries.expected} payments, {len(deliveries.received)} "
        f"delivered to the receiver; longest wait for the backlog before a turn "
        f"{deliveries.longest_wait:.1f} s.",
        "",
        "Targets:",
        "",
        *(check.line() for check in checks),
    ]
    print("\n".join(lines), flush=True)
    return all(check.met for check in checks)


# --- command line ----------------------------------------------------------------------------


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench http",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK.rounds} rounds of {QUICK.seconds} s, for a smoke test",
    )
    parser.add_argument("--rounds", type=int, help=f"rounds (default {FULL.rounds})")
    parser.add_argument(
        "--seconds",
        type=int,
        help=f"seconds of each route's turn in a round (default "
        f"{FULL.seconds}; wrk takes whole seconds)",
    )
    parser.add_argument(
        "--workers", help="comma-separated worker counts (default 1,2; SQLite only)"
    )
    parser.add_argument("--connections", type=int, default=FULL.connections)
    parser.add_argument("--threads", type=int, default=FULL.threads, help="wrk threads")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-admin-url",
        default=POSTGRES_ADMIN_URL,
        help="where the throw-away database is created (--db postgres)",
    )
    parser.add_argument(
        "--log-level", help="PAYGATE_LOG_LEVEL of the server (default: the server's own)"
    )
    parser.add_argument(
        "--routes",
        default=",".join(ROUTE_NAMES),
        help=f"comma-separated subset of {','.join(ROUTE_NAMES)} (SQLite)",
    )
    parser.add_argument(
        "--auth",
        default=",".join(AUTH_NAMES),
        help=f"comma-separated subset of {','.join(AUTH_NAMES)}",
    )
    parser.add_argument(
        "--baseline-src",
        help="also run paygate serve from the sources in this directory, alternating (SQLite)",
    )
    args = parser.parse_args(argv)
    try:
        routes = tuple(ROUTE_NAMES[name] for name in args.routes.split(","))
        auths = tuple(AUTH_NAMES[name] for name in args.auth.split(","))
    except KeyError as exc:
        parser.error(f"unknown route or auth {exc}")
    base = QUICK if args.quick else FULL
    return attrs.evolve(
        base,
        rounds=max(1, args.rounds or base.rounds),
        seconds=max(1, args.seconds or base.seconds),
        workers=tuple(int(w) for w in args.workers.split(",")) if args.workers else base.workers,
        connections=args.connections,
        threads=args.threads,
        db=args.db,
        postgres_admin_url=args.postgres_admin_url,
        log_level=args.log_level,
        routes=routes,
        auths=auths,
        baseline_src=str(Path(args.baseline_src).resolve()) if args.baseline_src else None,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    servers.stop_on_sigterm()
    load_at_start = _load()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="paygate-bench-") as tmp,
            servers.webhook_receiver() as receiver,
        ):
            deliveries = Deliveries(receiver)
            if options.db == "postgres":
                measures = bench_postgres(options, deliveries)
            else:
                measures = bench_sqlite(options, deliveries, Path(tmp))
            deliveries.drain(options.drain_timeout)
    except KeyboardInterrupt:
        progress("interrupted; every server the bench started is stopped")
        return 130
    return 0 if report(measures, options, deliveries, load_at_start) else 1


if __name__ == "__main__":
    raise SystemExit(main())
