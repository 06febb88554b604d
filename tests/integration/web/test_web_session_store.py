"""The ``WebSessions`` port: the SQL adapter answers as the in-memory reference does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from paygate_core.gateway import Paygate
from paygate_core.ports import WebSessions
from paygate_core.testing import InMemoryStore
from paygate_core.use_cases.auth import RegisterAdmin
from paygate_core.web_sessions import WebSession
from paygate_http import Settings
from paygate_http.process.wiring import build_dashboard_sessions

T0 = datetime(2026, 10, 6, 10, 30, tzinfo=UTC)


@pytest.fixture
def store(settings: Settings, paygate: Paygate) -> WebSessions:
    return build_dashboard_sessions(settings, paygate).store


@pytest.fixture
def user_id(paygate: Paygate) -> UUID:
    registration = paygate.register_admin(
        RegisterAdmin(email="a@example.com", name="A", password="s3cret-pass")
    )
    return registration.user.id


def _session(digest: str, user_id: UUID, started: datetime, seen: datetime) -> WebSession:
    return WebSession(digest=digest, user_id=user_id, created_at=started, last_seen_at=seen)


def test_a_session_is_kept_touched_forward_only_and_removed(
    store: WebSessions, user_id: UUID
) -> None:
    store.add(_session("a" * 64, user_id, T0, T0))
    assert store.get("a" * 64) == _session("a" * 64, user_id, T0, T0)
    assert store.get("b" * 64) is None
    store.touch("a" * 64, T0 + timedelta(minutes=5))
    store.touch("a" * 64, T0 + timedelta(minutes=1))  # never moves back
    store.touch("b" * 64, T0)  # unknown: ignored
    kept = store.get("a" * 64)
    assert kept is not None
    assert kept.last_seen_at == T0 + timedelta(minutes=5)
    assert kept.created_at == T0
    store.remove("a" * 64)
    store.remove("a" * 64)
    assert store.get("a" * 64) is None


def test_purge_removes_idle_and_too_old_sessions_only(store: WebSessions, user_id: UUID) -> None:
    now = T0 + timedelta(hours=13)
    store.add(_session("1" * 64, user_id, T0, now))  # too old
    store.add(
        _session("2" * 64, user_id, now - timedelta(hours=1), now - timedelta(minutes=31))
    )  # idle
    store.add(_session("3" * 64, user_id, now - timedelta(hours=1), now))  # alive
    removed = store.purge(
        idle_before=now - timedelta(minutes=30), started_before=now - timedelta(hours=12)
    )
    assert removed == 2
    assert [d for d in ("1" * 64, "2" * 64, "3" * 64) if store.get(d)] == ["3" * 64]


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
def test_the_memory_store_is_the_in_process_default(settings: Settings) -> None:
    from paygate_core.testing.memory import InMemoryWebSessions
    from paygate_http.process.wiring import build_paygate

    paygate = build_paygate(settings, InMemoryStore().unit_of_work)
    assert isinstance(build_dashboard_sessions(settings, paygate).store, InMemoryWebSessions)
