"""Default implementations of the stateless ports: the system clock and identifiers."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

__all__ = ["SystemClock", "UUID4Ids", "UUID7Ids", "uuid7"]

_MS_MASK = (1 << 48) - 1
_RAND_B_MASK = (1 << 62) - 1


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UUID4Ids:
    """Random UUIDs (version 4)."""

    def new_id(self) -> uuid.UUID:
        return uuid.uuid4()


class UUID7Ids:
    """Time-ordered UUIDs (version 7, RFC 9562): the server's default (ADR 0008).

    New rows of a table land at the end of its primary-key index instead of on a random
    page, so a commit writes a few pages rather than one per row; 74 random bits keep the
    ids as unguessable as they need to be (every route checks ownership anyway)."""

    def new_id(self) -> uuid.UUID:
        return uuid7()


def uuid7(unix_ms: int | None = None, random_bits: bytes | None = None) -> uuid.UUID:
    """A version-7 UUID: 48 bits of Unix time in milliseconds, then 74 random bits."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand = int.from_bytes(os.urandom(10) if random_bits is None else random_bits, "big")
    value = (
        (ms & _MS_MASK) << 80
        | 0x7 << 76
        | (rand >> 68 & 0xFFF) << 64
        | 0b10 << 62
        | rand & _RAND_B_MASK
    )
    return uuid.UUID(int=value)
