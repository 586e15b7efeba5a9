"""The ledger scan split across processes reports exactly what the single pass reports.

The split scan only runs on a committed database (its workers open their own connections), so
these tests build a node on a fresh database whose transactions commit, tamper with it the way
someone who removed the append-only triggers would (and put them back), and compare
``verify_chains`` in one process with ``verify_chains`` in two and three, with the threshold
at zero.
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from comity.cases.services import create_case
from comity.core.hashchain import GENESIS, link_hash
from comity.db import migrate
from comity.db.engine import make_engine, session_factory
from comity.evidence import ledger_scan
from comity.evidence.ingest import IngestOptions, ingest
from comity.evidence.ledger import append_event, scan_chains, verify_chains
from comity.evidence.models import EvidenceItem
from tests.conftest import (
    Node,
    create_pg_schema,
    drop_pg_schema,
    make_node,
    pg_schema_url,
    remove_append_only,
)

ITEMS = 3
ROUNDS = 9  # events appended per item after its ``acquired`` event, round-robin over items


@pytest.fixture
def committed_node(backend: str, tmp_path: Path) -> Iterator[Node]:
    """A node on its own fresh database whose transactions commit (no outer rollback)."""
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'committed.db'}"
    else:
        schema = create_pg_schema()
        url = pg_schema_url(schema)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        yield make_node(tmp_path, engine, session_factory(engine))
    finally:
        engine.dispose()
        if schema:
            drop_pg_schema(schema)


def _build_ledger(node: Node, tmp_path: Path) -> None:
    """``ITEMS`` items whose events interleave, so every range holds several chains' rows."""
    with node.ctx.transaction() as session:
        case = create_case(session, node.actor(), title="t", jurisdictions=["IN"]).reference
    sources = []
    for n in range(ITEMS):
        source = tmp_path / f"item{n}.bin"
        source.write_bytes(f"item {n}".encode() * 50)
        sources.append(source)
    ingest(node.ctx, None, case, sources, IngestOptions())
    actor = node.actor()
    for round_ in range(ROUNDS):
        with node.ctx.transaction() as session:
            for item in session.scalars(select(EvidenceItem).order_by(EvidenceItem.exhibit)):
                append_event(session, node.ctx, actor, item, "accessed", purpose=f"r{round_}")


@dataclass
class Row:
    """One stored event."""

    seq: int
    item_id: uuid.UUID
    item_seq: int
    body: str
    prev_hash: str
    hash: str


def _rows(node: Node) -> list[Row]:
    with node.ctx.transaction() as session:
        found = session.execute(
            text(
                "SELECT seq, item_id, item_seq, body, prev_hash, hash FROM custody_events "
                "ORDER BY seq"
            )
        ).all()
    return [Row(r[0], uuid.UUID(str(r[1])), *r[2:]) for r in found]


def _boundaries(rows: list[Row], processes: int) -> list[int]:
    """The first ``seq`` of every range after the first."""
    ranges = ledger_scan.split(rows[0].seq, rows[-1].seq, processes)
    return [start for start, _end in ranges[1:] if start is not None]


def _key(backend: str, item_id: uuid.UUID) -> object:
    return item_id if backend == "postgresql" else item_id.hex


def _tamper(node: Node, backend: str, *statements: tuple[str, dict[str, Any]]) -> None:
    """Change events as someone who removed the append-only triggers would, and commit.

    The triggers are put back afterwards (on SQLite the split scan needs them in place).
    """
    with node.ctx.transaction() as session:
        triggers = session.execute(
            text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'custody_events'"
            )
            if backend == "sqlite"
            else text("SELECT 1 WHERE false")
        ).scalars()
        recreate = list(triggers)
        remove_append_only(session, backend, "custody_events")
        for sql, params in statements:
            assert session.execute(text(sql), params).rowcount == 1
        if backend == "postgresql":
            recreate = [
                "CREATE TRIGGER custody_events_append_only BEFORE UPDATE OR DELETE ON "
                "custody_events FOR EACH ROW EXECUTE FUNCTION comity_refuse_change_custody_events()"
            ]
        for sql in recreate:
            session.execute(text(sql))


def _reports(node: Node, processes: int) -> tuple[list[dict[str, Any]], int]:
    """``verify_chains`` over every item (and how many processes its scan used)."""
    with node.ctx.transaction() as session:
        items = list(session.scalars(select(EvidenceItem).order_by(EvidenceItem.exhibit)))
        reports = [
            r.as_dict()
            for r in verify_chains(session, items, processes=processes, parallel_threshold=0)
        ]
        used = scan_chains(session, {i.id for i in items}, processes=processes, threshold=0)
    assert processes == 1 or used.single_reason is None, used.single_reason
    return reports, used.processes


def _compare(node: Node, processes: int) -> list[dict[str, Any]]:
    """Verify in one process and in ``processes``; check that the scans split and agree."""
    single, used = _reports(node, 1)
    assert used == 1
    split, used = _reports(node, processes)
    assert used == processes, "the scan did not split"
    assert split == single
    with node.ctx.transaction() as session:
        ids = set(session.scalars(select(EvidenceItem.id)))
        one = scan_chains(session, ids, processes=1).chains
        many = scan_chains(session, ids, processes=processes, threshold=0).chains
    assert many == one
    return split


def _problems(reports: list[dict[str, Any]]) -> list[str]:
    return [p for r in reports for p in r["problems"]]


@pytest.mark.parametrize("processes", [2, 3])
def test_a_clean_ledger_verifies_split(
    committed_node: Node, tmp_path: Path, processes: int
) -> None:
    _build_ledger(committed_node, tmp_path)
    reports = _compare(committed_node, processes)
    assert all(r["ok"] for r in reports)
    assert sum(r["events"] for r in reports) == ITEMS * (ROUNDS + 1)


@pytest.mark.parametrize("where", ["middle", "first of a range", "last before a range"])
@pytest.mark.parametrize("processes", [2, 3])
def test_an_altered_event_is_named_identically(
    committed_node: Node, tmp_path: Path, backend: str, processes: int, where: str
) -> None:
    _build_ledger(committed_node, tmp_path)
    rows = _rows(committed_node)
    boundary, end = [*_boundaries(rows, processes), rows[-1].seq + 1][:2]
    seq = {
        "middle": (boundary + end) // 2,  # of the second range (a worker's)
        "first of a range": boundary,
        "last before a range": boundary - 1,
    }[where]
    row = next(r for r in rows if r.seq == seq)
    assert row.item_seq > 1 and row.item_seq < ROUNDS + 1  # the chain goes on both sides
    _tamper(
        committed_node,
        backend,
        ("UPDATE custody_events SET body = replace(body, 'r', 'R') WHERE seq = :s", {"s": seq}),
    )
    reports = _compare(committed_node, processes)
    assert _problems(reports) == [
        f"event {row.item_seq} was altered (its hash does not match its content)"
    ]


@pytest.mark.parametrize("processes", [2, 3])
def test_an_event_deleted_at_a_boundary_is_named_identically(
    committed_node: Node, tmp_path: Path, backend: str, processes: int
) -> None:
    _build_ledger(committed_node, tmp_path)
    rows = _rows(committed_node)
    boundary = _boundaries(rows, processes)[-1]
    row = next(r for r in rows if r.seq == boundary)
    assert row.item_seq < ROUNDS + 1  # not the last: the next one is in the range
    _tamper(committed_node, backend, ("DELETE FROM custody_events WHERE seq = :s", {"s": boundary}))
    reports = _compare(committed_node, processes)
    missing = row.item_seq
    assert _problems(reports) == [
        f"event {missing} is missing (found event {missing + 1} in its place)"
    ]


@pytest.mark.parametrize("processes", [2, 3])
def test_a_reordered_prev_link_is_named_identically(
    committed_node: Node, tmp_path: Path, backend: str, processes: int
) -> None:
    """The first event of a range points two events back, with its own hash made to match."""
    _build_ledger(committed_node, tmp_path)
    rows = _rows(committed_node)
    boundary = _boundaries(rows, processes)[0]
    row = next(r for r in rows if r.seq == boundary)
    chain = {r.item_seq: r for r in rows if r.item_id == row.item_id}
    assert row.item_seq > 2
    earlier = chain[row.item_seq - 2].hash
    _tamper(
        committed_node,
        backend,
        (
            "UPDATE custody_events SET prev_hash = :p, hash = :h WHERE seq = :s",
            {"p": earlier, "h": link_hash(earlier, row.body.encode()), "s": boundary},
        ),
    )
    reports = _compare(committed_node, processes)
    assert _problems(reports) == [
        f"event {row.item_seq} does not point to event {row.item_seq - 1}"
    ]


@pytest.mark.parametrize("processes", [2, 3])
def test_events_swapped_across_a_boundary_are_named_identically(
    committed_node: Node, tmp_path: Path, backend: str, processes: int
) -> None:
    """Rows out of chain order: both scans leave the item to the check in chain order."""
    _build_ledger(committed_node, tmp_path)
    rows = _rows(committed_node)
    boundary = _boundaries(rows, processes)[0]
    after = next(r for r in rows if r.seq >= boundary and r.item_seq > 2)
    before = next(r for r in reversed(rows) if r.seq < boundary and r.item_id == after.item_id)
    item = _key(backend, after.item_id)

    def renumber(old: int, new: int) -> tuple[str, dict[str, Any]]:
        return (
            "UPDATE custody_events SET item_seq = :n WHERE item_id = :i AND item_seq = :o",
            {"n": new, "i": item, "o": old},
        )

    _tamper(
        committed_node,
        backend,
        renumber(before.item_seq, -1),
        renumber(after.item_seq, before.item_seq),
        renumber(-1, after.item_seq),
    )
    reports = _compare(committed_node, processes)
    assert len(_problems(reports)) == 1
    assert f"event {before.item_seq} " in _problems(reports)[0]


def test_a_damaged_number_at_a_boundary_is_named_identically(
    committed_node: Node, tmp_path: Path, backend: str
) -> None:
    """An event number that is not a number (SQLite keeps text in an INTEGER column)."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL refuses text in an integer column")
    _build_ledger(committed_node, tmp_path)
    rows = _rows(committed_node)
    boundary = _boundaries(rows, 2)[0]
    row = next(r for r in rows if r.seq == boundary)
    _tamper(
        committed_node,
        backend,
        ("UPDATE custody_events SET item_seq = 'x' WHERE seq = :s", {"s": boundary}),
    )
    reports = _compare(committed_node, 2)
    n = row.item_seq
    assert _problems(reports) == [f"event {n} is missing (found event {n + 1} in its place)"]


def test_an_uncommitted_session_is_scanned_in_one_process(node: Node, tmp_path: Path) -> None:
    """The ``node`` fixture's changes are never committed: workers could not see them."""
    _build_ledger(node, tmp_path)
    with node.ctx.transaction() as session:
        ids = set(session.scalars(select(EvidenceItem.id)))
        outcome = scan_chains(session, ids, processes=2, threshold=0)
        assert outcome.processes == 1 and outcome.single_reason
        assert outcome.chains == scan_chains(session, ids, processes=1).chains
        assert len(outcome.chains) == ITEMS


def test_events_added_in_the_scanning_transaction_keep_it_in_one_process(
    committed_node: Node, tmp_path: Path
) -> None:
    _build_ledger(committed_node, tmp_path)
    actor = committed_node.actor()
    with committed_node.ctx.transaction() as session:
        items = list(session.scalars(select(EvidenceItem)))
        append_event(session, committed_node.ctx, actor, items[0], "analysed")
        ids = {i.id for i in items}
        outcome = scan_chains(session, ids, processes=2, threshold=0)
        assert outcome.processes == 1
        assert "changed" in str(outcome.single_reason)
        assert outcome.chains[items[0].id][0] == ROUNDS + 2  # the new event counted
        session.rollback()


def test_without_the_triggers_only_postgresql_splits(
    committed_node: Node, tmp_path: Path, backend: str
) -> None:
    """SQLite relies on the triggers to tell this transaction's changes; PostgreSQL does not."""
    _build_ledger(committed_node, tmp_path)
    with committed_node.ctx.transaction() as session:
        remove_append_only(session, backend, "custody_events")
    with committed_node.ctx.transaction() as session:
        ids = set(session.scalars(select(EvidenceItem.id)))
        outcome = scan_chains(session, ids, processes=2, threshold=0)
        single = scan_chains(session, ids, processes=1)
    if backend == "sqlite":
        assert outcome.processes == 1
        assert "triggers" in str(outcome.single_reason)
    else:
        assert (outcome.processes, outcome.single_reason) == (2, None)
    assert outcome.chains == single.chains


def test_a_failing_worker_leaves_the_scan_to_one_process(
    committed_node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build_ledger(committed_node, tmp_path)
    monkeypatch.setattr(sys, "executable", shutil.which("false"))
    with committed_node.ctx.transaction() as session:
        ids = set(session.scalars(select(EvidenceItem.id)))
        outcome = scan_chains(session, ids, processes=2, threshold=0)
        single = scan_chains(session, ids, processes=1)
    assert outcome.processes == 1
    assert "a worker failed" in str(outcome.single_reason)
    assert outcome.chains == single.chains and len(single.chains) == ITEMS


def test_an_in_memory_database_stays_in_one_process(tmp_path: Path) -> None:
    engine = make_engine("sqlite://")
    try:
        migrate.upgrade(engine)
        memory = make_node(tmp_path, engine, session_factory(engine))
        _build_ledger(memory, tmp_path)
        with memory.ctx.transaction() as session:
            ids = set(session.scalars(select(EvidenceItem.id)))
            outcome = scan_chains(session, ids, processes=2, threshold=0)
    finally:
        engine.dispose()
    assert outcome.processes == 1
    assert "in-memory" in str(outcome.single_reason)
    assert len(outcome.chains) == ITEMS


def test_below_the_threshold_the_scan_stays_in_one_process(
    committed_node: Node, tmp_path: Path
) -> None:
    _build_ledger(committed_node, tmp_path)
    with committed_node.ctx.transaction() as session:
        ids = set(session.scalars(select(EvidenceItem.id)))
        below = scan_chains(session, ids, processes=2, threshold=ITEMS * (ROUNDS + 1) + 1)
        at = scan_chains(session, ids, processes=2, threshold=ITEMS * (ROUNDS + 1))
    assert (below.processes, below.single_reason) == (1, None)
    assert at.processes == 2
    assert at.chains == below.chains


# The stitching itself, on made-up rows: every way of cutting any sequence of rows into
# consecutive ranges gives the single pass's outcome (results go through JSON, as from a
# worker).

_ITEM_IDS = [uuid.UUID(int=n + 1) for n in range(3)]


@st.composite
def _ledgers(draw: st.DrawFn) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Rows of valid chains, in chain order per item or shuffled, then damaged; and cuts."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    chains = []
    for item_id in _ITEM_IDS:
        prev, chain = GENESIS, []
        for n in range(1, draw(st.integers(0, 6)) + 1):
            body = f"{item_id} {n}"
            digest = link_hash(prev, body.encode())
            chain.append((item_id.hex, n, body, prev, digest))
            prev = digest
        chains.append(chain)
    rows: list[tuple[Any, ...]] = []
    if draw(st.booleans()):  # appended in chain order, items interleaved (a real ledger)
        while any(chains):
            rows.append(rng.choice([c for c in chains if c]).pop(0))
    else:
        rows = [row for chain in chains for row in chain]
        rng.shuffle(rows)
    for change in draw(
        st.lists(
            st.sampled_from(["body", "prev", "relink", "drop", "number", "text", "form", "dup"]),
            max_size=3,
        )
    ):
        if not rows:
            break
        at = rng.randrange(len(rows))
        raw, n, body, prev, digest = rows[at]
        if change == "body":
            rows[at] = (raw, n, body + "!", prev, digest)
        elif change == "prev":
            rows[at] = (raw, n, body, "f" * 64, digest)
        elif change == "relink":  # points elsewhere, its own hash made to match
            rows[at] = (raw, n, body, "e" * 64, link_hash("e" * 64, body.encode()))
        elif change == "drop":
            del rows[at]
        elif change == "number" and isinstance(n, int):
            rows[at] = (raw, n + rng.choice([-2, -1, 1, 2]), body, prev, digest)
        elif change == "text":
            rows[at] = (raw, f"#{n}", body, prev, digest)
        elif change == "form":  # the same id stored in another form
            rows[at] = (str(uuid.UUID(hex=raw)).upper(), n, body, prev, digest)
        else:
            rows.insert(at, rows[at])
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=4)))
    return rows, cuts


@settings(max_examples=400, deadline=None)
@given(_ledgers())
def test_stitched_ranges_give_the_single_pass_outcome(
    ledger: tuple[list[tuple[Any, ...]], list[int]],
) -> None:
    rows, cuts = ledger
    wanted = set(_ITEM_IDS[:2])  # the third item is not asked for
    single = ledger_scan.scan_ledger([rows], wanted)
    bounds = [0, *cuts, len(rows)]
    parts = [
        json.loads(json.dumps(ledger_scan.scan_range([rows[a:b]], wanted)))
        for a, b in itertools.pairwise(bounds)
    ]
    assert ledger_scan.stitch(parts) == single
