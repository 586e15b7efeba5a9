"""The running node: settings, database, keys — built once and passed to services.

The CLI builds one per command and the web application one per process::

    ctx = NodeContext(load_settings())
    with ctx.transaction() as session:
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from comity.core.errors import ConfigurationError
from comity.core.keys import NodeKeys
from comity.core.settings import Settings
from comity.db.engine import make_engine, session_factory, transaction

ADDRESS_KEY_FILE = "address.key"
RETIRED_DIR = "retired"


class NodeContext:
    """Everything a service needs to reach the node's database, keys and store."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self.settings = settings
        self._engine = engine
        # Facts about the node that never change while it runs (its time zone), memoized.
        self.memo: dict[str, Any] = {}
        if sessions is not None:
            # Tests bind sessions to a connection whose transaction they roll back.
            self.__dict__["sessions"] = sessions

    @cached_property
    def engine(self) -> Engine:
        """The database engine (created on first use)."""
        if self._engine is None:
            if self.settings.database_url is None:
                self.settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._engine = make_engine(self.settings.database)
        return self._engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory."""
        return session_factory(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction, committed on success."""
        with transaction(self.sessions) as session:
            yield session

    @cached_property
    def keys(self) -> NodeKeys:
        """The node's private keys (read on first use)."""
        return NodeKeys.load(self.settings.keys_dir, self.settings.passphrase)

    def retired_keys(self) -> dict[str, NodeKeys]:
        """Retired key pairs by encryption-key fingerprint (they open blobs sealed earlier)."""
        found: dict[str, NodeKeys] = {}
        base = self.settings.keys_dir / RETIRED_DIR
        if base.is_dir():
            for folder in sorted(p for p in base.iterdir() if p.is_dir()):
                keys = NodeKeys.load(folder, self.settings.passphrase)
                found[keys.encryption_fingerprint] = keys
        return found

    @cached_property
    def address_key(self) -> bytes:
        """The secret that keys blob addresses (HMAC over each blob's SHA-256)."""
        path: Path = self.settings.keys_dir / ADDRESS_KEY_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ConfigurationError("the node is not initialized: run 'comity init'") from exc
        if len(data) != 32:
            raise ConfigurationError(f"{path.name} is damaged")
        return data

    def dispose(self) -> None:
        """Release database connections."""
        if self._engine is not None:
            self._engine.dispose()
