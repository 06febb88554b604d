"""Bringing the schema up to date when the database may not be there yet.

A server started before its database (containers starting together, a database restarting)
keeps running and waits: ``SchemaUpgrade`` tries ``upgrade_schema`` with backoff (0.5 s
doubling to 10 s), logs one line per failed try (no traceback: the database being away is
not a bug) and sets ``done`` once the schema is at head. Until then the unit-of-work factory
given ``done`` answers ``StorageUnavailable`` (``SqlUnitOfWorkFactory(engine,
schema_ready=upgrade.done)``), so no request meets a missing table::

    upgrade = upgrade_in_background(engine)  # one try now, the rest in a thread
    factory = SqlUnitOfWorkFactory(engine, schema_ready=upgrade.done)
    upgrade.when_done(create_bootstrap_admin)
    ...
    upgrade.leave()                          # stops retrying once nobody waits

Within one process, the upgrades of one database still in progress are shared (whichever
engine asked first runs it): one thread, one log line per try.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final, Self

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from paygate_adapters.sql.faults import storage_unavailable
from paygate_adapters.sql.migrate import upgrade_schema

__all__ = ["FIRST_DELAY", "LONGEST_DELAY", "SchemaUpgrade", "upgrade_in_background"]

FIRST_DELAY: Final = 0.5
LONGEST_DELAY: Final = 10.0

_log = logging.getLogger("paygate.sql.startup")
_in_progress: dict[str, SchemaUpgrade] = {}
_registry_lock = threading.Lock()


class SchemaUpgrade:
    """The schema upgrade of one database, retried while the database is unavailable."""

    def __init__(
        self,
        engine: Engine,
        *,
        first_delay: float = FIRST_DELAY,
        longest_delay: float = LONGEST_DELAY,
    ) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)
        self.first_delay = first_delay
        self.longest_delay = longest_delay
        self.done = threading.Event()
        self.attempts = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._on_done: list[Callable[[], None]] = []
        self._users = 0

    def run(self, *, give_up_after: float | None = None, failed_once: bool = False) -> bool:
        """Try until the schema is up to date (True), or until ``leave``/``give_up_after``
        seconds end the wait (False). Errors other than database faults raise.
        ``failed_once``: a try just failed (and was logged): wait before the next."""
        delay = self.first_delay
        waited = 0.0
        if failed_once:
            if self._stop.wait(delay):
                return False
            waited, delay = delay, min(delay * 2, self.longest_delay)
        while not self._stop.is_set():
            reason = self._attempt()
            if reason is None:
                return True
            if give_up_after is not None and waited + delay > give_up_after:
                _log.warning(
                    "database unavailable",
                    extra={"fields": {"attempt": self.attempts, "error": reason}},
                )
                return False
            _log.warning(
                "database unavailable; retrying",
                extra={"fields": {"attempt": self.attempts, "retry_in": delay, "error": reason}},
            )
            if self._stop.wait(delay):
                break
            waited += delay
            delay = min(delay * 2, self.longest_delay)
        return False

    def start_in_background(self, *, failed_once: bool = False) -> Self:
        """``run`` in a daemon thread (errors other than faults are logged and retried too:
        a server that cannot migrate keeps answering 503 and saying why)."""
        threading.Thread(
            target=self._run_in_background,
            args=(failed_once,),
            daemon=True,
            name="paygate-schema-upgrade",
        ).start()
        return self

    def when_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the schema is up to date (now, if it is)."""
        with self._lock:
            if not self.done.is_set():
                self._on_done.append(callback)
                return
        _call(callback)

    def join(self) -> Self:
        """Count one more user (see ``leave``)."""
        with self._lock:
            self._users += 1
        return self

    def leave(self) -> None:
        """One user fewer; with none left, stop retrying."""
        with self._lock:
            self._users -= 1
            last = self._users <= 0
        if last:
            self._stop.set()
            with _registry_lock:
                if _in_progress.get(self.url) is self:
                    del _in_progress[self.url]

    def _attempt(self) -> str | None:
        """None once the schema is up to date, else why not (a fault); others raise."""
        self.attempts += 1
        try:
            upgrade_schema(self.engine)
        except Exception as exc:
            if storage_unavailable(exc) is None:
                raise
            return _reason(exc)
        self._finish()
        return None

    def _finish(self) -> None:
        with self._lock:
            self.done.set()
            callbacks, self._on_done = self._on_done, []
        with _registry_lock:
            if _in_progress.get(self.url) is self:
                del _in_progress[self.url]
        for callback in callbacks:
            _call(callback)

    def _run_in_background(self, failed_once: bool) -> None:
        while not self._stop.is_set():
            try:
                if self.run(failed_once=failed_once):
                    return
            except Exception:
                _log.exception(
                    "schema upgrade failed; retrying",
                    extra={"fields": {"attempt": self.attempts, "retry_in": self.longest_delay}},
                )
                failed_once = False
                self._stop.wait(self.longest_delay)


def upgrade_in_background(engine: Engine) -> SchemaUpgrade:
    """The schema upgrade of ``engine``'s database this process has in progress, or a new
    one: tried once now (so a reachable database is migrated before this returns), then in
    a thread until it succeeds. A first try that fails with an error other than a fault
    raises."""
    upgrade = SchemaUpgrade(engine)
    with _registry_lock:
        running = _in_progress.get(upgrade.url)
    if running is not None:
        return running.join()
    upgrade.join()
    reason = upgrade._attempt()
    if reason is None:
        return upgrade
    with _registry_lock:
        running = _in_progress.setdefault(upgrade.url, upgrade)
    if running is not upgrade:  # another thread got there first
        upgrade.leave()
        return running.join()
    _log.warning(
        "database unavailable; retrying",
        extra={
            "fields": {
                "attempt": upgrade.attempts,
                "retry_in": upgrade.first_delay,
                "error": reason,
            }
        },
    )
    return upgrade.start_in_background(failed_once=True)


def _reason(exc: BaseException) -> str:
    """The driver's message, first line (psycopg adds hints on the next lines)."""
    error = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _call(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:
        _log.exception("start-up step failed once the database was ready")
