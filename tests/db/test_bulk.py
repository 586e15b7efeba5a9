"""Bulk inserts: the same rows as the ORM would write, defaults and types included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from comity.db.bulk import insert_many
from comity.intel.models import Collection, ObservableRef
from tests.conftest import Node


def test_rows_read_back_as_written_with_defaults(node: Node) -> None:
    before = datetime.now(UTC)
    with node.ctx.transaction() as session:
        collection = Collection(name="bulk", title="bulk", created_by="admin")
        session.add(collection)
        session.flush()
        rows = [
            {
                "obs_type": "phone-number",
                "value": f"+91987654{n:04d}",
                "kind": "intel",
                "ref": f"indicator--{uuid.uuid4()}",
                "agency": "CBI",
                "collection_id": collection.id if n % 2 else None,
                "case_id": None,
                "tlp": "amber" if n % 3 else None,
                "origin_peer_id": None,
            }
            for n in range(250)
        ]
        insert_many(session, ObservableRef, rows)
        insert_many(session, ObservableRef, [])
        stored = session.scalars(select(ObservableRef).order_by(ObservableRef.seq)).all()
        assert [r.value for r in stored] == [r["value"] for r in rows]
        assert [r.collection_id for r in stored] == [r["collection_id"] for r in rows]
        assert [r.tlp for r in stored] == [r["tlp"] for r in rows]
        assert all(r.created_at >= before and r.created_at.tzinfo is not None for r in stored)
        assert len({r.created_at for r in stored}) == 1  # one default for the batch


def test_dates_are_stored_as_the_orm_stores_them(node: Node) -> None:
    """Same text on SQLite, same type on PostgreSQL: SQL comparisons must not see a difference."""
    from sqlalchemy import text

    with node.ctx.transaction() as session:
        orm_made = Collection(name="by-orm", title="t", created_by="admin")
        session.add(orm_made)
        session.flush()
        insert_many(
            session,
            ObservableRef,
            [("phone-number", "+919876543210", "intel", "x", "CBI", None, None, None, None)],
            columns=(
                "obs_type",
                "value",
                "kind",
                "ref",
                "agency",
                "collection_id",
                "case_id",
                "tlp",
                "origin_peer_id",
            ),
        )
        ours = session.execute(text("SELECT created_at FROM intel_observable_refs")).scalar_one()
        theirs = session.execute(
            text("SELECT created_at FROM intel_collections WHERE name = 'by-orm'")
        ).scalar_one()
        assert type(ours) is type(theirs)
        if isinstance(ours, str):
            assert len(ours) == len(theirs) and ours[10] == theirs[10]


def test_a_large_batch_leaves_the_planner_statistics_current(node: Node) -> None:
    """After a bulk load the planner knows the table's size (PostgreSQL: ANALYZE in the
    transaction), so the next lookups use the indexes instead of scanning; SQLite keeps no
    such statistics and the batch is simply stored."""
    from sqlalchemy import func, text

    from comity.db.bulk import ANALYZE_ROWS

    columns = ("obs_type", "value", "kind", "ref", "agency")
    rows = [("url", f"https://x{n}.in/", "intel", f"r{n}", "CBI") for n in range(ANALYZE_ROWS)]
    with node.ctx.transaction() as session:
        insert_many(session, ObservableRef, rows, columns=columns)
        assert session.scalar(select(func.count()).select_from(ObservableRef)) == ANALYZE_ROWS
        if session.get_bind().dialect.name == "postgresql":
            estimated = session.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = 'intel_observable_refs'::regclass")
            ).scalar_one()
            assert estimated >= ANALYZE_ROWS * 0.9
