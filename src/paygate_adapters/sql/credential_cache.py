"""``SqlCredentialCache``: the ``CredentialCache`` port over the credential epoch.

Authenticating an API key read a merchant and its user on every request: on SQLite the
reading connection's page cache is dropped whenever another connection commits, so those
pages came back from the WAL each time (40 of the lookup's 80 us while orders are being
written). The answer only changes when a ``users`` or ``merchants`` row does, and triggers
count every such change in ``credential_epoch`` (migration 0003), in the same transaction.
So the accounts are remembered with the epoch read before them, and served while the epoch
is still that value: a one-row read, exact across processes, with nothing to invalidate
by hand. The remembered accounts are bounded (least recently used go first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from sqlalchemy import select

from paygate_adapters.sql.prepared import Prepared
from paygate_adapters.sql.tables import credential_epoch
from paygate_adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from paygate_core.accounts import MerchantAccount

__all__ = ["SqlCredentialCache"]

MAX_ACCOUNTS: Final = 4096

_EPOCH = Prepared(select(credential_epoch.c.value))  # one row: CHECK (id = 1)


class SqlCredentialCache:
    def __init__(self, factory: SqlUnitOfWorkFactory, *, size: int = MAX_ACCOUNTS) -> None:
        self._factory = factory
        self._size = size
        self._lock = threading.Lock()
        self._accounts: OrderedDict[str, tuple[object, MerchantAccount]] = OrderedDict()

    def version(self) -> object:
        row = self._factory.read_first(_EPOCH, {})
        return None if row is None else row.value

    def get(self, api_key: str, version: object) -> MerchantAccount | None:
        if version is None:  # no epoch row: remember nothing
            return None
        with self._lock:
            entry = self._accounts.get(api_key)
            if entry is None or entry[0] != version:
                return None
            self._accounts.move_to_end(api_key)
            return entry[1]

    def put(self, api_key: str, account: MerchantAccount, version: object) -> None:
        if version is None:
            return
        with self._lock:
            self._accounts[api_key] = (version, account)
            self._accounts.move_to_end(api_key)
            while len(self._accounts) > self._size:
                self._accounts.popitem(last=False)
