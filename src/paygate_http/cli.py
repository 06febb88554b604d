"""The ``paygate`` command: serve, worker, migrate, create-admin.

Every command reads ``Settings.from_env(os.environ)`` and first brings the database schema
up to date, so each works on an empty database. ``serve`` also creates the bootstrap admin
(``PAYGATE_BOOTSTRAP_ADMIN_*``) when no admin exists, and runs the webhook dispatcher once
in this process unless ``--no-dispatcher``.

A database that does not answer yet is waited for, with backoff and one log line per try
(``paygate_adapters.sql.startup``): ``serve`` listens meanwhile (``/health`` 200, ``/ready``
503, the API 503 9005) and migrates in the background; ``worker`` waits until it can
start; ``migrate`` and ``create-admin`` give up after ``ONE_SHOT_WAIT`` seconds (exit 1).
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

from paygate_core.errors import PaygateError
from paygate_core.use_cases.auth import RegisterAdmin
from paygate_http.observability import configure_logging
from paygate_http.settings import Settings, SettingsError

if TYPE_CHECKING:
    from paygate_core.gateway import Paygate

__all__ = ["ONE_SHOT_WAIT", "main"]

ONE_SHOT_WAIT = 60.0
"""Seconds ``migrate`` and ``create-admin`` wait for the database before giving up."""

_log = logging.getLogger("paygate.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paygate", description="Paygate payment gateway")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=_positive, default=1,
                       help="server processes sharing the port (default 1)")
    serve.add_argument("--no-dispatcher", action="store_true",
                       help="do not deliver webhooks from this process")
    commands.add_parser("worker", help="run the webhook dispatcher alone")
    commands.add_parser("migrate", help="bring the database schema up to date")
    admin = commands.add_parser("create-admin", help="create an admin user")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    return parser


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging("INFO", root=True)
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(f"paygate: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, root=True)
    if args.command == "serve":  # migrates in the background if it must wait
        return _serve(settings, args.host, args.port, args.workers, not args.no_dispatcher)
    waiting = None if args.command == "worker" else ONE_SHOT_WAIT
    if not _wait_for_schema(settings, give_up_after=waiting):
        print("paygate: the database is unavailable", file=sys.stderr)
        return 1
    if args.command == "migrate":
        print("Database schema is up to date", file=sys.stderr)
        return 0
    if args.command == "create-admin":
        return _create_admin(settings, args.email, args.name, args.password_stdin)
    return _worker(settings)


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
    from paygate_http.wiring import build_paygate, open_database

    password = _read_password(from_stdin)
    if password is None:
        return 1
    database = open_database(settings, migrate=False)
    try:
        registration = build_paygate(settings, database.uow).register_admin(
            RegisterAdmin(email=email, name=name, password=password))
    except PaygateError as exc:
        print(f"paygate: {exc.message}: {exc.description}", file=sys.stderr)
        return 1
    finally:
        database.close()
    print(f"Admin created: {registration.user.email} ({registration.user.id})")
    return 0


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        print("paygate: the passwords do not match", file=sys.stderr)
        return None
    return password


def _worker(settings: Settings) -> int:
    from paygate_http.wiring import build_dispatcher, open_database

    database = open_database(settings, migrate=False)
    stop = threading.Event()
    _stop_on_signals(stop)
    _log.info("webhook dispatcher started")
    try:
        build_dispatcher(settings, database.uow).run_forever(stop)
    finally:
        database.close()
    _log.info("webhook dispatcher stopped")
    return 0


def _serve(settings: Settings, host: str, port: int, workers: int, dispatch: bool) -> int:
    from paygate_http.server import Supervisor, bind_socket, reserve_port, run_server
    from paygate_http.wiring import (
        bootstrap_admin,
        build_dispatcher,
        build_paygate,
        open_database,
    )

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
    dispatcher = build_dispatcher(settings, database.uow).start_in_thread() if dispatch \
        else None
    _log.info("listening", extra={"fields": {
        "url": f"http://{host}:{sock.getsockname()[1]}", "workers": workers,
        "dispatcher": dispatch}})
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


def _bootstrap_admin_later(settings: Settings, paygate: Paygate) -> None:
    """``bootstrap_admin`` once a server that waited for its database can reach it."""
    from paygate_http.wiring import bootstrap_admin

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
