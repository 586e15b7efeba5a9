"""Migrations and models agree, on every backend; upgrades are repeatable."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from comity.db import migrate


def test_models_and_migrations_agree(migrated_engine: Engine) -> None:
    assert migrate.schema_differences(migrated_engine) == []


def test_database_is_at_the_newest_revision(migrated_engine: Engine) -> None:
    assert migrate.current_revision(migrated_engine) == migrate.head_revision(migrated_engine)
    migrate.upgrade(migrated_engine)  # running again changes nothing
    assert migrate.schema_differences(migrated_engine) == []


def test_every_model_table_exists(migrated_engine: Engine) -> None:
    from comity.db.registry import all_metadata

    tables = set(inspect(migrated_engine).get_table_names())
    assert set(all_metadata().tables) <= tables
