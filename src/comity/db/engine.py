"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from comity.core.errors import ServiceUnavailable

_log = logging.getLogger(__name__)

SQLITE_CACHE_KIB = 65536
"""SQLite page cache per connection, in KiB (memory is taken only as pages are used)."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite, enable foreign keys and WAL, and begin writes immediately.

    SQLite's page cache is raised to 64 MiB per connection (from 2 MiB): bulk imports touch
    every page of several indexes, and with the small default they re-read and spill pages.

    SQLite transactions start with ``BEGIN IMMEDIATE`` so two writers queue instead of
    deadlocking when both upgrade a read lock (SQLAlchemy's documented pysqlite recipe).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory that keeps loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session in a transaction: committed on success, rolled back on any error."""
    session = factory()
    try:
        with session.begin():
            yield session
    except OperationalError as exc:
        # The driver's text can name hosts and users: it goes to the log, not to the caller.
        _log.warning("database unavailable: %s", exc.orig)
        raise ServiceUnavailable("the database is unavailable") from exc
    finally:
        session.close()
