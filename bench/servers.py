"""The processes the HTTP bench starts, and their clean stop.

Every server runs in a session (process group) of its own: stopping it sends SIGTERM to the
whole group (the supervisor and its worker children at once), waits, then SIGKILLs whatever
is left, so no worker outlives the bench, whether it ends normally, on an error, on Ctrl-C
or on SIGTERM (``stop_on_sigterm``).

* ``asgi_server``: a bench app (``bench.bare_app``, ``bench.naive_app``) served exactly as
  Paygate is (``paygate_http.process.server``: ``TCP_NODELAY`` sockets, one spawned process per
  worker each listening on the ``SO_REUSEPORT`` port, ``serve_app``'s uvicorn options);
* ``paygate_server``: ``paygate serve --workers N`` as users run it (webhook dispatcher on);
* ``webhook_receiver``: ``bench.webhook_bench.receiver_app`` under uvicorn, answering 200.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import httpx

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60.0
STOP_SECONDS = 40.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop_on_sigterm() -> None:
    """SIGTERM ends the bench like Ctrl-C does, so every ``finally`` stops its servers."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@contextmanager
def process_group(args: list[str], env: dict[str, str], probe: str) -> Iterator[None]:
    """Run ``args`` in a new session until the block ends; ``probe`` answers once it is up."""
    process = subprocess.Popen(
        args,
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(probe, process, args)
        yield
    finally:
        _stop_group(process)


def _wait_until_up(probe: str, process: subprocess.Popen[bytes], args: list[str]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{' '.join(args[1:])} exited with status {process.returncode}")
        try:
            httpx.get(probe, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"no answer from {probe} after {STARTUP_SECONDS:.0f} s")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    _signal_group(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_SECONDS)
    # Worker children the leader did not reap (or a leader that hung) go too.
    _signal_group(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


# --- the servers -------------------------------------------------------------------------


@contextmanager
def asgi_server(app: str, workers: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """``app`` (a module with an ``app`` attribute) served like Paygate; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "bench.servers", app, str(port), str(workers)]
    with process_group(args, {**os.environ, **(env or {})}, url + "/"):
        yield url


@contextmanager
def paygate_server(env: dict[str, str], workers: int) -> Iterator[str]:
    """``paygate serve --workers N`` (dispatcher on, as users run it); yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [
        sys.executable,
        "-m",
        "paygate_http.process.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with process_group(args, env, url + "/health"):
        yield url


@contextmanager
def postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A throw-away PostgreSQL database ``prefix_<random>`` beside ``admin_url``'s, dropped
    afterwards; yields its URL."""
    from uuid import uuid4

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def webhook_receiver() -> Iterator[str]:
    """A local webhook receiver answering 200 at once; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [
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
    ]
    with process_group(args, dict(os.environ), url + "/receipts"):
        yield url


# --- serving a bench app (runs in the server's own process) --------------------------------


def _serve_worker(app: str, port: int, reuse_port: bool) -> None:
    from paygate_http.process.server import bind_socket, serve_app

    serve_app(
        importlib.import_module(app).app, bind_socket("127.0.0.1", port, reuse_port=reuse_port)
    )


def serve(app: str, port: int, workers: int) -> None:
    """``app`` on Paygate's sockets and uvicorn options, one process per worker."""
    from paygate_http.process.server import reserve_port

    if workers == 1:
        _serve_worker(app, port, reuse_port=False)
        return
    reserved = reserve_port("127.0.0.1", port)
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_serve_worker, args=(app, port, True)) for _ in range(workers)
    ]

    def stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        for process in processes:
            process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    reserved.close()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
