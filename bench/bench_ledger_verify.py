"""Verifying a 1,000,000-event custody ledger (goal: under 5 s) against a bare SHA-256 loop.

Setup (not timed): a fresh SQLite node; 1,000 items ingested (each with its ``acquired``
event), then 999 more events per item bulk-inserted with valid canonical bodies and a correct
hash chain (bodies are made from one :func:`event_body` per item with the event id, sequence
number and previous hash substituted), and one signed head per item
(:func:`sign_head`). Timed, alternately:

* ours: :func:`comity.evidence.ledger.verify_chains` over every item, called in this process
  with its defaults (the scan split across one process per CPU; with ``--quick`` the
  threshold is set to 0 so that the tiny ledger is split too);
* anchor (the floor): ``SELECT body FROM custody_events`` on the same database and a bare loop
  of ``hashlib.sha256(body)`` over the rows, in one process;
* for comparison, ``verify_chains(..., processes=1)``: the scan in this process alone.

Also timed: the CLI ``comity custody verify --skip-content`` (subprocess, includes start-up).

    .venv/bin/python bench/bench_ledger_verify.py           # 1,000 x 1,000 events, 3 rounds
    .venv/bin/python bench/bench_ledger_verify.py --quick   # 10 x 50 events, 1 round
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text

import _common as c

NAME = "ledger_verify"
TITLE = "verify_chains over 1,000,000 events (SQLite) vs bare SHA-256 of the bodies"
GOAL_S = 5.0
INSERT_BATCH = 20_000


def main() -> int:
    args = c.parse_args(__doc__ or NAME, default_repeat=3)
    items, per_item = (10, 50) if args.quick else (1_000, 1_000)
    home = c.fresh_home("ledger-verify")
    with c.timed() as build:
        ctx, item_ids = _build(home, items, per_item)
    print(f"built {items * per_item:,} events in {build[0].seconds:.1f} s", flush=True)

    events = items * per_item
    threshold = 0 if args.quick else None
    processes = _processes_used(ctx, item_ids, threshold)
    print(f"the scan uses {processes} process(es)", flush=True)

    mine: list[c.Timing] = []
    theirs: list[c.Timing] = []
    single: list[c.Timing] = []
    steps = [
        lambda: theirs.append(_floor(ctx, events)),
        lambda: mine.append(_verify(ctx, item_ids, events, threshold=threshold)),
        lambda: single.append(_verify(ctx, item_ids, events, processes=1)),
    ]
    for i in range(args.repeat):  # alternately, each round starting with the next one
        for n in range(len(steps)):
            steps[(i + n) % len(steps)]()
    ctx.dispose()
    cli_runs = []
    for _ in range(args.repeat):
        timing, out, _rss = c.run_timed(
            c.cli(home, "custody", "verify", "--skip-content", "--json"), env=c.cli_env(home)
        )
        report = json.loads(out)
        if not report["ok"] or report["events"] != items * per_item:
            raise SystemExit(f"comity custody verify failed: {report['first_problem']}")
        cli_runs.append(timing)
    shutil.rmtree(home)

    ours_s = c.median([t.seconds for t in mine])
    anchor_s = c.median([t.seconds for t in theirs])
    single_s = c.median([t.seconds for t in single])
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="seconds (median)",
        ours=ours_s,
        anchor=anchor_s,
        anchor_name="SELECT body + hashlib.sha256 loop",
        ratio=anchor_s / ours_s,
        goal=f"verify_chains < {GOAL_S:g} s",
        met=None if args.quick else ours_s < GOAL_S,
        params={
            "items": items,
            "events_per_item": per_item,
            "rounds": args.repeat,
            "processes": processes,
        },
        extra={
            "events": events,
            "ours_events_per_s": round(events / ours_s),
            "single_process_s": round(single_s, 3),
            "cli_custody_verify_s": round(c.median([t.seconds for t in cli_runs]), 2),
            "build_s": round(build[0].seconds, 1),
            "others_cpu_s_median": round(c.median([t.others_cpu for t in mine]), 2),
        },
        samples={
            "ours_s": [round(t.seconds, 3) for t in mine],
            "anchor_s": [round(t.seconds, 3) for t in theirs],
            "single_process_s": [round(t.seconds, 3) for t in single],
            "cli_s": [round(t.seconds, 3) for t in cli_runs],
        },
    )
    c.save(result, args.quick)
    return 0


def _build(home: Any, items: int, per_item: int) -> tuple[Any, list[uuid.UUID]]:
    """A node whose ledger holds ``items`` x ``per_item`` valid, chained, signed events."""
    from comity.core.hashchain import link_hash
    from comity.evidence.ingest import IngestOptions, ingest
    from comity.evidence.ledger import event_body, sign_head
    from comity.evidence.models import CustodyEvent, EvidenceItem, LedgerHead
    from comity.identity.services import resolve_actor

    ctx, case = c.init_node_home(home)
    folder = c.OUT / "verify-items"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for n in range(items):
        (folder / f"file{n:05d}.bin").write_bytes(secrets.token_bytes(32))
    summaries, _ = ingest(ctx, None, case, [folder], IngestOptions(examiner="bench"))
    shutil.rmtree(folder)
    item_ids = [uuid.UUID(s["id"]) for s in summaries]

    sentinel_id = uuid.UUID(int=0xB1E55ED)
    sentinel_seq = 987_654_321
    sentinel_prev = "f" * 63 + "e"
    moment = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    table = CustodyEvent.__table__
    with ctx.transaction() as session:
        actor = resolve_actor(session, None)
        fingerprint = ctx.keys.signing_fingerprint
        heads = {h.item_id: h for h in session.scalars(select(LedgerHead))}
        rows: list[dict[str, Any]] = []
        for item in session.scalars(select(EvidenceItem)):
            template = event_body(
                event_id=sentinel_id,
                item=item,
                seq=sentinel_seq,
                action="accessed",
                at=moment,
                timezone="Asia/Kolkata",
                actor=actor,
                node_fingerprint=fingerprint,
                prev_hash=sentinel_prev,
                place="Forensic laboratory, Hyderabad",
                purpose="examination",
                authority="order 12/2026",
                details={"tool": "benchmark"},
            ).decode()
            assert template.count(str(sentinel_id)) == 1
            template = (
                template.replace("{", "{{")
                .replace("}", "}}")
                .replace(str(sentinel_id), "{id}")
                .replace(f'"seq":{sentinel_seq}', '"seq":{seq}')
                .replace(sentinel_prev, "{prev}")
            )
            head = heads[item.id]
            prev = head.last_hash
            for seq in range(head.count + 1, per_item + 1):
                event_id = uuid.uuid4()
                body = template.format(id=event_id, seq=seq, prev=prev)
                digest = link_hash(prev, body.encode())
                rows.append(
                    {
                        "id": event_id,
                        "item_id": item.id,
                        "item_seq": seq,
                        "action": "accessed",
                        "at": moment,
                        "body": body,
                        "prev_hash": prev,
                        "hash": digest,
                    }
                )
                prev = digest
            if len(rows) >= INSERT_BATCH:
                session.execute(insert(table), rows)
                rows = []
            sign_head(session, ctx, item.id, per_item, prev, head)
        if rows:
            session.execute(insert(table), rows)
    with ctx.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return ctx, item_ids


def _processes_used(ctx: Any, item_ids: list[uuid.UUID], threshold: int | None) -> int:
    """How many processes ``verify_chains`` splits its scan across here (not timed)."""
    from comity.evidence.ledger import scan_chains

    with ctx.transaction() as session:
        outcome = scan_chains(session, set(item_ids), threshold=threshold)
    if outcome.single_reason:
        print(f"the scan stays in one process: {outcome.single_reason}", flush=True)
    return outcome.processes


def _verify(
    ctx: Any,
    item_ids: list[uuid.UUID],
    events: int,
    processes: int | None = None,
    threshold: int | None = None,
) -> c.Timing:
    from comity.evidence.ledger import verify_chains
    from comity.evidence.models import EvidenceItem

    with ctx.transaction() as session:
        items = list(session.scalars(select(EvidenceItem).where(EvidenceItem.id.in_(item_ids))))
        with c.timed() as box:
            reports = verify_chains(
                session, items, processes=processes, parallel_threshold=threshold
            )
    bad = [r for r in reports if not r.ok]
    if bad or sum(r.events for r in reports) != events:
        raise SystemExit(f"verify_chains found problems: {bad[:1]}")
    return box[0]


def _floor(ctx: Any, events: int) -> c.Timing:
    raw = ctx.engine.raw_connection()
    try:
        with c.timed() as box:
            cursor = raw.cursor()
            cursor.execute("SELECT body FROM custody_events")
            count = 0
            sha256 = hashlib.sha256
            for (body,) in cursor:
                sha256(body.encode()).hexdigest()
                count += 1
            cursor.close()
    finally:
        raw.close()
    if count != events:
        raise SystemExit(f"read {count} bodies, expected {events}")
    return box[0]


if __name__ == "__main__":
    sys.exit(main())
