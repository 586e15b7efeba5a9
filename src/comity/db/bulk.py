"""Fast inserts of many rows, for imports of 100,000 objects and more.

    insert_many(session, IntelObject, rows)   # rows: list of dicts, same keys

SQLAlchemy's executemany builds each row's parameters through the compiled statement, which
costs more than the database itself at this scale. Here the statement is compiled once, each
column's bind processor (UUIDs on SQLite, UTC datetimes...) is applied directly, and the rows
go to the driver's ``executemany`` in the caller's transaction. Columns left out get their
Python-side default (``default=...`` on the model), computed once for the whole batch.

On PostgreSQL, a batch of :data:`ANALYZE_ROWS` rows or more is followed by ``ANALYZE`` of the
table, as PostgreSQL's documentation advises after bulk loading: with statistics from before
the load, the planner takes a grown table for a small one and answers the next import's
lookups (``stix_id IN (…)`` within a collection) by scanning the whole collection each time.
Autovacuum would correct them later, or never where it is turned off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

from comity.db.base import Base

_POSITIONAL = ("qmark", "numeric", "format")

ANALYZE_ROWS = 5_000
"""A batch this large refreshes the table's planner statistics on PostgreSQL."""


def insert_many(
    session: Session,
    model: type[Base],
    rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
    *,
    columns: Sequence[str] | None = None,
) -> None:
    """Insert ``rows`` into ``model``'s table, in the session's transaction.

    Rows are mappings with the same keys, or — faster — tuples whose values are the
    ``columns`` named, in that order.
    """
    if not rows:
        return
    table = cast(Table, model.__table__)
    connection = session.connection()
    dialect = connection.dialect
    if columns is None:
        mappings = cast(Sequence[Mapping[str, Any]], rows)
        names = list(mappings[0])
        values = {key: [row[key] for row in mappings] for key in names}
    else:
        names = list(columns)
        values = dict(zip(names, (list(v) for v in zip(*rows, strict=True)), strict=True))
    for key, default in _defaults(table, set(names)).items():
        names.append(key)
        values[key] = [default] * len(rows)
    compiled = table.insert().compile(dialect=dialect, column_keys=names)
    order = list(compiled.positiontup or names) if dialect.paramstyle in _POSITIONAL else names
    columns_out = [values[key] for key in order]
    for index, key in enumerate(order):
        processor = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            columns_out[index] = _processed(columns_out[index], processor)
    if dialect.paramstyle in _POSITIONAL:
        params: list[Any] = list(zip(*columns_out, strict=True))
    else:
        params = [dict(zip(order, row, strict=True)) for row in zip(*columns_out, strict=True)]
    connection.exec_driver_sql(str(compiled), params)
    if dialect.name == "postgresql" and len(rows) >= ANALYZE_ROWS:
        connection.exec_driver_sql(f"ANALYZE {dialect.identifier_preparer.format_table(table)}")


def _processed(values: list[Any], processor: Callable[[Any], Any]) -> list[Any]:
    """``values`` through ``processor``, each distinct value once (ids and dates repeat)."""
    if values and values.count(values[0]) == len(values):  # one value for the whole batch
        first = values[0]
        return [None if first is None else processor(first)] * len(values)
    done: dict[Any, Any] = {}
    result: list[Any] = []
    for raw in values:
        if raw is None:
            result.append(None)
            continue
        try:
            converted = done[raw]
        except KeyError:
            converted = done[raw] = processor(raw)
        except TypeError:  # unhashable: convert every time
            converted = processor(raw)
        result.append(converted)
    return result


def _defaults(table: Table, given: set[str]) -> dict[str, Any]:
    """Values for the columns not given that have a Python-side scalar or callable default."""
    values: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.key in given or default is None:
            continue
        if isinstance(default, ScalarElementColumnDefault):
            values[column.key] = default.arg
        elif isinstance(default, CallableColumnDefault):
            values[column.key] = default.arg(None)  # type: ignore[arg-type]  # no context used
    return values
