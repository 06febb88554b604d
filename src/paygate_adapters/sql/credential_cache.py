"""``EpochCachedCredentials``: a ``CredentialDirectory`` decorator that remembers answers
under the credential epoch.

Authenticating a credential reads storage on every request: an API key its merchant and
user, an access token its revocation, its login's refresh tokens, its user and merchant. On
SQLite the reading connection's page cache is dropped whenever another connection commits,
so those pages come back from the WAL each time. The answer only changes when something
that decides it does, and triggers count every such change in ``credential_epoch``, in the
same transaction: an update or delete of ``users`` or ``merchants`` (migration 0003), an
access token revoked, a login's last live refresh token revoked or deleted (migration
0006). So the epoch is read first, an answer of the inner directory is remembered under the
value read before it, and it is served while the epoch is still that value: a one-row read,
exact across processes, with nothing to invalidate by hand.

A merchant user without a merchant row is answered but not remembered: inserting the row
would change the answer without moving the epoch. What is remembered is frozen (the
principal's parts as tuples of immutable values) and each call is served a principal built
for it, so no caller can change what another is served. At most 4,096 answers are kept, the
least recently used dropped first.
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, TypeAlias
from uuid import UUID

import attrs
from sqlalchemy import select

from paygate_adapters.sql.prepared import Prepared
from paygate_adapters.sql.tables import credential_epoch
from paygate_adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from paygate_core.accounts import Merchant, Role, User
from paygate_core.ports import CredentialDirectory
from paygate_core.principals import CredentialKind, Principal

__all__ = ["MAX_PRINCIPALS", "EpochCachedCredentials", "read_epoch"]

MAX_PRINCIPALS: Final = 4096

_EPOCH = Prepared(select(credential_epoch.c.value))  # one row: CHECK (id = 1)
_IMMUTABLE = (UUID, str, int, datetime, enum.Enum, type(None))  # bool is an int

_Key: TypeAlias = tuple[CredentialKind, str]
"""A presented credential: its kind (an API key never matches a token) and its exact text."""


def read_epoch(factory: SqlUnitOfWorkFactory) -> int | None:
    """The credential epoch now, read on its own (``None`` without its row)."""
    row = factory.read_first(_EPOCH, {})
    return None if row is None else int(row.value)


def _frozen_fields(value: User | Merchant) -> tuple[Any, ...]:
    fields = attrs.astuple(value, recurse=False)
    for field in fields:
        if not isinstance(field, _IMMUTABLE):  # a shared mutable part would leak changes
            raise TypeError(f"{type(value).__name__} holds a mutable {type(field).__name__}")
    return fields


@attrs.frozen
class _Remembered:
    """One answer and the epoch it was read under, in immutable parts only."""

    epoch: int
    user: tuple[Any, ...]
    merchant: tuple[Any, ...] | None
    credential: CredentialKind
    access_jti: UUID | None
    access_expires_at: datetime | None

    @classmethod
    def of(cls, principal: Principal, epoch: int) -> _Remembered:
        merchant = principal.merchant
        return cls(
            epoch,
            _frozen_fields(principal.user),
            None if merchant is None else _frozen_fields(merchant),
            principal.credential,
            principal.access_jti,
            principal.access_expires_at,
        )

    def principal(self) -> Principal:
        """A principal of the caller's own: its user and merchant are new objects."""
        merchant = None if self.merchant is None else Merchant(*self.merchant)
        return Principal(
            User(*self.user), merchant, self.credential, self.access_jti, self.access_expires_at
        )


class EpochCachedCredentials:
    """``inner``'s answers, remembered while the credential epoch in ``factory``'s database
    stays the value read before them. Thread-safe when ``inner`` is."""

    def __init__(
        self,
        inner: CredentialDirectory,
        factory: SqlUnitOfWorkFactory,
        *,
        size: int = MAX_PRINCIPALS,
    ) -> None:
        self._inner = inner
        self._factory = factory
        self._size = size
        self._lock = threading.Lock()
        self._remembered: OrderedDict[_Key, _Remembered] = OrderedDict()

    def by_api_key(self, api_key: str) -> Principal:
        return self._answer((CredentialKind.API_KEY, api_key), self._inner.by_api_key)

    def by_access_token(self, token: str) -> Principal:
        # Kept under the whole token's text: a text equal to one whose signature was
        # verified needs no second verification (the caller checks expiry every time).
        return self._answer((CredentialKind.BEARER, token), self._inner.by_access_token)

    def _answer(self, key: _Key, ask: Callable[[str], Principal]) -> Principal:
        epoch = read_epoch(self._factory)  # before the reads: a change after it retires them
        if epoch is None:  # no epoch row: remember nothing
            return ask(key[1])
        with self._lock:
            kept = self._remembered.get(key)
            if kept is not None and kept.epoch == epoch:
                self._remembered.move_to_end(key)
            else:
                kept = None
        if kept is not None:
            return kept.principal()
        principal = ask(key[1])  # raises for a refused credential: nothing is remembered
        if principal.user.role is not Role.MERCHANT or principal.merchant is not None:
            self._remember(key, _Remembered.of(principal, epoch))
        return principal

    def _remember(self, key: _Key, remembered: _Remembered) -> None:
        with self._lock:
            self._remembered[key] = remembered
            self._remembered.move_to_end(key)
            while len(self._remembered) > self._size:
                self._remembered.popitem(last=False)
