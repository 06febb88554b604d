"""Serving the app: our own listening socket, one uvicorn server per worker process, and a
small supervisor for ``--workers N``.

Why not ``uvicorn --workers N``: uvicorn binds its shared socket as
``socket.socket(family)`` (protocol 0). asyncio only sets ``TCP_NODELAY`` on sockets whose
protocol is ``IPPROTO_TCP``, and accepted sockets inherit the listener's protocol, so no
connection gets ``TCP_NODELAY``; Nagle's algorithm then meets the client's delayed ACK and
every keep-alive response stalls ~40 ms (Kludex/uvicorn#3149). ``bind_socket`` creates the
listener with ``IPPROTO_TCP`` *and* ``TCP_NODELAY`` set (Linux accepted sockets inherit it).

On the port ``reserve_port`` holds, the supervisor starts N ``spawn``ed processes that each
listen on a ``SO_REUSEPORT`` socket of their own and run ``uvicorn.Server(config).run(
sockets=[sock])`` (the kernel spreads connections over them), restarts one that crashes (at
most ``MAX_RESTARTS`` per minute), and on SIGTERM/SIGINT stops them all gracefully. The
webhook dispatcher runs once, in a process of its own (``dispatcher_process``), not N times.

Each server speaks HTTP through ``read_deadline``'s protocol: a client that does not send a
whole request within ``Settings.request_read_timeout`` seconds is answered 408 and
disconnected.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from paygate_http.settings import Settings

__all__ = [
    "Supervisor",
    "bind_socket",
    "reserve_port",
    "run_server",
    "serve_app",
    "uvicorn_config",
]

_log = logging.getLogger("paygate.server")
DEFAULT_READ_TIMEOUT = 10.0
"""``Settings.request_read_timeout``'s default, for ``serve_app`` callers without settings."""
GRACEFUL_TIMEOUT = 30.0
MAX_RESTARTS = 5


def bind_socket(
    host: str, port: int, *, backlog: int = 2048, reuse_port: bool = False, listen: bool = True
) -> socket.socket:
    """A TCP socket with ``TCP_NODELAY`` and ``SO_REUSEADDR``, inheritable, listening unless
    ``listen`` is false; ``reuse_port`` sets ``SO_REUSEPORT`` (see ``reserve_port``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host.strip("[]"), port))
        if listen:
            sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def reserve_port(host: str, port: int) -> socket.socket:
    """The port for ``--workers N``: bound with ``SO_REUSEPORT``, not listening.

    Each worker then listens on a socket of its own on this port and the kernel spreads new
    connections over them. With one shared listening socket the first worker to wake
    accepts every pending connection (asyncio accepts up to a hundred per wake-up), so 32
    keep-alive clients often all land on one worker. A plain bind comes first, so that a
    port another server listens on (``SO_REUSEPORT`` or not) is refused rather than
    shared."""
    probe = bind_socket(host, port, listen=False)
    port = probe.getsockname()[1]
    probe.close()
    return bind_socket(host, port, reuse_port=True, listen=False)


def uvicorn_config(app: Any, read_timeout: float) -> Any:
    """Paygate's ``uvicorn.Config`` for ``app``; ``read_timeout`` as in ``serve_app``."""
    import uvicorn

    from paygate_http.pipeline.read_deadline import read_deadline_protocol

    return uvicorn.Config(
        app,
        lifespan="on",
        access_log=False,
        log_config=None,
        # uvicorn's httptools protocol with a deadline for reading each request (headers and
        # body): slow clients cannot hold connections (ADR 0015).
        http=read_deadline_protocol(read_timeout),
        # The standard asyncio loop, not uvloop: saturated, uvloop served some connections
        # ten times later than the rest (p99 165 ms against p50 24 ms for the same ASGI
        # app; asyncio: 26 ms against 25 ms, at the same throughput). ADR 0006.
        loop="asyncio",
        proxy_headers=False,  # the app decides which X-Forwarded-For to trust
        server_header=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=int(GRACEFUL_TIMEOUT),
    )


def run_server(settings: Settings, sock: socket.socket) -> None:
    """Build the app and serve ``sock`` in this process until SIGTERM/SIGINT."""
    from paygate_http.pipeline.observability import configure_logging
    from paygate_http.process.app import create_app

    configure_logging(settings.log_level, root=True)
    stopping = threading.Event()
    # uvicorn re-raises the signal that stopped it once it is done: make that harmless.
    _on_signals(stopping.set)
    serve_app(create_app(settings), sock, read_timeout=settings.request_read_timeout)


def serve_app(app: Any, sock: socket.socket, *, read_timeout: float = DEFAULT_READ_TIMEOUT) -> None:
    """Serve an ASGI app on ``sock`` with Paygate's uvicorn options until it stops; a client
    has ``read_timeout`` seconds to send each request (``read_deadline``)."""
    import uvicorn

    # Everything built so far lives as long as the process: keep it out of the cyclic
    # collector's full passes, which otherwise walk it all, on the event loop, every few
    # thousand requests (p99 of POST orders/ 80 ms without, 27-33 ms with; ADR 0006).
    gc.collect()
    gc.freeze()
    uvicorn.Server(uvicorn_config(app, read_timeout)).run(sockets=[sock])


def _worker_main(settings: Settings, address: tuple[str, int], index: int) -> None:
    """Entry point of one worker process: its own listening socket on the reserved port."""
    try:
        run_server(settings, bind_socket(*address, reuse_port=True))
    except Exception:
        logging.getLogger("paygate.server").exception(
            "worker failed", extra={"fields": {"worker": index}}
        )
        raise SystemExit(1) from None


def _on_signals(handler: Callable[[], None]) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        handler()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


class Supervisor:
    """Runs ``workers`` server processes on the port ``sock`` reserves (``reserve_port``)
    until SIGTERM/SIGINT."""

    def __init__(self, settings: Settings, sock: socket.socket, workers: int) -> None:
        self._settings = settings
        host, port = sock.getsockname()[:2]
        self._address = (str(host), int(port))
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[BaseProcess | None] = [None] * workers
        self._stop = threading.Event()
        self._restarts: list[float] = []

    def run(self) -> int:
        """Start the workers, keep them running, stop them all on a signal; exit code."""
        _on_signals(self._stop.set)
        for index in range(len(self._workers)):
            self._start(index)
        status = 0
        while not self._stop.wait(0.5):
            if not self._replace_dead_workers():
                status = 1
                break
        self._shutdown()
        return status

    def _start(self, index: int) -> None:
        process = self._context.Process(
            target=_worker_main,
            name=f"paygate-worker-{index}",
            args=(self._settings, self._address, index),
            daemon=False,
        )
        process.start()
        self._workers[index] = process

    def _replace_dead_workers(self) -> bool:
        for index, process in enumerate(self._workers):
            if process is None or process.is_alive() or self._stop.is_set():
                continue
            now = time.monotonic()
            self._restarts = [t for t in self._restarts if now - t < 60] + [now]
            _log.error(
                "worker exited; restarting",
                extra={"fields": {"worker": index, "exitcode": process.exitcode}},
            )
            if len(self._restarts) > MAX_RESTARTS:
                _log.critical("workers keep crashing; stopping")
                return False
            self._start(index)
        return True

    def _shutdown(self) -> None:
        alive = [p for p in self._workers if p is not None and p.is_alive()]
        for process in alive:
            if process.pid is not None:
                _send(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACEFUL_TIMEOUT + 5
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)


def _send(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
