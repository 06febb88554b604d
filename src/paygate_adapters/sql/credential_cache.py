"""``SqlCredentialCache``: the ``CredentialCache`` port over the credential epoch.

Authenticating a credential reads storage on every request: an API key its merchant and
user, an access token its revocation, its login's refresh tokens, its user and merchant. On
SQLite the reading connection's page cache is dropped whenever another connection commits,
so those pages come back from the WAL each time. The answer only changes when something
that decides it does, and triggers count every such change in ``credential_epoch``, in the
same transaction: an update or delete of ``users`` or ``merchants`` (migration 0003), an
access token revoked, a login's last live refresh token revoked or deleted (migration
0006). So principals are remembered with the epoch read before them, and served while the
epoch is still that value: a one-row read, exact across processes, with nothing to
invalidate by hand. The remembered principals are bounded (least recently used go first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from sqlalchemy import select

from paygate_adapters.sql.prepared import Prepared
from paygate_adapters.sql.tables import credential_epoch
from paygate_adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from paygate_core.ports import CredentialKey
from paygate_core.principals import Principal

__all__ = ["SqlCredentialCache"]

MAX_PRINCIPALS: Final = 4096

_EPOCH = Prepared(select(credential_epoch.c.value))  # one row: CHECK (id = 1)


class SqlCredentialCache:
    def __init__(self, factory: SqlUnitOfWorkFactory, *, size: int = MAX_PRINCIPALS) -> None:
        self._factory = factory
        self._size = size
        self._lock = threading.Lock()
        self._principals: OrderedDict[CredentialKey, tuple[object, Principal]] = OrderedDict()

    def version(self) -> object:
        row = self._factory.read_first(_EPOCH, {})
        return None if row is None else row.value

    def get(self, key: CredentialKey, version: object) -> Principal | None:
        if version is None:  # no epoch row: remember nothing
            return None
        with self._lock:
            entry = self._principals.get(key)
            if entry is None or entry[0] != version:
                return None
            self._principals.move_to_end(key)
            return entry[1]

    def put(self, key: CredentialKey, principal: Principal, version: object) -> None:
        if version is None:
            return
        with self._lock:
            self._principals[key] = (version, principal)
            self._principals.move_to_end(key)
            while len(self._principals) > self._size:
                self._principals.popitem(last=False)
