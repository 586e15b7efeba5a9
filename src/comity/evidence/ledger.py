"""The custody ledger: every action on an item is an event, hash-chained and signed.

Each item has its own chain. An event's body is canonical JSON naming who, which agency, when
(UTC and local), where, what, why, under which authority, the item's SHA-256 and the previous
event's hash; ``hash = SHA-256(prev || "\\n" || body)``. After each append the node signs the
item's *head* (event count and last hash), so dropping events from the end is detectable, and
verification needs one signature per item instead of one per event.

    event = append_event(session, ctx, actor, item, "accessed", purpose="review")
    reports = verify_chains(session, items)        # ItemReport per item
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, String, func, select, type_coerce
from sqlalchemy.orm import Session

from comity.context import NodeContext
from comity.core.canonical import canonical_json
from comity.core.errors import InvalidInput
from comity.core.hashchain import GENESIS, link_hash
from comity.core.keys import load_ed25519_public
from comity.core.signing import SignatureInvalid, jws_parts, sign_document, verify_document
from comity.core.timeutil import isoformat, local_isoformat, utcnow
from comity.evidence import ledger_scan
from comity.evidence.models import CUSTODY_ACTIONS, CustodyEvent, EvidenceItem, LedgerHead
from comity.identity.models import Agency
from comity.identity.services import Actor, node_info

HEAD_TYPE = "comity-ledger-head"

_log = logging.getLogger(__name__)


def head_document(item_id: uuid.UUID | str, count: int, last_hash: str) -> dict[str, Any]:
    """The document a node signs as an item's ledger head."""
    return {"type": HEAD_TYPE, "item": str(item_id), "count": count, "last_hash": last_hash}


def event_body(
    *,
    event_id: uuid.UUID,
    item: EvidenceItem,
    seq: int,
    action: str,
    at: datetime,
    timezone: str,
    actor: Actor,
    node_fingerprint: str,
    prev_hash: str,
    place: str | None,
    purpose: str | None,
    authority: str | None,
    details: dict[str, Any] | None,
) -> bytes:
    """Build the canonical body of a custody event."""
    return canonical_json(
        {
            "version": 1,
            "event": str(event_id),
            "item": str(item.id),
            "exhibit": item.exhibit,
            "seq": seq,
            "action": action,
            "at": isoformat(at),
            "local_time": local_isoformat(at, timezone),
            "timezone": timezone,
            "actor": {
                "username": actor.user.username,
                "name": actor.user.display_name,
                "roles": actor.user.roles,
            },
            "agency": {
                "code": actor.agency.code,
                "name": actor.agency.name,
                "country": actor.agency.country,
            },
            "node": node_fingerprint,
            "place": place,
            "purpose": purpose,
            "authority": authority,
            "item_sha256": item.sha256,
            "details": details or {},
            "prev": prev_hash,
        }
    )


def append_event(
    session: Session,
    ctx: NodeContext,
    actor: Actor,
    item: EvidenceItem,
    action: str,
    *,
    place: str | None = None,
    purpose: str | None = None,
    authority: str | None = None,
    details: dict[str, Any] | None = None,
    timezone: str | None = None,
    at: datetime | None = None,
) -> CustodyEvent:
    """Append a custody event to ``item``'s chain and re-sign its head."""
    if action not in CUSTODY_ACTIONS:
        raise InvalidInput(f"unknown custody action {action!r}", action=action)
    head = session.get(LedgerHead, item.id, with_for_update=True)
    prev, seq = (head.last_hash, head.count + 1) if head else (GENESIS, 1)
    moment = at or utcnow()
    event_id = uuid.uuid4()
    keys = ctx.keys
    body = event_body(
        event_id=event_id,
        item=item,
        seq=seq,
        action=action,
        at=moment,
        timezone=timezone or _node_timezone(session, ctx),
        actor=actor,
        node_fingerprint=keys.signing_fingerprint,
        prev_hash=prev,
        place=place,
        purpose=purpose,
        authority=authority,
        details=details,
    )
    return store_event(session, ctx, item, seq, action, moment, body, prev, event_id, head)


def _node_timezone(session: Session, ctx: NodeContext) -> str:
    """The node's time zone (set at init), read once per context."""
    if "timezone" not in ctx.memo:
        ctx.memo["timezone"] = node_info(session).timezone
    return str(ctx.memo["timezone"])


def store_event(
    session: Session,
    ctx: NodeContext,
    item: EvidenceItem,
    seq: int,
    action: str,
    at: datetime,
    body: bytes,
    prev: str,
    event_id: uuid.UUID,
    head: LedgerHead | None,
) -> CustodyEvent:
    """Insert an event with a known body and sign the new head."""
    digest = link_hash(prev, body)
    event = CustodyEvent(
        id=event_id,
        item_id=item.id,
        item_seq=seq,
        action=action,
        at=at,
        body=body.decode(),
        prev_hash=prev,
        hash=digest,
    )
    session.add(event)
    sign_head(session, ctx, item.id, seq, digest, head)
    return event


def sign_head(
    session: Session,
    ctx: NodeContext,
    item_id: uuid.UUID,
    count: int,
    last_hash: str,
    head: LedgerHead | None,
) -> LedgerHead:
    """Sign and store an item's head."""
    keys = ctx.keys
    signature = sign_document(
        keys.signing, head_document(item_id, count, last_hash), keys.signing_fingerprint
    )
    if head is None:
        head = LedgerHead(item_id=item_id, count=count, last_hash=last_hash, signature=signature)
        session.add(head)
    else:
        head.count, head.last_hash, head.signature = count, last_hash, signature
        head.updated_at = utcnow()
    session.flush()
    return head


def events(session: Session, item_id: uuid.UUID) -> list[CustodyEvent]:
    """Return an item's events in chain order."""
    return list(
        session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.item_id == item_id)
            .order_by(CustodyEvent.item_seq)
        )
    )


def event_view(event: CustodyEvent) -> dict[str, Any]:
    """A JSON-ready view of an event: its body plus its chain hashes."""
    body: dict[str, Any] = json.loads(event.body)
    return {**body, "hash": event.hash}


@dataclass
class ItemReport:
    """The verification outcome for one item."""

    item_id: str
    exhibit: str
    events: int
    ok: bool
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "item": self.item_id,
            "exhibit": self.exhibit,
            "events": self.events,
            "ok": self.ok,
            "problems": self.problems,
        }


def node_signing_keys(session: Session) -> dict[str, str]:
    """Fingerprint → public key of this node's signing keys that are not revoked."""
    agency = session.scalars(select(Agency).where(Agency.is_local.is_(True))).one()
    return {
        k.fingerprint: k.public_key
        for k in agency.keys
        if k.kind == "signing" and k.status != "revoked"
    }


_MISSING = ledger_scan.MISSING
_UNLINKED = ledger_scan.UNLINKED
_ALTERED = ledger_scan.ALTERED


def check_chain(rows: Iterable[tuple[int, str, str, str]]) -> tuple[int, str, str | None]:
    """Recompute a chain of ``(seq, body, prev_hash, hash)`` rows.

    Returns the number of good events, the last good hash and a description of the first
    broken link (``None`` when the chain is intact).
    """
    prev = GENESIS
    count = 0
    sha256 = hashlib.sha256
    for seq, body, prev_hash, digest in rows:
        if seq != count + 1:
            return count, prev, _MISSING.format(expected=count + 1, seq=seq)
        if prev_hash != prev:
            return count, prev, _UNLINKED.format(seq=seq, before=seq - 1)
        # link_hash(prev, body.encode()) inlined (one call per event counts at a million
        # events); ``prev`` is GENESIS or a hex digest computed here, so it is ASCII.
        if sha256(f"{prev}\n{body}".encode()).hexdigest() != digest:
            return count, prev, _ALTERED.format(seq=seq)
        prev = digest
        count += 1
    return count, prev, None


def check_head(
    item_id: str, count: int, last_hash: str, signature: str, trusted: dict[str, str]
) -> str | None:
    """Check a signed head against a recomputed chain; return a problem or ``None``."""
    try:
        header, _ = jws_parts(signature)
        key = trusted.get(str(header.get("kid")))
        if key is None:
            return "the ledger head is signed by a key this node does not trust"
        signed = verify_document(signature, load_ed25519_public(key))
    except SignatureInvalid:
        return "the ledger head signature does not verify"
    if signed != head_document(item_id, signed.get("count", -1), signed.get("last_hash", "")):
        return "the ledger head signature covers another item"
    if signed["count"] != count:
        return f"the signed head counts {signed['count']} events, the ledger holds {count}"
    if signed["last_hash"] != last_hash:
        return "the signed head does not match the last event"
    return None


_FETCH_ROWS = ledger_scan.FETCH_ROWS
_item_uuid = ledger_scan.item_uuid


def _rows_by_item(
    session: Session, item_ids: list[uuid.UUID]
) -> Iterator[tuple[uuid.UUID, list[tuple[int, str, str, str]]]]:
    # Core rows, not ORM rows, and the item id left as the driver returns it, converted once
    # per item rather than once per event: per-row ORM and UUID processing were two thirds of
    # the time of verifying a large ledger.
    if not item_ids:
        return
    query = (
        select(
            type_coerce(CustodyEvent.item_id, String),
            CustodyEvent.item_seq,
            CustodyEvent.body,
            CustodyEvent.prev_hash,
            CustodyEvent.hash,
        )
        .where(CustodyEvent.item_id.in_(item_ids))
        .order_by(CustodyEvent.item_id, CustodyEvent.item_seq)
        .execution_options(yield_per=_FETCH_ROWS)
    )
    current_raw: object = None
    current: uuid.UUID | None = None
    rows: list[tuple[int, str, str, str]] = []
    for part in session.connection().execute(query).partitions():
        for raw_id, seq, body, prev_hash, digest in part:
            if raw_id != current_raw or current is None:
                if current is not None:
                    yield current, rows
                current_raw, current, rows = raw_id, _item_uuid(raw_id), []
            rows.append((seq, body, prev_hash, digest))
    if current is not None:
        yield current, rows


_CHECKED = ledger_scan.Checked
"""An item's row count and :func:`check_chain` outcome."""


def _scan_pays(session: Session, heads: dict[uuid.UUID, LedgerHead]) -> bool:
    """Whether the items asked for hold at least half the ledger (by their signed heads)."""
    total = session.scalar(select(func.max(CustodyEvent.seq))) or 0
    return total > 0 and 2 * sum(h.count for h in heads.values()) >= total


PARALLEL_THRESHOLD = 100_000
"""A ledger whose event numbers (``seq``) span fewer is scanned in one process."""


def scan_processes() -> int:
    """How many processes a large scan uses by default: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class ScanOutcome:
    """What a pass over the ledger found, and how many processes it took."""

    chains: dict[uuid.UUID, _CHECKED]
    """Per item: its row count and :func:`check_chain` outcome (items out of order left out)."""
    processes: int
    single_reason: str | None = None
    """Why a scan asked to split stayed in one process (``None`` when it split or was not
    asked to)."""


def scan_chains(
    session: Session,
    wanted: set[uuid.UUID],
    *,
    processes: int | None = None,
    threshold: int | None = None,
) -> ScanOutcome:
    """Check the chains of ``wanted`` items in one pass over the ledger, in ``seq`` order.

    With ``processes`` above one (default :func:`scan_processes`) and event numbers spanning
    ``threshold`` or more (default :data:`PARALLEL_THRESHOLD`), the pass is split by
    ``seq`` into as many ranges: this process checks the first, worker processes the others in
    their own database connections, and :func:`ledger_scan.stitch` joins them; the outcome is
    the one pass's. It stays in one process when the workers could not see exactly what this
    session sees (see :func:`_split_plan`) or a worker fails.
    """
    processes = scan_processes() if processes is None else processes
    threshold = PARALLEL_THRESHOLD if threshold is None else threshold
    if processes > 1:
        lo = session.scalar(select(func.min(CustodyEvent.seq)))
        hi = session.scalar(select(func.max(CustodyEvent.seq)))
        if lo is not None and hi is not None and hi - lo + 1 >= max(threshold, processes):
            chains, reason = _scan_split(session, wanted, lo, hi, processes)
            if chains is not None:
                return ScanOutcome(chains, processes)
            _log.debug("ledger scan in one process: %s", reason)
            return ScanOutcome(_scan_chains(session, wanted), 1, reason)
    return ScanOutcome(_scan_chains(session, wanted), 1)


@dataclass
class _SplitPlan:
    """How workers reach the data this session sees, and what to compare afterwards."""

    dialect: str
    database: str
    snapshot: str | None = None
    # SQLite: this session's schema version, row count and highest seq of custody_events.
    expected: tuple[int, int, int] | None = None


def _split_plan(session: Session) -> _SplitPlan | str:
    """How workers can read what this session sees, or why they cannot.

    * SQLite: a worker reads the committed database file. This session sees the same unless
      its transaction changed the ledger: with the append-only triggers in place it can only
      have added rows (short of ``INSERT OR REPLACE``, which SQLite runs without the delete
      trigger), and it cannot have removed or changed the triggers without changing the
      schema version; so the workers' schema version, row count and highest ``seq`` are
      compared with this session's afterwards. An in-memory database cannot be shared.
    * PostgreSQL: the workers read in this transaction's snapshot (``pg_export_snapshot``),
      so they see what it sees except its own changes; it must not have changed the ledger
      (it would hold a lock on the table that reading does not take), and it must not be
      inside a savepoint (a snapshot cannot be exported from one).
    """
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "sqlite":
        main = conn.exec_driver_sql("SELECT file FROM pragma_database_list WHERE name = 'main'")
        path = main.scalar()
        if not path:
            return "an in-memory SQLite database cannot be shared with other processes"
        triggers = set(
            conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'custody_events'"
            ).scalars()
        )
        if not {"custody_events_no_update", "custody_events_no_delete"} <= triggers:
            return "the ledger's append-only triggers are missing"
        version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
        count = conn.exec_driver_sql("SELECT count(*) FROM custody_events").scalar_one()
        top = conn.exec_driver_sql("SELECT max(seq) FROM custody_events").scalar_one()
        return _SplitPlan("sqlite", str(path), expected=(version, count, top))
    if dialect == "postgresql":
        if conn.in_nested_transaction():
            return "the session is inside a savepoint (its changes are not committed)"
        # Changing rows takes ROW EXCLUSIVE (DDL stronger) on the table until the end of the
        # transaction; reading takes weaker locks.
        changed = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() "
            "AND relation = to_regclass('custody_events') AND mode IN ('RowExclusiveLock', "
            "'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', "
            "'ExclusiveLock', 'AccessExclusiveLock')"
        ).scalar_one()
        if changed:
            return "this transaction changed the ledger (not committed)"
        if conn.dialect.driver != "psycopg":
            return f"no split scan with the {conn.dialect.driver} driver"
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        return _SplitPlan("postgresql", _conninfo(conn), snapshot=str(snapshot))
    return f"no split scan on {dialect}"


def _conninfo(conn: Connection) -> str:
    """The libpq connection string of the engine behind ``conn`` (with its password)."""
    from psycopg.conninfo import make_conninfo

    args, params = conn.dialect.create_connect_args(conn.engine.url)
    plain = {k: v for k, v in params.items() if isinstance(v, str | int)}
    return make_conninfo(str(args[0]) if args else "", **plain)


class _WorkerFailed(Exception):
    """A worker process did not return a result."""


def _scan_split(
    session: Session, wanted: set[uuid.UUID], lo: int, hi: int, processes: int
) -> tuple[dict[uuid.UUID, _CHECKED] | None, str | None]:
    """The split pass: the stitched outcome, or ``None`` and why it could not be split."""
    plan = _split_plan(session)
    if isinstance(plan, str):
        return None, plan
    ranges = ledger_scan.split(lo, hi, processes)
    wanted_hex = [i.hex for i in wanted]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for start, end in ranges[1:]:
            request: ledger_scan.RangeRequest = {
                "dialect": plan.dialect,
                "database": plan.database,
                "snapshot": plan.snapshot,
                "lo": start,
                "hi": end,
                "wanted": wanted_hex,
            }
            workers.append(_start_worker(request))
        own = _scan_own_range(session, plan, ranges[0], wanted)
        results = [own, *(_worker_result(w) for w in workers)]
    except (_WorkerFailed, OSError) as exc:
        _log.warning("ledger scan: a worker failed (%s); checking in one process", exc)
        return None, f"a worker failed: {exc}"
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    if plan.expected is not None:
        version, count, top = plan.expected
        seen = (
            {r["schema_version"] for r in results[1:]} == {version}
            and {r["max_seq"] for r in results[1:]} == {top}
            and sum(r["rows"] for r in results) == count
        )
        if not seen:
            return None, "the workers saw another ledger (this transaction changed it)"
    parts: list[ledger_scan.RangeResult] = [
        {"rows": r["rows"], "entries": r["entries"]} for r in results
    ]
    return ledger_scan.stitch(parts), None


_WORKER = "import sys; sys.path.append(sys.argv[1]); from {0} import main; sys.exit(main())"


def _start_worker(request: ledger_scan.RangeRequest) -> subprocess.Popen[bytes]:
    """Start a worker (:func:`ledger_scan.main`) on ``request``, in the same interpreter.

    The folder this ``comity`` was imported from comes last on the worker's path, for a parent
    that found it through a path of its own (an installed ``comity`` is found as usual).
    """
    if not sys.executable:
        raise _WorkerFailed("no Python interpreter to start")
    source = str(Path(ledger_scan.__file__).resolve().parents[2])
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER.format(ledger_scan.__name__), source],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdin, worker.stdin = worker.stdin, None  # written and closed here, not by communicate()
    assert stdin is not None
    try:
        with stdin:
            stdin.write(json.dumps(request).encode())
    except BaseException:
        worker.kill()
        worker.wait()
        raise
    return worker


def _worker_result(worker: subprocess.Popen[bytes]) -> dict[str, Any]:
    """Wait for a worker and read its result."""
    out, err = worker.communicate()
    if worker.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise _WorkerFailed(f"exit {worker.returncode}: {lines[-1] if lines else ''}")
    try:
        result: dict[str, Any] = json.loads(out)
    except ValueError as exc:
        raise _WorkerFailed("unreadable result") from exc
    return result


def _scan_own_range(
    session: Session,
    plan: _SplitPlan,
    bounds: tuple[int | None, int | None],
    wanted: set[uuid.UUID],
) -> dict[str, Any]:
    """This process's share: on SQLite in the session itself, on PostgreSQL in its snapshot
    (in a connection of its own, like a worker's)."""
    lo, hi = bounds
    conn = session.connection()
    if plan.dialect == "sqlite":
        raw = conn.connection.dbapi_connection
        return {**ledger_scan.scan_range(ledger_scan.sqlite_batches(raw, lo, hi), wanted)}  # type: ignore[arg-type]
    return {**ledger_scan.postgresql_range(plan.database, plan.snapshot, lo, hi, wanted)}


def _scan_chains(session: Session, wanted: set[uuid.UUID]) -> dict[uuid.UUID, _CHECKED]:
    """Check the chains of ``wanted`` items in one pass over the ledger in insertion order.

    A table scan in storage order reads far faster than item by item through the index. An
    item's events are appended in chain order, so for an intact ledger each item's rows arrive
    with increasing numbers and the outcome is the one :func:`check_chain` gives on them
    sorted. Items whose rows do not arrive in increasing order are left out of the result
    (the caller checks them in chain order).
    """
    query = select(
        type_coerce(CustodyEvent.item_id, String),
        CustodyEvent.item_seq,
        CustodyEvent.body,
        CustodyEvent.prev_hash,
        CustodyEvent.hash,
    ).order_by(CustodyEvent.seq)
    return ledger_scan.scan_ledger(_row_batches(session, query), wanted)


def _row_batches(session: Session, query: Select[*tuple[Any, ...]]) -> Iterator[Sequence[Any]]:
    """Batches of the rows of ``query`` (which has no parameters), in the session's transaction.

    On SQLite the rows come straight from the ``sqlite3`` cursor, which streams: building a
    result ``Row`` per event was the largest cost left in verifying a large ledger. Elsewhere
    (PostgreSQL) the query streams through a server-side cursor.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield from conn.execute(query.execution_options(yield_per=_FETCH_ROWS)).partitions()
        return
    compiled = query.compile(dialect=conn.dialect)
    if compiled.params:
        raise ValueError("_row_batches takes queries without parameters")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled))
        while rows := cursor.fetchmany(_FETCH_ROWS):
            yield rows
    finally:
        cursor.close()


def verify_chains(
    session: Session,
    items: list[EvidenceItem],
    *,
    processes: int | None = None,
    parallel_threshold: int | None = None,
) -> list[ItemReport]:
    """Verify the ledger chain and signed head of every item (not the stored bytes).

    When the items hold at least half the ledger, their chains are checked in one pass over
    it (:func:`scan_chains`, split across ``processes`` for a ledger of ``parallel_threshold``
    events or more); otherwise, and for items whose rows are out of order, item by item.
    """
    trusted = node_signing_keys(session)
    heads = {
        h.item_id: h
        for h in session.scalars(
            select(LedgerHead).where(LedgerHead.item_id.in_([i.id for i in items]))
        )
    }
    by_id = {item.id: item for item in items}
    reports: dict[uuid.UUID, ItemReport] = {}
    ids = list(by_id)
    if ids and _scan_pays(session, heads):
        scan = scan_chains(session, set(ids), processes=processes, threshold=parallel_threshold)
        for item_id, (n_rows, checked) in scan.chains.items():
            reports[item_id] = _report_checked(
                by_id[item_id], n_rows, checked, heads.get(item_id), trusted
            )
    # Items the scan did not settle (none when it did not run): chain order, through the index.
    pending = [i for i in ids if i not in reports]
    seen: set[uuid.UUID] = set()
    batch = 500
    for start in range(0, len(pending), batch):
        for item_id, rows in _rows_by_item(session, pending[start : start + batch]):
            seen.add(item_id)
            reports[item_id] = _report(by_id[item_id], rows, heads.get(item_id), trusted)
    for item_id in pending:
        if item_id not in seen:
            reports[item_id] = _report(by_id[item_id], [], heads.get(item_id), trusted)
    return [reports[i] for i in ids]


def _report(
    item: EvidenceItem,
    rows: list[tuple[int, str, str, str]],
    head: LedgerHead | None,
    trusted: dict[str, str],
) -> ItemReport:
    return _report_checked(item, len(rows), check_chain(rows), head, trusted)


def _report_checked(
    item: EvidenceItem,
    rows: int,
    checked: tuple[int, str, str | None],
    head: LedgerHead | None,
    trusted: dict[str, str],
) -> ItemReport:
    count, last, problem = checked
    report = ItemReport(str(item.id), item.exhibit, rows, ok=True)
    if problem is not None:
        report.problems.append(problem)
    elif count == 0:
        report.problems.append("the item has no custody events")
    elif head is None:
        report.problems.append("the item's signed ledger head is missing")
    else:
        head_problem = check_head(str(item.id), count, last, head.signature, trusted)
        if head_problem:
            report.problems.append(head_problem)
        elif head.count != count or head.last_hash != last:
            report.problems.append("the stored head does not match the ledger")
    report.ok = not report.problems
    return report
