"""Database triggers that make a table append-only on SQLite and PostgreSQL.

Ledgers and the audit log are append-only: not only the application but the database itself
refuses ``UPDATE`` and ``DELETE`` of their rows.
"""

from __future__ import annotations

from alembic import op


def make_append_only(table: str) -> None:
    """Install triggers refusing UPDATE and DELETE on ``table``."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION comity_refuse_change_{table}() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'comity: {table} is append-only (% refused)', TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION comity_refuse_change_{table}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION comity_refuse_change_{table}()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'comity: {table} is append-only ({operation} refused)'); END"
        )


def drop_append_only(table: str) -> None:
    """Remove the triggers installed by :func:`make_append_only`."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS comity_refuse_change_{table}()")
        return
    for operation in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
