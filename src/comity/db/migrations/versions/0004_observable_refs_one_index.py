"""observable refs: one index (the unique constraint's leading columns serve value lookups)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intel_observable_refs", schema=None) as batch_op:
        batch_op.drop_index("ix_intel_observable_refs_value")


def downgrade() -> None:
    with op.batch_alter_table("intel_observable_refs", schema=None) as batch_op:
        batch_op.create_index("ix_intel_observable_refs_value", ["obs_type", "value"], unique=False)
