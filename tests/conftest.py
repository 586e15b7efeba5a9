"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is found at ``COMITY_TEST_POSTGRES_URL`` (default: the local server on
127.0.0.1:5432, user postgres). When it is unreachable its tests are skipped with that reason,
unless ``COMITY_REQUIRE_POSTGRES=1`` (as in CI), which turns that into a failure.

Migrations run once per test session and backend; each test runs in a transaction that is
rolled back at its end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from comity.context import NodeContext
from comity.core.settings import load_settings
from comity.db import migrate
from comity.db.engine import make_engine
from comity.identity.services import Actor, init_node, resolve_actor
from comity.intel.correlation import CorrelationPolicy

PG_URL = os.environ.get(
    "COMITY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("COMITY_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# Hypothesis's per-example deadline is a timing assertion, and tests never assert timing: a
# first example that imports a library on a loaded machine must not fail the suite.
hypothesis_settings.register_profile("comity", deadline=None)
hypothesis_settings.load_profile("comity")


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL unreachable at {PG_URL}: {type(exc).__name__}"
    return None


_PG_PROBLEM = _pg_available()


def skip_without_pg(backend: str) -> None:
    """Skip (or, in CI, fail) a PostgreSQL test when the server is unreachable."""
    if backend == "postgresql" and _PG_PROBLEM:
        if REQUIRE_PG:
            pytest.fail(_PG_PROBLEM)
        pytest.skip(_PG_PROBLEM)


def pg_schema_url(schema: str) -> str:
    """A PostgreSQL URL whose connections use ``schema``."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def create_pg_schema() -> str:
    """Create an empty schema for one test session or node and return its name."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return schema


def drop_pg_schema(schema: str) -> None:
    """Remove a schema made by :func:`create_pg_schema`."""
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test."""
    skip_without_pg(request.param)
    return str(request.param)


def _migrated(backend: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, str | None]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'comity.db'}"
        schema = None
    else:
        schema = create_pg_schema()
        url = pg_schema_url(schema)
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine, schema


@pytest.fixture(scope="session")
def migrated_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine on a freshly migrated database (once per session and backend)."""
    engine, schema = _migrated(backend, tmp_path_factory)
    yield engine
    engine.dispose()
    if schema:
        drop_pg_schema(schema)


@pytest.fixture(scope="session")
def peer_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A second migrated database, for a second node (each node has its own database)."""
    engine, schema = _migrated(backend, tmp_path_factory)
    yield engine
    engine.dispose()
    if schema:
        drop_pg_schema(schema)


def _rolled_back(engine: Engine) -> Iterator[sessionmaker[Session]]:
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    yield factory
    outer.rollback()
    connection.close()


@pytest.fixture
def db_session_factory(migrated_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions joined to one outer transaction, rolled back after the test."""
    yield from _rolled_back(migrated_engine)


@pytest.fixture
def peer_session_factory(peer_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Like :func:`db_session_factory`, on the second node's database."""
    yield from _rolled_back(peer_engine)


@dataclass
class Node:
    """A node under test: its context, home and administrator."""

    ctx: NodeContext
    home: Path
    admin_token: str

    def actor(self, username: str | None = None) -> Actor:
        """Resolve a user of this node (default: the administrator)."""
        with self.ctx.transaction() as session:
            return resolve_actor(session, username)

    @property
    def policy(self) -> CorrelationPolicy:
        """The node's correlation policy (its settings' warning lists and cap)."""
        return CorrelationPolicy.for_settings(self.ctx.settings)


def make_node(
    tmp_path: Path,
    migrated_engine: Engine,
    factory: sessionmaker[Session],
    code: str = "CBI",
    country: str = "IN",
    name: str = "Central Bureau of Investigation",
    timezone: str = "Asia/Kolkata",
) -> Node:
    """Initialize a node in ``tmp_path`` on the test's rolled-back transaction.

    One database holds one node: for a second node use the ``us_node`` fixture (its own
    database), not a second call on the same engine.
    """
    home = tmp_path / code.lower()
    settings = load_settings(
        home=home, database_url=str(migrated_engine.url.render_as_string(False))
    )
    ctx = NodeContext(settings, engine=migrated_engine, sessions=factory)
    summary: dict[str, Any] = init_node(
        ctx, agency=name, code=code, country=country, timezone=timezone, migrate_schema=False
    )
    return Node(ctx, home, summary["admin"]["token"])


@pytest.fixture
def node(
    tmp_path: Path, migrated_engine: Engine, db_session_factory: sessionmaker[Session]
) -> Node:
    """An initialized CBI (India) node whose database changes are rolled back."""
    return make_node(tmp_path, migrated_engine, db_session_factory)


@pytest.fixture
def us_node(
    tmp_path: Path, peer_engine: Engine, peer_session_factory: sessionmaker[Session]
) -> Node:
    """A second node, the FBI's (US), with its own database, rolled back after the test.

    Two nodes never share a database: use ``node`` and ``us_node`` together for transfers.
    """
    return make_node(
        tmp_path,
        peer_engine,
        peer_session_factory,
        code="FBI",
        country="US",
        name="Federal Bureau of Investigation",
        timezone="America/New_York",
    )


def remove_append_only(session: Session, backend: str, table: str) -> None:
    """Simulate a database administrator removing a table's append-only triggers.

    Tests use it to check that verification still detects what such a person changes.
    """
    if backend == "postgresql":
        session.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
    else:
        session.execute(text(f"DROP TRIGGER {table}_no_update"))
        session.execute(text(f"DROP TRIGGER {table}_no_delete"))


@dataclass
class CliResult:
    """What a ``comity`` process printed and returned."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """Parse standard output as JSON."""
        import json

        return json.loads(self.out)


@dataclass
class CliNode:
    """A node driven through the real ``comity`` command in its own home and database."""

    home: Path
    env: dict[str, str]

    def run(
        self, *args: str, user: str | None = None, check: bool = False, timeout: float = 300
    ) -> CliResult:
        """Run ``comity ARGS`` as a separate process."""
        env = dict(self.env)
        if user:
            env["COMITY_USER"] = user
        proc = subprocess.run(
            [sys.executable, "-m", "comity.cli.main", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        result = CliResult(proc.returncode, proc.stdout, proc.stderr)
        if check and result.code != 0:
            raise AssertionError(f"comity {' '.join(args)} exited {result.code}: {result.err}")
        return result


@pytest.fixture
def cli_node_factory(backend: str, tmp_path: Path) -> Iterator[Any]:
    """Make nodes driven by the CLI, each with its own home and database on ``backend``."""
    schemas: list[str] = []

    def factory(name: str) -> CliNode:
        home = tmp_path / name
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMITY_")}
        env["COMITY_HOME"] = str(home)
        if backend == "postgresql":
            schema = create_pg_schema()
            schemas.append(schema)
            env["COMITY_DATABASE_URL"] = pg_schema_url(schema)
        return CliNode(home, env)

    yield factory
    for schema in schemas:
        drop_pg_schema(schema)
