"""One range of the custody ledger, checked on its own, and the ranges stitched back together.

:func:`comity.evidence.ledger.verify_chains` can split its pass over ``custody_events`` by
primary key (``seq``) into ranges checked by several processes at once. Every check of a row
but one is local to the row: it stores its own hash and the previous one, and its hash is
recomputed from those. The exception is whether the row continues its item's chain where the
previous range left it. So each range is checked as if every item's chain were intact up to
its first row in the range (:func:`scan_range`), and :func:`stitch` then walks the ranges in
order, item by item, and settles each range's first rows against what the ranges before
established. The outcome is, item by item, the one the single pass gives.

This module is also the worker: ``python -m comity.evidence.ledger_scan`` reads a request
(JSON) on its standard input, opens its own connection, checks one range and writes the
:class:`RangeResult` (JSON) to its standard output. It imports only the standard library (and
``psycopg`` for PostgreSQL), not SQLAlchemy, so that a worker starts in a few hundredths of a
second.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import sys
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, TypedDict
from urllib.parse import quote

from comity.core.hashchain import GENESIS

MISSING = "event {expected} is missing (found event {seq} in its place)"
UNLINKED = "event {seq} does not point to event {before}"
ALTERED = "event {seq} was altered (its hash does not match its content)"

FETCH_ROWS = 10_000

RANGE_SELECT = "SELECT item_id, item_seq, body, prev_hash, hash FROM custody_events"
"""What a range reads (before its ``WHERE``), in the order :func:`scan_range` takes it."""

_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")

Checked = tuple[int, tuple[int, str, str | None]]
"""An item's row count and the outcome of checking its chain: good events, last good hash and
the first broken link (``None`` when intact) — what ``check_chain`` returns."""

Entry = list[Any]
"""What a range found for one item (one id as stored), as a JSON-ready list; see
:func:`scan_range` for its fields."""


class RangeResult(TypedDict):
    """One range's outcome: its rows and, per item (in order of first appearance), an entry."""

    rows: int
    entries: list[Entry]


class RangeRequest(TypedDict):
    """What a worker is asked: where the database is, which range, which items."""

    dialect: str  # "sqlite" or "postgresql"
    database: str  # SQLite: the file; PostgreSQL: the libpq connection string (password too)
    snapshot: str | None  # PostgreSQL: the snapshot to read in (pg_export_snapshot)
    lo: int | None  # first seq of the range (None: from the start)
    hi: int | None  # first seq after the range (None: to the end)
    wanted: list[str]  # the items asked for, as hex


_UNSEEN: Any = object()


def item_uuid(raw: object) -> uuid.UUID:
    """An item id as the driver returned it (hex text on SQLite, a UUID on PostgreSQL)."""
    return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))


def _parse(raw: object) -> uuid.UUID | None:
    try:
        return item_uuid(raw)
    except (TypeError, ValueError):  # a damaged row: no item asked for has this id
        return None


def scan_ledger(
    batches: Iterable[Sequence[Sequence[Any]]], wanted: Collection[uuid.UUID]
) -> dict[uuid.UUID, Checked]:
    """Check the chains of ``wanted`` items in one pass over rows in ``seq`` order.

    ``batches`` yields rows of :data:`RANGE_SELECT`. An item's events are appended in chain
    order, so for an intact ledger each item's rows arrive with increasing numbers and the
    outcome is the one ``check_chain`` gives on them sorted. Items whose rows do not arrive in
    increasing order are left out of the result (the caller checks them in chain order).
    """
    # Per item: [item id, rows, good events, last good hash, problem, last number, in order].
    # While an item is intact and in order, its last number is its count of good events.
    states: dict[object, list[Any] | None] = {}
    sha256 = hashlib.sha256
    current: object = _UNSEEN
    state: list[Any] | None = None
    for part in batches:
        for raw_id, seq, body, prev_hash, digest in part:
            if raw_id != current:
                current = raw_id
                state = states.get(raw_id, _UNSEEN)
                if state is _UNSEEN:
                    item_id = _parse(raw_id)
                    ok = item_id is not None and item_id in wanted
                    state = [item_id, 0, 0, GENESIS, None, 0, True] if ok else None
                    states[raw_id] = state
            if state is None:
                continue
            state[1] += 1
            if state[4] is None and state[6] and seq == state[2] + 1:
                prev = state[3]
                if prev_hash != prev:
                    state[4] = UNLINKED.format(seq=seq, before=seq - 1)
                elif sha256(f"{prev}\n{body}".encode()).hexdigest() != digest:
                    state[4] = ALTERED.format(seq=seq)
                else:
                    state[2] = seq
                    state[3] = digest
                state[5] = seq
                continue
            if not state[6]:
                continue  # already out of order: only counted
            if type(seq) is not int or seq <= state[5]:
                state[6] = False  # out of order (or a damaged number): checked in chain order
                continue
            if state[4] is None:
                state[4] = MISSING.format(expected=state[2] + 1, seq=seq)
            state[5] = seq
    return {
        st[0]: (st[1], (st[2], st[3], st[4])) for st in states.values() if st is not None and st[6]
    }


def scan_range(
    batches: Iterable[Sequence[Sequence[Any]]], wanted: Collection[uuid.UUID]
) -> RangeResult:
    """Check the rows of one range, in ``seq`` order, for the items in ``wanted``.

    ``batches`` yields rows of :data:`RANGE_SELECT`. Per item the state is
    ``[item, rows, good, last, problem, last number, in order, first number, first prev,
    first ok]``: like the single pass (:func:`scan_ledger`), except that it starts from the item's
    first row in the range as if that row continued an intact chain (``good`` one less than
    its number, ``last`` its stored previous hash). The entry per item is ``[key, item hex,
    rows, first number, first prev, first ok, in order, last number, good, last, problem]``;
    the key is the id as stored (the single pass keeps one state per stored form).
    """
    states: dict[object, list[Any] | None] = {}
    sha256 = hashlib.sha256
    current: object = _UNSEEN
    state: list[Any] | None = None
    rows = 0
    for part in batches:
        rows += len(part)
        for raw_id, seq, body, prev_hash, digest in part:
            if raw_id != current:
                current = raw_id
                state = states.get(raw_id, _UNSEEN)
                if state is _UNSEEN:
                    item_id = _parse(raw_id)
                    if item_id is None or item_id not in wanted:
                        state = states[raw_id] = None
                        continue
                    state = states[raw_id] = _first_row(item_id, seq, body, prev_hash, digest)
                    continue
            if state is None:
                continue
            # From here on, exactly the step of scan_ledger.
            state[1] += 1
            if state[4] is None and state[6] and seq == state[2] + 1:
                prev = state[3]
                if prev_hash != prev:
                    state[4] = UNLINKED.format(seq=seq, before=seq - 1)
                elif sha256(f"{prev}\n{body}".encode()).hexdigest() != digest:
                    state[4] = ALTERED.format(seq=seq)
                else:
                    state[2] = seq
                    state[3] = digest
                state[5] = seq
                continue
            if not state[6]:
                continue
            if type(seq) is not int or seq <= state[5]:
                state[6] = False
                continue
            if state[4] is None:
                state[4] = MISSING.format(expected=state[2] + 1, seq=seq)
            state[5] = seq
    entries = [
        [
            str(key),
            st[0].hex,
            st[1],
            st[7],
            st[8] if isinstance(st[8], str) else None,
            st[9],
            st[6],
            st[5] if st[6] else None,
            st[2] if st[6] else None,
            st[3] if st[6] and isinstance(st[3], str) else None,
            st[4],
        ]
        for key, st in states.items()
        if st is not None
    ]
    return {"rows": rows, "entries": entries}


def _first_row(
    item_id: uuid.UUID, seq: object, body: object, prev_hash: object, digest: object
) -> list[Any]:
    """An item's state after its first row in a range."""
    if type(seq) is not int:  # a damaged number: the item is checked in chain order
        return [item_id, 1, 0, GENESIS, None, 0, False, None, None, False]
    ok = hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest() == digest
    if ok:
        return [item_id, 1, seq, digest, None, seq, True, seq, prev_hash, True]
    problem = ALTERED.format(seq=seq)
    return [item_id, 1, seq - 1, prev_hash, problem, seq, True, seq, prev_hash, False]


def stitch(ranges: Sequence[RangeResult]) -> dict[uuid.UUID, Checked]:
    """Join the results of consecutive ranges into the single pass's outcome.

    Items whose rows do not come in increasing order are left out, as the single pass leaves
    them out (the caller checks them in chain order).
    """
    # Per stored id: [item, rows, good, last, problem, last number, in order].
    states: dict[str, list[Any]] = {}
    for result in ranges:
        for entry in result["entries"]:
            key, item_hex, rows, first, first_prev, first_ok, ordered, last_number, *spec = entry
            st = states.get(key)
            if st is None:
                st = states[key] = [uuid.UUID(hex=item_hex), 0, 0, GENESIS, None, 0, True]
            st[1] += rows
            if not st[6]:
                continue
            if not ordered:
                st[6] = False
                continue
            if st[4] is None and first == st[2] + 1:
                # The single pass's step on the range's first row, then the range's own result.
                if first_prev != st[3]:
                    st[4] = UNLINKED.format(seq=first, before=first - 1)
                elif not first_ok:
                    st[4] = ALTERED.format(seq=first)
                else:
                    st[2], st[3], st[4] = spec
                st[5] = last_number
                continue
            if first <= st[5]:
                st[6] = False
                continue
            if st[4] is None:
                st[4] = MISSING.format(expected=st[2] + 1, seq=first)
            st[5] = last_number
    return {st[0]: (st[1], (st[2], st[3], st[4])) for st in states.values() if st[6]}


def sqlite_batches(
    connection: sqlite3.Connection, lo: int | None, hi: int | None
) -> Iterator[list[Any]]:
    """Batches of the rows with ``lo <= seq < hi`` in ``seq`` order, from a ``sqlite3`` cursor.

    The rows come straight from the cursor, which streams (no SQLAlchemy ``Row`` per event).
    """
    where, params = range_condition(lo, hi)
    cursor = connection.cursor()
    try:
        cursor.execute(f"{RANGE_SELECT}{where} ORDER BY seq", params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            yield rows
    finally:
        cursor.close()


def range_condition(
    lo: int | None, hi: int | None, mark: str = ":{}"
) -> tuple[str, dict[str, int]]:
    """The ``WHERE`` clause of the range ``lo <= seq < hi``, with parameters ``lo`` and ``hi``.

    ``mark`` is the driver's form of a named parameter (``:{}`` for ``sqlite3``, ``%({})s``
    for ``psycopg``).
    """
    terms, params = [], {}
    if lo is not None:
        terms.append(f"seq >= {mark.format('lo')}")
        params["lo"] = lo
    if hi is not None:
        terms.append(f"seq < {mark.format('hi')}")
        params["hi"] = hi
    return (" WHERE " + " AND ".join(terms) if terms else ""), params


def split(lo: int, hi: int, parts: int) -> list[tuple[int | None, int | None]]:
    """``parts`` consecutive ranges ``(start, end)`` of ``seq`` covering ``lo … hi`` evenly.

    The first range is open at its start and the last at its end, so together they cover every
    row whatever the numbers are.
    """
    size = hi - lo + 1
    cuts = [lo + size * n // parts for n in range(1, parts)]
    starts: list[int | None] = [None, *cuts]
    ends: list[int | None] = [*cuts, None]
    return list(zip(starts, ends, strict=True))


def run_request(request: RangeRequest) -> dict[str, Any]:
    """Check the range a worker was asked for, in its own connection.

    Besides the :class:`RangeResult`, report what the parent compares with its own view of
    the ledger: on SQLite the schema version and the highest ``seq`` (the rows are counted).
    """
    wanted = {uuid.UUID(hex=h) for h in request["wanted"]}
    lo, hi = request["lo"], request["hi"]
    if request["dialect"] == "sqlite":
        path = quote(request["database"], safe="/")
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        try:
            # One read transaction: every statement below sees the same committed state.
            connection.execute("BEGIN")
            schema_version = connection.execute("PRAGMA schema_version").fetchone()[0]
            max_seq = connection.execute("SELECT max(seq) FROM custody_events").fetchone()[0]
            result = scan_range(sqlite_batches(connection, lo, hi), wanted)
            connection.execute("COMMIT")
        finally:
            connection.close()
        return {**result, "schema_version": schema_version, "max_seq": max_seq}
    return {**postgresql_range(request["database"], request["snapshot"], lo, hi, wanted)}


def postgresql_range(
    conninfo: str, snapshot: str | None, lo: int | None, hi: int | None, wanted: set[uuid.UUID]
) -> RangeResult:
    """Check a range on PostgreSQL in a connection of its own, read-only, in ``snapshot``.

    ``psycopg`` directly (no SQLAlchemy, which takes a worker a quarter of a second to
    import); the rows stream through a server-side cursor.
    """
    import psycopg
    from psycopg import sql

    if snapshot is not None and not _SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    where, params = range_condition(lo, hi, "%({})s")
    with psycopg.connect(conninfo) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            if snapshot is not None:
                conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
            with conn.cursor(name="comity_ledger_range") as cursor:
                cursor.execute(f"{RANGE_SELECT}{where} ORDER BY seq", params)

                def batches() -> Iterator[list[Any]]:
                    while rows := cursor.fetchmany(FETCH_ROWS):
                        yield rows

                return scan_range(batches(), wanted)


def main() -> int:
    """The worker: a :class:`RangeRequest` on standard input, the result on standard output."""
    request: RangeRequest = json.loads(sys.stdin.read())
    json.dump(run_request(request), sys.stdout, separators=(",", ":"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
