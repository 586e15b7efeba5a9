"""The database layer: declarative base, engine and sessions, Alembic migrations."""
