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
from typing import Any

from paygate_http.settings import Settings

__all__ = ["DispatcherProcess"]

_log = logging.getLogger("paygate.server")
PARENT_CHECK_INTERVAL = 0.5
"""Seconds between two looks at whether the parent is still alive."""


class DispatcherProcess:
    """The webhook dispatcher of ``paygate serve``, run in a child process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
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
                args=(self._settings, self._stop, os.getpid()),
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
        self._stop.set()
        # A delivery takes at most the webhook timeout; recording it, a moment more.
        process.join(self._settings.webhook_timeout + 15)
        if process.is_alive():
            _log.warning("webhook dispatcher did not stop in time; terminating it")
            process.terminate()
            process.join(5)


def _dispatcher_main(settings: Settings, stop: Any, parent: int) -> None:
    """The child: the dispatcher until ``stop`` is set or the parent is gone."""
    from paygate_http.pipeline.observability import configure_logging
    from paygate_http.process.wiring import build_dispatcher, open_database

    # Ctrl-C reaches the whole process group: the parent asks this process to stop, so a
    # recorded attempt is never cut short by KeyboardInterrupt. SIGTERM (to the group, or
    # to this process alone) is a stop request. Its handler takes no lock: setting
    # ``stop`` there could deadlock on the lock that ``stop.wait`` holds.
    terminated: list[int] = []
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: terminated.append(signum))
    configure_logging(settings.log_level, root=True)
    database = open_database(settings, migrate=False)
    handle = build_dispatcher(settings, database.uow).start_in_thread()
    _log.info("webhook dispatcher started", extra={"fields": {"pid": os.getpid()}})
    try:
        while not terminated and not stop.wait(PARENT_CHECK_INTERVAL):
            if os.getppid() != parent:
                _log.warning("the server is gone; the webhook dispatcher stops")
                break
    finally:
        handle.stop()
        database.close()
    _log.info("webhook dispatcher stopped")
