"""The ``paygate`` command: serve, worker, migrate, create-admin, demo.

Every command reads ``Settings.from_env(os.environ)`` and first brings the database schema
up to date, so each works on an empty database. ``serve`` also creates the bootstrap admin
(``PAYGATE_BOOTSTRAP_ADMIN_*``) when no admin exists, and runs the webhook dispatcher once,
in a process of its own (``dispatcher_process``), unless ``--no-dispatcher``.

A database that does not answer yet is waited for, with backoff and one log line per try
(``paygate_adapters.sql.startup``): ``serve`` listens meanwhile (``/health`` 200, ``/ready``
503, the API 503 9005) and migrates in the background; ``worker`` waits until it can
start; ``migrate`` and ``create-admin`` give up after ``ONE_SHOT_WAIT`` seconds (exit 1).

Every failure a user can cause ends the command with one ``paygate: ...`` line on stderr,
never a traceback: exit status 2 for something unusable given to the command (a setting,
an argument, the admin's password or no way to read it), 1 when the command cannot do its
work (the database stays unavailable, the email is already registered).

``create-admin`` takes the password from the first line of standard input
(``--password-stdin``), else from ``PAYGATE_ADMIN_PASSWORD``, else by asking twice on the
terminal; without a terminal it stops (exit 2) instead of waiting for an answer nobody can
type. The password and the other arguments are checked before the database is waited for.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TYPE_CHECKING

from paygate_core.accounts import normalise_email, validate_name, validate_password
from paygate_core.errors import PaygateError, ValidationFailed
from paygate_core.use_cases.auth import RegisterAdmin
from paygate_http.pipeline.observability import configure_logging
from paygate_http.settings import Settings, SettingsError

if TYPE_CHECKING:
    from paygate_core.gateway import Paygate

__all__ = ["ADMIN_PASSWORD_VARIABLE", "ONE_SHOT_WAIT", "main"]

ONE_SHOT_WAIT = 60.0
"""Seconds ``migrate`` and ``create-admin`` wait for the database before giving up."""

ADMIN_PASSWORD_VARIABLE = "PAYGATE_ADMIN_PASSWORD"
"""The environment variable ``create-admin`` reads the password from (without
``--password-stdin``); read by that command only, never by ``serve``."""

USAGE_ERROR = 2
"""Exit status for something unusable given to the command (as ``argparse`` uses it)."""

_log = logging.getLogger("paygate.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paygate", description="Paygate payment gateway")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=_positive, default=1, help="server processes sharing the port (default 1)"
    )
    serve.add_argument(
        "--no-dispatcher", action="store_true", help="do not deliver webhooks from this process"
    )
    commands.add_parser("worker", help="run the webhook dispatcher alone")
    commands.add_parser("migrate", help="bring the database schema up to date")
    admin = commands.add_parser("create-admin", help="create an admin user")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input "
        f"(else from {ADMIN_PASSWORD_VARIABLE}, else a terminal prompt)",
    )
    _demo_parser(commands)
    return parser


def _demo_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="a demo merchant and admin with a month of payments, then serve the "
        "dashboard with a new payment every few seconds",
    )
    demo.add_argument(
        "--seed-only",
        action="store_true",
        help="make the accounts and the month of payments, then stop",
    )
    demo.add_argument(
        "--orders", type=_positive, default=3000, help="orders to seed (default 3000)"
    )
    demo.add_argument(
        "--days", type=_positive, default=30, help="days back the orders spread over (default 30)"
    )
    demo.add_argument(
        "--every",
        type=_seconds,
        default=3.0,
        help="seconds between live payments while serving (default 3)",
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)


def _seconds(raw: str) -> float:
    value = float(raw)
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError("must be between 0.1 and 3600 seconds")
    return value


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging("INFO", root=True)
    settings = _settings()
    if settings is None:
        return USAGE_ERROR
    configure_logging(settings.log_level, root=True)
    if args.command == "serve":  # migrates in the background if it must wait
        return _serve(settings, args.host, args.port, args.workers, not args.no_dispatcher)
    if args.command == "create-admin":
        return _create_admin(settings, args.email, args.name, args.password_stdin)
    if args.command == "demo":
        return _demo(settings, args)
    waiting = None if args.command == "worker" else ONE_SHOT_WAIT
    if not _schema_ready(settings, give_up_after=waiting):
        return 1
    if args.command == "migrate":
        print("Database schema is up to date", file=sys.stderr)
        return 0
    return _worker(settings)


def _fail(message: str) -> None:
    """The one line a failed command leaves on stderr."""
    print(f"paygate: {message}", file=sys.stderr)


def _settings() -> Settings | None:
    """``Settings.from_env`` with a usable database URL, or ``None`` after one line."""
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        _fail(f"configuration error: {exc}")
        return None
    except OSError as exc:  # the development secret key file beside the database
        _fail(
            f"configuration error: cannot keep the development secret key in "
            f"{exc.filename}: {exc.strerror} (set PAYGATE_SECRET_KEY or fix "
            "PAYGATE_DATABASE_URL)"
        )
        return None
    problem = _database_url_problem(settings.database_url)
    if problem is not None:
        _fail(
            f"configuration error: PAYGATE_DATABASE_URL: {problem} (use sqlite:///path "
            "or postgresql+psycopg://user:pass@host/db)"
        )
        return None
    return settings


def _database_url_problem(url: str) -> str | None:
    """Why no engine can be made for ``url`` (a scheme or driver Paygate does not use), or
    ``None``. Making an engine does not connect, so an unreachable database passes."""
    from sqlalchemy.exc import ArgumentError

    from paygate_adapters.sql import create_database_engine

    try:
        create_database_engine(url).dispose()
    except (ValueError, ArgumentError) as exc:
        return str(exc)
    except ImportError as exc:
        return f"its driver is not installed ({exc})"
    return None


def _schema_ready(settings: Settings, *, give_up_after: float | None) -> bool:
    """``_wait_for_schema``, or ``False`` after one line saying why the database is of no
    use: unavailable until the wait ended, or answering but not a Paygate database (a file
    that is not SQLite, a schema from a newer Paygate)."""
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    try:
        if _wait_for_schema(settings, give_up_after=give_up_after):
            return True
    except DBAPIError as exc:
        _fail(f"the database cannot be used: {exc.orig}")
        return False
    except (SQLAlchemyError, CommandError) as exc:
        _fail(f"the database cannot be used: {exc}")
        return False
    _fail("the database is unavailable (PAYGATE_DATABASE_URL; the log lines above say why)")
    return False


def _wait_for_schema(settings: Settings, *, give_up_after: float | None) -> bool:
    """Bring the schema up to date, waiting for the database (a signal ends the wait)."""
    from paygate_adapters.sql import SchemaUpgrade, create_database_engine

    engine = create_database_engine(settings.database_url)
    upgrade = SchemaUpgrade(engine).join()
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    _on_signals(upgrade.leave)
    try:
        return upgrade.run(give_up_after=give_up_after)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        engine.dispose()


def _create_admin(settings: Settings, email: str, name: str, from_stdin: bool) -> int:
    from paygate_http.process.wiring import build_paygate, open_database

    try:
        password = _admin_password(from_stdin)
        normalise_email(email)  # checked now, not after waiting for the database
        validate_name(name)
        validate_password(password)
    except _NoPassword as exc:
        _fail(str(exc))
        return USAGE_ERROR
    except ValidationFailed as exc:
        _fail(f"create-admin: {exc.description}")
        return USAGE_ERROR
    if not _schema_ready(settings, give_up_after=ONE_SHOT_WAIT):
        return 1
    database = open_database(settings, migrate=False)
    try:
        registration = build_paygate(settings, database.uow).register_admin(
            RegisterAdmin(email=email, name=name, password=password)
        )
    except PaygateError as exc:
        _fail(f"{exc.message}: {exc.description}")
        return 1
    finally:
        database.close()
    print(f"Admin created: {registration.user.email} ({registration.user.id})")
    return 0


class _NoPassword(Exception):
    """No password could be read; the message says how to give one."""


def _admin_password(from_stdin: bool) -> str:
    """From stdin (``--password-stdin``), ``PAYGATE_ADMIN_PASSWORD`` or the terminal."""
    if from_stdin:
        return _password_from_stdin()
    from_environment = os.environ.get(ADMIN_PASSWORD_VARIABLE, "")
    if from_environment:
        return from_environment
    if sys.stdin is None or not sys.stdin.isatty():
        raise _NoPassword(
            "create-admin: no terminal to ask for the password; pipe it in with "
            f"--password-stdin or set {ADMIN_PASSWORD_VARIABLE}"
        )
    return _password_from_prompt()


def _password_from_stdin() -> str:
    try:
        line = sys.stdin.readline() if sys.stdin is not None else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise _NoPassword(f"create-admin: cannot read standard input: {exc}") from None
    if not line:
        raise _NoPassword("create-admin: --password-stdin: standard input is empty")
    return line.rstrip("\r\n")


def _password_from_prompt() -> str:
    try:
        password = getpass.getpass("Password: ")
        repeated = getpass.getpass("Repeat password: ")
    except (EOFError, KeyboardInterrupt):
        print(file=sys.stderr)  # end the prompt's line
        raise _NoPassword("create-admin: no password given") from None
    if repeated != password:
        raise _NoPassword("create-admin: the passwords do not match")
    return password


def _worker(settings: Settings) -> int:
    from paygate_http.process.dispatcher_process import run_dispatcher

    stop = threading.Event()
    _stop_on_signals(stop)
    run_dispatcher(settings, stop)
    return 0


def _serve(settings: Settings, host: str, port: int, workers: int, dispatch: bool) -> int:
    from paygate_http.process.dispatcher_process import DispatcherProcess
    from paygate_http.process.server import Supervisor, bind_socket, reserve_port, run_server
    from paygate_http.process.wiring import bootstrap_admin, build_paygate, open_database

    database = open_database(settings)  # now, or in the background while the server runs
    paygate = build_paygate(settings, database.uow)
    if database.schema.done.is_set():
        try:
            bootstrap_admin(settings, paygate)
        except SettingsError as exc:
            database.close()
            print(f"paygate: {exc}", file=sys.stderr)
            return 2
    else:
        database.when_ready(lambda: _bootstrap_admin_later(settings, paygate))
    try:
        sock = bind_socket(host, port) if workers == 1 else reserve_port(host, port)
    except OSError as exc:
        database.close()
        print(f"paygate: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    dispatcher = DispatcherProcess(settings) if dispatch else None
    if dispatcher is not None:  # once the schema is up to date: it does not migrate
        database.when_ready(dispatcher.start)
    _log.info(
        "listening",
        extra={
            "fields": {
                "url": f"http://{host}:{sock.getsockname()[1]}",
                "workers": workers,
                "dispatcher": dispatch,
            }
        },
    )
    try:
        if workers == 1:
            run_server(settings, sock)
            return 0
        return Supervisor(settings, sock, workers).run()
    finally:
        if dispatcher is not None:
            dispatcher.stop()
        sock.close()
        database.close()


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    """``paygate demo``: the demo accounts and month (``paygate_http.process.demo``), then, unless
    ``--seed-only``, ``serve`` with a live payment every ``--every`` seconds."""
    from paygate_http.process.demo import live_payments, prepare

    if not _schema_ready(settings, give_up_after=ONE_SHOT_WAIT):
        return 1
    url = f"http://{args.host}:{args.port}/dashboard/login"
    try:
        accounts = prepare(settings, orders=args.orders, days=args.days, url=url)
    except PaygateError as exc:
        _fail(f"demo: {exc.message}: {exc.description}")
        return 1
    if args.seed_only:
        return 0
    with live_payments(settings, accounts.merchant_id, args.every):
        return _serve(settings, args.host, args.port, 1, True)


def _bootstrap_admin_later(settings: Settings, paygate: Paygate) -> None:
    """``bootstrap_admin`` once a server that waited for its database can reach it."""
    from paygate_http.process.wiring import bootstrap_admin

    try:
        bootstrap_admin(settings, paygate)
    except (SettingsError, PaygateError) as exc:
        _log.error("bootstrap admin not created", extra={"fields": {"error": str(exc)}})


def _stop_on_signals(stop: threading.Event) -> None:
    _on_signals(stop.set)


def _on_signals(handler: Callable[[], None]) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        handler()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
