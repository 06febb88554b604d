"""``paygate serve``'s webhook dispatcher, in a process of its own beside the HTTP server.

Sending a webhook and recording its attempt cost about as much CPU as the payment that
raised it. In the server's process the dispatcher's threads would take the GIL from the
event loop that answers requests (ADR 0021 has the figures). So ``serve`` starts this
process (``spawn``, like the workers of ``Supervisor``) once the schema is up to date,
whatever ``--workers`` says, and stops it after the server: it finishes the attempts in
flight and records them.

The process is a ``paygate worker`` that also ends when its parent does: a server killed
with SIGKILL leaves no dispatcher behind (its claims come back when their leases end).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.process import BaseProcess

from paygate_http.settings import Settings

__all__ = ["DispatcherProcess", "run_dispatcher"]

_log = logging.getLogger("paygate.server")
PARENT_CHECK_INTERVAL = 0.5
"""Seconds between two looks at whether the parent is still alive."""


class DispatcherProcess:
    """The webhook dispatcher of ``paygate serve``, run in a child process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._stopped = False

    def start(self) -> None:
        """Start the child (from any thread); nothing once ``stop`` has been called."""
        with self._lock:
            if self._stopped or self._process is not None:
                return
            self._process = self._context.Process(
                target=_dispatcher_main,
                name="paygate-webhook-dispatcher",
                args=(self._settings, os.getpid()),
                daemon=False,
            )
            self._process.start()

    def stop(self) -> None:
        """Let the attempts in flight finish and be recorded, then return."""
        with self._lock:
            self._stopped = True
            process = self._process
        if process is None:
            return
        process.terminate()  # SIGTERM: the child's request to stop
        # A delivery takes at most the webhook timeout; recording it, a moment more.
        process.join(self._settings.webhook_timeout + 15)
        if process.is_alive():
            _log.warning("webhook dispatcher did not stop in time; killing it")
            process.kill()
            process.join(5)


def run_dispatcher(settings: Settings, stop: threading.Event) -> None:
    """``paygate worker``: deliver webhooks in this thread until ``stop`` is set."""
    from paygate_http.process.wiring import build_dispatcher, open_database

    database = open_database(settings, migrate=False)
    _log.info("webhook dispatcher started", extra={"fields": {"pid": os.getpid()}})
    try:
        build_dispatcher(settings, database.uow).run_forever(stop)
    finally:
        database.close()
    _log.info("webhook dispatcher stopped")


def _dispatcher_main(settings: Settings, parent: int) -> None:
    """The child: ``run_dispatcher`` until SIGTERM or until the parent is gone."""
    from paygate_http.pipeline.observability import configure_logging

    stop = threading.Event()
    # Ctrl-C reaches the whole process group: the parent stops this process with SIGTERM,
    # so a recorded attempt is never cut short by KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    configure_logging(settings.log_level, root=True)
    threading.Thread(
        target=_watch_parent, args=(parent, stop), name="paygate-parent-watch", daemon=True
    ).start()
    run_dispatcher(settings, stop)


def _watch_parent(parent: int, stop: threading.Event) -> None:
    """Set ``stop`` once the parent is gone."""
    while not stop.wait(PARENT_CHECK_INTERVAL):
        if os.getppid() != parent:
            _log.warning("the server is gone; the webhook dispatcher stops")
            stop.set()
