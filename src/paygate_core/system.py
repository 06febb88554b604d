"""Default implementations of the stateless ports: the system clock and random UUIDs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

__all__ = ["SystemClock", "UUID4Ids"]


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UUID4Ids:
    def new_id(self) -> uuid.UUID:
        return uuid.uuid4()
