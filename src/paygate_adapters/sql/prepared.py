"""The hottest statements, run on SQLite's driver cursor with SQLAlchemy's own compilation.

An API-key lookup or a payment's insert takes SQLite 2-20 us and SQLAlchemy's execution
machinery (events, execution context, result metadata) 20-60 us more, on every request.
``Prepared`` keeps what SQLAlchemy would do for the statement (its SQL for the dialect,
the order of its parameters, each column type's bind and result processors: public
``compile`` and ``TypeEngine`` APIs) and on SQLite runs it directly on the connection's
driver cursor, inside the transaction SQLAlchemy began. Driver errors come out as
SQLAlchemy's ``DBAPIError`` subclasses, as they would through ``Connection.execute``. On
other databases (PostgreSQL: a network round trip, where this saving is noise) it is plain
``Connection.execute``.

Rows come back as named tuples: attribute access, like SQLAlchemy's ``Row``.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import Connection, Delete, Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["Prepared"]

_Processor = Callable[[Any], Any] | None
Statement = Select[Any] | Insert | Update | Delete


_Steps = tuple[tuple[int, Callable[[Any], Any]], ...]


@attrs.frozen
class _Plan:
    sql: str
    names: tuple[str, ...]
    binds: _Steps  # (position, processor) of the parameters that have one
    row: type[tuple[Any, ...]] | None
    columns: _Steps  # the same for the result columns


def _steps(processors: Sequence[_Processor]) -> _Steps:
    # Only the positions that convert: most columns (text, integers) pass through as-is.
    return tuple(
        (index, convert) for index, convert in enumerate(processors) if convert is not None
    )


class Prepared:
    """One statement; ``columns`` names the parameters of an ``INSERT``'s ``VALUES``."""

    def __init__(self, statement: Statement, *, columns: Sequence[str] | None = None) -> None:
        self.statement = statement
        self._columns = list(columns) if columns is not None else None
        self._plans: dict[str, _Plan] = {}

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> None:
        """Run a statement that returns no rows."""
        if connection.dialect.name != "sqlite":
            connection.execute(self.statement, params)
            return
        self._run(connection, self._plan(connection.dialect), params).close()

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Any | None:
        """The first row, or None."""
        if connection.dialect.name != "sqlite":
            return connection.execute(self.statement, params).first()
        plan = self._plan(connection.dialect)
        cursor = self._run(connection, plan, params)
        try:
            raw = cursor.fetchone()
        finally:
            cursor.close()
        return None if raw is None else _converted(plan, raw)

    def all(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row."""
        if connection.dialect.name != "sqlite":
            return list(connection.execute(self.statement, params).all())
        plan = self._plan(connection.dialect)
        cursor = self._run(connection, plan, params)
        try:
            raws = cursor.fetchall()
        finally:
            cursor.close()
        return [_converted(plan, raw) for raw in raws]

    def first_on_its_own(
        self,
        connection: Connection,
        params: Mapping[str, Any],
    ) -> Any | None:
        """The first row of a read that is its own implicit transaction: ``connection`` is
        a SQLite one outside any transaction, and stays so (no ``BEGIN``/``ROLLBACK``)."""
        plan = self._plan(connection.dialect)
        # fetchall: the statement runs to its end, and its read transaction ends with it.
        rows = _execute(connection, plan, _values(plan, params)).fetchall()
        return _converted(plan, rows[0]) if rows else None

    def _run(
        self, connection: Connection, plan: _Plan, params: Mapping[str, Any]
    ) -> sqlite3.Cursor:
        values = _values(plan, params)
        if not connection.in_transaction():
            connection.begin()  # what SQLAlchemy's autobegin would do (our BEGIN hook)
        return _execute(connection, plan, values)

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect, self._columns)
        return plan


def _values(plan: _Plan, params: Mapping[str, Any]) -> list[Any]:
    values = [params[name] for name in plan.names]
    for index, convert in plan.binds:
        values[index] = convert(values[index])
    return values


def _execute(connection: Connection, plan: _Plan, values: list[Any]) -> sqlite3.Cursor:
    driver = connection.connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    try:
        cursor: sqlite3.Cursor = driver.execute(plan.sql, values)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(plan.sql, values, exc, sqlite3.Error) from exc
    return cursor


def _converted(plan: _Plan, raw: Sequence[Any]) -> Any:
    assert plan.row is not None
    values = list(raw)
    for index, convert in plan.columns:
        values[index] = convert(values[index])
    return plan.row(*values)


def _compile(statement: Statement, dialect: Dialect, columns: list[str] | None) -> _Plan:
    compiled = statement.compile(dialect=dialect, column_keys=columns)
    assert isinstance(compiled, SQLCompiler)
    if not compiled.positional or compiled.positiontup is None:
        raise ValueError(f"{dialect.name} does not take positional parameters")
    names = tuple(compiled.positiontup)
    binds = _steps(
        [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    )
    selected = getattr(statement, "selected_columns", None)
    if selected is None:
        return _Plan(compiled.string, names, binds, None, ())
    keys = [column.key for column in selected]
    row = namedtuple("Record", keys, rename=False)  # type: ignore[misc]
    processors = _steps(
        [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected]
    )
    return _Plan(compiled.string, names, binds, row, processors)
