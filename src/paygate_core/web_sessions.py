"""Dashboard sessions: a signed-in browser as the ``WebSessions`` store keeps it.

The store holds a keyed hash of the cookie's session id, never the id itself, so a read of
the store signs nobody in; ``use_cases.web_sessions`` starts, resumes and ends sessions.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import attrs

__all__ = ["WebSession"]


@attrs.frozen(repr=False)
class WebSession:
    """A signed-in browser: ``digest`` is a keyed hash of the cookie's session id (the raw id
    is never stored), ``last_seen_at`` the last request that kept it alive."""

    digest: str
    user_id: UUID
    created_at: datetime
    last_seen_at: datetime

    def __repr__(self) -> str:
        return f"WebSession(user_id={self.user_id!s})"
