"""The purge of expired idempotency records, started by keyed requests.

Records are kept ``RETENTION`` (24 h). At most every ``PURGE_INTERVAL`` seconds a keyed
request starts a daemon thread that deletes older ones (``Paygate.purge_idempotency_keys``),
so no request waits for it; one janitor per application, and a lock keeps purges from
overlapping.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import attrs
from litestar.connection import ASGIConnection

from paygate_core.gateway import Paygate

__all__ = ["PURGE_INTERVAL", "Janitor", "janitor_of"]

PURGE_INTERVAL = 300.0
"""Seconds between two purges of expired records in one process."""

_JANITOR_STATE_KEY = "paygate_idempotency_janitor"
_log = logging.getLogger("paygate.http.idempotency")


@attrs.define
class Janitor:
    """Runs the purge in a background thread at most once per ``interval``."""

    interval: float = PURGE_INTERVAL
    last: float = -math.inf
    thread: threading.Thread | None = None
    _running: threading.Lock = attrs.field(factory=threading.Lock)

    def maybe_purge(self, paygate: Paygate) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        self.thread = threading.Thread(
            target=self._purge, args=(paygate,), daemon=True, name="paygate-idempotency-purge"
        )
        self.thread.start()

    def _purge(self, paygate: Paygate) -> None:
        if not self._running.acquire(blocking=False):
            return
        try:
            purged = paygate.purge_idempotency_keys()
            _log.info("idempotency records purged", extra={"fields": {"purged": purged}})
        except Exception:
            _log.exception("idempotency purge failed")
        finally:
            self._running.release()


def janitor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Janitor:
    """The application's janitor (the three keyed routes share it)."""
    state = connection.app.state
    janitor = state.get(_JANITOR_STATE_KEY)
    if not isinstance(janitor, Janitor):
        janitor = state[_JANITOR_STATE_KEY] = Janitor()
    return janitor
