"""Idempotency keys whose release the database could not take, released again later.

A keyed request that answers 503 9005 (or whose 4xx could not be stored) leaves its key
claimed. ``PENDING_RELEASES`` retries the release from a background thread, with backoff,
and before the key is next claimed in this process, so a retry with the same key runs once,
or replays the answer if the write did commit (a release keeps finished answers), instead of
meeting 409 1007. After ``LEASE`` the claim is taken over anyway: the key is forgotten here.
"""

from __future__ import annotations

import logging
import threading
import time
from uuid import UUID

from paygate_core.errors import StorageUnavailable
from paygate_core.gateway import Paygate
from paygate_core.idempotency import LEASE

__all__ = ["PENDING_RELEASES", "PendingReleases"]

_log = logging.getLogger("paygate.http.idempotency")


class PendingReleases:
    """The keys of this process waiting for their release, and the thread retrying them."""

    def __init__(self) -> None:
        self._keys: dict[tuple[UUID, str], tuple[Paygate, float]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, paygate: Paygate, merchant_id: UUID, key: str) -> None:
        with self._lock:
            self._keys[(merchant_id, key)] = (paygate, time.monotonic())
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._retry, daemon=True, name="paygate-idempotency-release"
                )
                self._thread.start()

    def release_first(self, paygate: Paygate, merchant_id: UUID, key: str) -> None:
        """Release the key now if its release is pending (``StorageUnavailable`` if the
        database still cannot write: the claim that follows could not either)."""
        if not self._keys or (merchant_id, key) not in self._keys:
            return
        paygate.release_idempotency_key(merchant_id, key)
        with self._lock:
            self._keys.pop((merchant_id, key), None)

    def _retry(self) -> None:
        delay = 0.5
        while True:
            time.sleep(delay)
            with self._lock:
                pending = list(self._keys.items())
            if not pending:
                return
            for (merchant_id, key), (paygate, since) in pending:
                if time.monotonic() - since < LEASE.total_seconds():
                    try:
                        paygate.release_idempotency_key(merchant_id, key)
                    except StorageUnavailable:
                        continue
                    except Exception:
                        _log.exception("idempotency key could not be released")
                with self._lock:
                    if self._keys.get((merchant_id, key), (None, since))[1] == since:
                        del self._keys[(merchant_id, key)]
            delay = min(delay * 2, 5.0)


PENDING_RELEASES = PendingReleases()
