"""What every repository of one unit of work shares: its connection and its rollup deltas."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, Select, Table, literal, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

from paygate_adapters.sql.prepared import Prepared
from paygate_adapters.sql.rollup import RollupDeltas, RollupRecorder, TriggerMaintained
from paygate_core.pagination import Keyed, Page, PageRequest

__all__ = ["WorkConnection"]

T = TypeVar("T", bound=Keyed)
R = TypeVar("R")


class WorkConnection:
    """One unit of work's connection, mode, and the statistics it has yet to write."""

    def __init__(self, connection: Connection, *, read_only: bool) -> None:
        self._connection = connection
        self._before_next_use: Callable[[], None] | None = None
        self.read_only = read_only
        self.is_sqlite = connection.dialect.name == "sqlite"
        self.rollup: RollupRecorder = TriggerMaintained() if self.is_sqlite else RollupDeltas()

    @property
    def connection(self) -> Connection:
        """The connection every statement runs on (after the pending ``before_next_use``)."""
        if self._before_next_use is not None:
            hook, self._before_next_use = self._before_next_use, None
            hook()
        return self._connection

    def before_next_use(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once, when a statement next asks for the connection (a unit of work
        that committed inside a group-commit batch opens its next savepoint only if used)."""
        self._before_next_use = hook

    def upsert(self, table: Table) -> PgInsert | SqliteInsert:
        """``INSERT`` with the dialect's ``ON CONFLICT`` clauses (SQLite >= 3.24, PG)."""
        if self.is_sqlite:
            return sqlite.insert(table)
        return postgresql.insert(table)

    def locks(self, for_update: bool) -> bool:
        """Whether a read asked ``for_update`` takes row locks: on PostgreSQL in a writing
        unit of work. SQLite needs none: a writing unit of work holds the database's single
        write lock from its ``BEGIN IMMEDIATE``."""
        return for_update and not self.read_only and not self.is_sqlite

    def flush_rollup(self) -> None:
        """Write pending statistics deltas (before reading statistics, and at commit)."""
        self.rollup.flush(self.connection, datetime.now(UTC))

    def page(
        self,
        stmt: Select[Any],
        table: Table,
        request: PageRequest,
        convert: Callable[[Row[Any]], T],
    ) -> Page[T]:
        """Keyset pagination, newest first on ``(created_at, id)`` of ``table``."""
        created, ident = table.c.created_at, table.c.id
        if request.after is not None:
            stmt = stmt.where(
                tuple_(created, ident)
                < tuple_(
                    literal(request.after.created_at, created.type),
                    literal(request.after.id, ident.type),
                )
            )
        stmt = stmt.order_by(created.desc(), ident.desc()).limit(request.limit + 1)
        return Page.from_rows(list(self.all(stmt, convert)), request)

    def all(self, stmt: Select[Any], convert: Callable[[Row[Any]], R]) -> Sequence[R]:
        return [convert(row) for row in self.connection.execute(stmt)]

    def run(self, statement: Prepared, parameters: Mapping[str, Any]) -> None:
        statement.execute(self.connection, parameters)

    def first(
        self, statement: Prepared, convert: Callable[[Any], R], parameters: Mapping[str, Any]
    ) -> R | None:
        row = statement.first(self.connection, parameters)
        return None if row is None else convert(row)

    def one(
        self,
        stmt: Select[Any],
        convert: Callable[[Row[Any]], R],
        parameters: Mapping[str, Any] | None = None,
    ) -> R | None:
        row = self.connection.execute(stmt, parameters).first()
        return None if row is None else convert(row)
