"""Custody ledger appends: 100,000 events through ``append_event`` against plain INSERTs.

Each round makes a fresh SQLite node home (a real :class:`NodeContext`), ingests 100 small
items, then appends 100,000 ``accessed`` events round-robin over them with
:func:`comity.evidence.ledger.append_event`, 1,000 events per transaction: each builds the
canonical body, hashes it onto the chain and re-signs the item's head (Ed25519). The anchor,
alternately and on the same engine and database, is the same number of plain single-row
INSERTs of rows of the same size (same columns, body as long as ours) into a scratch table, in
transactions of the same size: the ratio ``ours / anchor`` in events per second shows what the
ORM, hashing and signing cost on top of storing the rows.

    .venv/bin/python bench/bench_ledger_append.py           # 100,000 events, 3 rounds
    .venv/bin/python bench/bench_ledger_append.py --quick   # 300 events, 1 round
"""

from __future__ import annotations

import secrets
import shutil
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    insert,
)

import _common as c

NAME = "ledger_append"
TITLE = "append_event x 100,000 (SQLite) vs plain INSERTs of equal rows"
ITEMS = 100
PLACE = "Forensic laboratory, Hyderabad"
PURPOSE = "examination for the benchmark"
AUTHORITY = "order 12/2026"

_meta = MetaData()
PLAIN = Table(
    "bench_plain_rows",
    _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", Uuid, unique=True),
    Column("item_id", Uuid, index=True),
    Column("item_seq", Integer),
    Column("action", String(16)),
    Column("at", DateTime),
    Column("body", Text),
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
)


def main() -> int:
    args = c.parse_args(__doc__ or NAME, default_repeat=3)
    events = 300 if args.quick else 100_000
    batch = 100 if args.quick else 1_000
    items = 10 if args.quick else ITEMS
    mine: list[c.Timing] = []
    theirs: list[c.Timing] = []
    body_sizes: list[int] = []
    for i in range(args.repeat):
        home = c.fresh_home(f"append-{i}")
        ctx, case = c.init_node_home(home)
        item_ids = _make_items(ctx, case, items)
        size = _body_size(ctx, item_ids[0])
        body_sizes.append(size)
        if i % 2 == 0:
            mine.append(_ours(ctx, item_ids, events, batch))
            theirs.append(_anchor(ctx, item_ids, events, batch, size))
        else:
            theirs.append(_anchor(ctx, item_ids, events, batch, size))
            mine.append(_ours(ctx, item_ids, events, batch))
        ctx.dispose()
        shutil.rmtree(home)

    ours_s = c.median([t.seconds for t in mine])
    anchor_s = c.median([t.seconds for t in theirs])
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="events per second (median)",
        ours=events / ours_s,
        anchor=events / anchor_s,
        anchor_name="plain INSERTs",
        ratio=anchor_s / ours_s,
        goal="none (report)",
        met=None,
        params={"events": events, "batch": batch, "items": items, "rounds": args.repeat},
        extra={
            "ours_s": round(ours_s, 2),
            "anchor_s": round(anchor_s, 2),
            "body_bytes_mean": round(c.median(body_sizes), 1),
            "others_cpu_s_median": round(c.median([t.others_cpu for t in mine]), 2),
        },
        samples={
            "ours_s": [round(t.seconds, 3) for t in mine],
            "anchor_s": [round(t.seconds, 3) for t in theirs],
        },
    )
    c.save(result, args.quick)
    return 0


def _make_items(ctx: Any, case: str, count: int) -> list[uuid.UUID]:
    from comity.evidence.ingest import IngestOptions, ingest

    folder = c.OUT / "append-items"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for n in range(count):
        (folder / f"file{n:04d}.bin").write_bytes(secrets.token_bytes(64))
    summaries, _warnings = ingest(ctx, None, case, [folder], IngestOptions(examiner="bench"))
    shutil.rmtree(folder)
    return [uuid.UUID(s["id"]) for s in summaries]


def _body_size(ctx: Any, item_id: uuid.UUID) -> int:
    """The length of one of the event bodies the run appends (all are within a few bytes)."""
    from comity.evidence.ledger import event_body
    from comity.evidence.models import EvidenceItem
    from comity.identity.services import resolve_actor

    with ctx.transaction() as session:
        actor = resolve_actor(session, None)
        item = session.get_one(EvidenceItem, item_id)
        body = event_body(
            event_id=uuid.uuid4(),
            item=item,
            seq=500,
            action="accessed",
            at=datetime.now(UTC),
            timezone="Asia/Kolkata",
            actor=actor,
            node_fingerprint=ctx.keys.signing_fingerprint,
            prev_hash="0" * 64,
            place=PLACE,
            purpose=PURPOSE,
            authority=AUTHORITY,
            details={"n": 50_000},
        )
    return len(body)


def _ours(ctx: Any, item_ids: list[uuid.UUID], events: int, batch: int) -> c.Timing:
    from comity.evidence.ledger import append_event
    from comity.evidence.models import EvidenceItem
    from comity.identity.services import resolve_actor

    with c.timed() as box:
        done = 0
        while done < events:
            with ctx.transaction() as session:
                actor = resolve_actor(session, None)
                items = [session.get_one(EvidenceItem, i) for i in item_ids]
                for k in range(done, min(done + batch, events)):
                    append_event(
                        session,
                        ctx,
                        actor,
                        items[k % len(items)],
                        "accessed",
                        place=PLACE,
                        purpose=PURPOSE,
                        authority=AUTHORITY,
                        details={"n": k},
                    )
            done = min(done + batch, events)
    return box[0]


def _anchor(ctx: Any, item_ids: list[uuid.UUID], events: int, batch: int, size: int) -> c.Timing:
    engine = ctx.engine
    _meta.create_all(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {
            "id": uuid.uuid4(),
            "item_id": item_ids[k % len(item_ids)],
            "item_seq": k // len(item_ids) + 1,
            "action": "accessed",
            "at": now,
            "body": "x" * size,
            "prev_hash": secrets.token_hex(32),
            "hash": secrets.token_hex(32),
        }
        for k in range(events)
    ]
    stmt = insert(PLAIN)
    with c.timed() as box:
        for start in range(0, events, batch):
            with engine.begin() as conn:
                for row in rows[start : start + batch]:
                    conn.execute(stmt, row)
    return box[0]


if __name__ == "__main__":
    sys.exit(main())
