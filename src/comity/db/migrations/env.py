"""Alembic environment: runs online against the engine handed in by comity.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from comity.db.registry import all_metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through comity.db.migrate")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=all_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
