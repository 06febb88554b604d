"""Keyset pagination, newest first, with an opaque cursor.

A cursor names the last item of a page by ``(created_at, id)``; the next page holds the
items strictly older in that order, so inserts between calls never shift or repeat items.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Generic, Protocol, TypeVar
from uuid import UUID

import attrs

from paygate_core.errors import ValidationFailed
from paygate_core.timestamps import as_utc

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Cursor", "Keyed", "Page", "PageRequest"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Keyed(Protocol):
    """Anything listed: it sorts by creation time, then id."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> UUID: ...


T = TypeVar("T", bound=Keyed)


@attrs.frozen
class Cursor:
    created_at: datetime
    id: UUID

    def encode(self) -> str:
        raw = f"{as_utc(self.created_at).isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            stamp, ident = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
            return cls(as_utc(datetime.fromisoformat(stamp)), UUID(ident))
        except (ValueError, OverflowError, binascii.Error, UnicodeError):
            raise ValidationFailed(fields={"cursor": "is not a valid cursor"}) from None

    def is_after(self, created_at: datetime, ident: UUID) -> bool:
        """True when an item sorts after this cursor (older, newest-first order)."""
        return (as_utc(created_at), ident) < (as_utc(self.created_at), self.id)


@attrs.frozen
class PageRequest:
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None

    @classmethod
    def parse(cls, limit: object = None, cursor: object = None) -> PageRequest:
        """From raw query values: ``limit`` 1-100 (default 20), ``cursor`` opaque or absent."""
        size = DEFAULT_LIMIT
        if limit is not None and limit != "":
            try:
                size = int(str(limit))
            except ValueError:
                raise ValidationFailed(fields={"limit": "must be an integer"}) from None
            if not 1 <= size <= MAX_LIMIT:
                raise ValidationFailed(fields={"limit": f"must be between 1 and {MAX_LIMIT}"})
        after = Cursor.decode(str(cursor)) if cursor else None
        return cls(limit=size, after=after)


@attrs.frozen
class Page(Generic[T]):
    items: tuple[T, ...]
    has_more: bool
    next_cursor: str | None

    @classmethod
    def from_rows(cls, rows: Sequence[T], request: PageRequest) -> Page[T]:
        """Build a page from up to ``limit + 1`` rows sorted newest first."""
        has_more = len(rows) > request.limit
        items = tuple(rows[: request.limit])
        cursor = None
        if has_more and items:
            last = items[-1]
            cursor = Cursor(last.created_at, last.id).encode()
        return cls(items=items, has_more=has_more, next_cursor=cursor)
