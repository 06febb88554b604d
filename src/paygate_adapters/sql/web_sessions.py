"""``SqlWebSessions``: the ``WebSessions`` port (dashboard sessions) over the ``web_sessions``
table of migration 0009, shared by every worker process on the database.

Each call is its own short transaction beside the units of work, never inside one: a read
uses the factory's ``read_first`` (on a SQLite file, the thread's held read connection); a
write queues on the SQLite writer lock like a writing unit of work, then runs one statement.
Callers run the writes on a worker thread, where no group-commit batch is open.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.sql.dml import Delete, Insert, Update

from paygate_adapters.sql.engine import BEGIN_MODE
from paygate_adapters.sql.faults import note_write_succeeded, storage_unavailable
from paygate_adapters.sql.prepared import Prepared
from paygate_adapters.sql.tables import web_sessions
from paygate_adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from paygate_core.web_sessions import WebSession

__all__ = ["SqlWebSessions"]

_t = web_sessions.c
_GET = Prepared(
    select(_t.digest, _t.user_id, _t.created_at, _t.last_seen_at).where(
        _t.digest == bindparam("key_digest")
    )
)


def _session(row: Any) -> WebSession:
    return WebSession(
        digest=row.digest,
        user_id=row.user_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
    )


class SqlWebSessions:
    def __init__(self, factory: SqlUnitOfWorkFactory) -> None:
        self._factory = factory

    def add(self, session: WebSession) -> None:
        self._write(
            insert(web_sessions),
            {
                "digest": session.digest,
                "user_id": session.user_id,
                "created_at": session.created_at,
                "last_seen_at": session.last_seen_at,
            },
        )

    def get(self, digest: str) -> WebSession | None:
        row = self._factory.read_first(_GET, {"key_digest": digest})
        return None if row is None else _session(row)

    def touch(self, digest: str, seen_at: datetime) -> None:
        self._write(
            update(web_sessions)
            .where(_t.digest == bindparam("key_digest"), _t.last_seen_at < bindparam("seen_at"))
            .values(last_seen_at=bindparam("seen_at")),
            {"key_digest": digest, "seen_at": seen_at},
        )

    def remove(self, digest: str) -> None:
        self._write(
            delete(web_sessions).where(_t.digest == bindparam("key_digest")), {"key_digest": digest}
        )

    def purge(self, *, idle_before: datetime, started_before: datetime) -> int:
        statement = delete(web_sessions).where(
            or_(
                _t.last_seen_at < bindparam("idle_before"),
                _t.created_at < bindparam("started_before"),
            )
        )
        return self._write(
            statement, {"idle_before": idle_before, "started_before": started_before}
        )

    def _write(self, statement: Insert | Update | Delete, params: Mapping[str, Any]) -> int:
        """Run one writing statement in its own transaction; the rows it touched."""
        try:
            with self._connection() as connection, connection.begin():
                count = connection.execute(statement, params).rowcount
        except Exception as exc:
            fault = storage_unavailable(exc, writer=self._factory.engine)
            if fault is None:
                raise
            raise fault from exc
        note_write_succeeded(self._factory.engine)
        return int(count)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        engine = self._factory.engine
        with ExitStack() as held:
            if engine.dialect.name == "sqlite":
                held.enter_context(self._factory.writer_lock.held())
                connection = held.enter_context(engine.connect())
                connection.execution_options(**{BEGIN_MODE: "IMMEDIATE"})
            else:
                connection = held.enter_context(engine.connect())
            yield connection
