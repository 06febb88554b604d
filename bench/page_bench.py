"""Dashboard page benchmark: seed a large data set, then time the pages users open most.

    python -m bench pages [--payments 1000000] [--requests 200] [--reuse]
    python -m bench pages --db postgres [--url postgresql+psycopg://...]

Seeds the data set of ``bench.stats_bench`` (~300 merchants of skewed sizes, ``--payments``
payments over the year 2025 with their orders, refunds and rebuilt rollups), gives the
biggest merchant's user and an admin a password, and builds the app as ``paygate serve``
does (``create_app(Settings(...))`` on that database, rate limits off). Its clock is the
system clock moved back so that "now" is the end of the seeded year: the Overviews' 30-day
charts then cover a month full of payments, as they would on a live gateway.

Each page is requested ``--requests`` times, one at a time, after a warm-up request, by a
logged-in session (the form login, its session cookie) through an in-process ASGI client.
"Server time" is the wall time from handing the request to the app until the whole body is
back: routing, middleware, the session and CSRF hooks, the use cases with their SQL, the
template rendering; no socket, no HTTP parsing. The target is p99 under 100 ms for every
page; the exit status is 1 when a page misses it (or answers other than 200).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, select, update

from bench.stats_bench import (
    SPAN,
    START,
    _fresh_database,
    _merchants_by_size,
    _row_counts,
    seed,
)
from paygate_adapters.security import BcryptPasswordHasher
from paygate_adapters.sql import create_database_engine, upgrade_schema
from paygate_adapters.sql.tables import merchants, users
from paygate_http.process.app import create_app
from paygate_http.settings import Settings

SQLITE_DEFAULT = "sqlite:////tmp/paygate_page_bench.db"
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/paygate_page_bench"
SECRET = "bench-secret-key-0123456789abcdefghijklmnopq"
PASSWORD = "bench-pass-0123"
TARGET_MS = 100.0
_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


@dataclass(frozen=True)
class Login:
    """Who opens the pages: the biggest merchant's user and an admin."""

    merchant_email: str
    merchant_id: uuid.UUID
    admin_email: str


class SeededYearClock:
    """The system clock moved back so that the benchmark starts at the end of the seeded
    year; time still passes (sessions age as they would)."""

    def __init__(self) -> None:
        self._offset = datetime.now(UTC) - (START + SPAN)

    def now(self) -> datetime:
        return datetime.now(UTC) - self._offset


def prepare_logins(engine: Engine) -> Login:
    """Give the biggest merchant's user and the first admin the bench password."""
    biggest = _merchants_by_size(engine)[0]
    hashed = BcryptPasswordHasher(rounds=4).hash(PASSWORD)
    with engine.begin() as connection:
        merchant_email = connection.execute(
            select(users.c.email)
            .join(merchants, merchants.c.user_id == users.c.id)
            .where(merchants.c.id == biggest)
        ).scalar_one()
        admin_email = connection.execute(
            select(users.c.email).where(users.c.role == "admin").order_by(users.c.email).limit(1)
        ).scalar_one()
        connection.execute(
            update(users)
            .where(users.c.email.in_([merchant_email, admin_email]))
            .values(password_hash=hashed)
        )
    return Login(merchant_email, biggest, admin_email)


def pages_of(login: Login) -> dict[str, list[tuple[str, str]]]:
    """(label, path) per role, in the order they are timed."""
    return {
        login.merchant_email: [
            ("merchant Overview", "/dashboard/merchant/"),
            ("merchant Payments", "/dashboard/merchant/payments"),
            ("merchant Payments, refunded", "/dashboard/merchant/payments?status=refunded"),
            ("merchant Orders", "/dashboard/merchant/orders"),
        ],
        login.admin_email: [
            ("admin Overview", "/dashboard/admin/"),
            ("admin Merchants", "/dashboard/admin/merchants"),
            ("admin Merchant (biggest)", f"/dashboard/admin/merchants/{login.merchant_id}"),
        ],
    }


async def _log_in(client: AsyncTestClient[Litestar], email: str) -> None:
    client.cookies.clear()
    form = await client.get("/dashboard/login")
    match = _TOKEN.search(form.text)
    if match is None:
        raise SystemExit("the login page has no CSRF token")
    answer = await client.post(
        "/dashboard/login",
        follow_redirects=False,
        data={"email": email, "password": PASSWORD, "csrf_token": match.group(1)},
    )
    if answer.status_code != 303:
        raise SystemExit(f"login as {email} answered {answer.status_code}")


async def _time_page(
    client: AsyncTestClient[Litestar], path: str, requests: int
) -> tuple[float, float, int]:
    """p50 and p99 in ms, and the number of answers other than 200."""
    await client.get(path)  # warm the templates, caches and the connection
    samples, failures = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        answer = await client.get(path, follow_redirects=False)
        samples.append((time.perf_counter() - started) * 1000)
        failures += answer.status_code != 200
    p99 = statistics.quantiles(samples, n=100, method="inclusive")[-1]
    return statistics.median(samples), p99, failures


async def run_pages(url: str, login: Login, requests: int) -> list[tuple[str, float, float, int]]:
    settings = Settings(
        secret_key=SECRET,
        database_url=url,
        auth_rate_limit=None,
        api_rate_limit=None,
        cookie_secure=False,
        bcrypt_rounds=4,
        log_level="WARNING",
    )
    app = create_app(settings, clock=SeededYearClock())
    results = []
    async with AsyncTestClient(app=app) as client:
        for email, pages in pages_of(login).items():
            await _log_in(client, email)
            for label, path in pages:
                results.append((label, *await _time_page(client, path, requests)))
    return results


def report(results: Sequence[tuple[str, float, float, int]], requests: int) -> bool:
    """Print the table; True when every page met the target."""
    print("\nserver time: in-process ASGI call, request handed over to last body byte")
    heading = f"{requests} requests each"
    print(f"{heading:<37}{'p50 ms':>8}{'p99 ms':>9}   target p99 < {TARGET_MS:.0f} ms")
    ok = True
    for label, p50, p99, failures in results:
        met = p99 < TARGET_MS and not failures
        ok = ok and met
        note = "ok" if met else ("MISSED" if not failures else f"{failures} non-200")
        print(f"  {label:<34} {p50:>8.2f} {p99:>8.2f}   {note}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", help="database URL (default: a bench database of --db)")
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--merchants", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="time an already seeded database")
    args = parser.parse_args(argv)
    url = args.url or (SQLITE_DEFAULT if args.db == "sqlite" else POSTGRES_DEFAULT)
    if not args.reuse:
        _fresh_database(url)
    engine = create_database_engine(url)
    try:
        upgrade_schema(engine)
        if not args.reuse:
            print(f"seeding {args.payments:,} payments for {args.merchants} merchants ...")
            started = time.perf_counter()
            seed(engine, payment_count=args.payments, merchant_count=args.merchants)
            print(f"seeded in {time.perf_counter() - started:.0f} s")
        print(", ".join(f"{name}: {count:,}" for name, count in _row_counts(engine).items()))
        login = prepare_logins(engine)
    finally:
        engine.dispose()
    print(
        f"{engine.dialect.name}; clock at {START + SPAN:%Y-%m-%d}; biggest merchant "
        f"{login.merchant_id}"
    )
    results = asyncio.run(run_pages(url, login, args.requests))
    return 0 if report(results, args.requests) else 1


if __name__ == "__main__":
    sys.exit(main())
