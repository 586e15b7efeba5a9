"""``comity link ingest``: complaints from a file into the node, resumable and idempotent.

    result = ingest_file(ctx, None, Path("ncrp-2024-03.csv"), IngestOptions(country="IN"))
    result["ingested"], result["unchanged"], result["rejected"]

Stages, one way: read (a registered reader per format, :mod:`comity.link.readers`) → map
(the interchange format, or a mapping file) → check and normalize (:mod:`comity.link.rows`)
→ store, a batch of :data:`BATCH` rows per transaction, with the ingest's position.

- **Idempotent**: a complaint already held with the same content is ``unchanged``; one held
  with other content under the same id is rejected, never overwritten.
- **Resumable**: each batch commits the complaints and the line reached together. A run over
  the same file (same SHA-256) that finds an unfinished ingest goes on after that line.
- **Bad rows** are rejected with their line and reason; good rows are kept; a summary ends
  the run. The file as a whole is refused (exit 2, nothing stored) only when no row could be
  read: an unknown format, a header without ``complaint_id``, an unreadable mapping.
- **Every core**: checking rows costs three times what storing them does, so a file of more
  than one batch is checked by a pool of worker processes (``workers``, by default one per
  core) while the main process stores the batch before, in file order. With one worker, or
  one batch, rows are checked in the main process.

Complaints hold personal data: they stay on this node, and every ingest is in the audit log.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.context import NodeContext
from comity.core.collector import collect_young, paused_collection
from comity.core.timeutil import utcnow
from comity.db.bulk import insert_many
from comity.identity import audit
from comity.identity.services import Actor, resolve_actor
from comity.intel.observables import check_country
from comity.link import readers
from comity.link.errors import LinkInputError
from comity.link.models import Complaint, ComplaintIdentifier, ComplaintIngest
from comity.link.rows import (
    ComplaintRecord,
    Mapping,
    RowOptions,
    check_row,
    check_rows,
    start_worker,
    take_seconds,
)

BATCH: Final = 2000
"""Rows checked and stored per transaction (the most a crash makes a resumed run redo)."""

KEPT: Final = 1000
"""Rejections and warnings kept in the ingest's record (all are returned to the caller)."""

MAX_REPORTED: Final = 100_000
"""At most this many rejections are listed in a run's result; ``rejected_total`` counts all."""

LOOKAHEAD: Final = 2
"""Batches read and handed to the workers ahead of the one being stored."""

CHUNKS_PER_WORKER: Final = 2
"""A batch goes to the workers in this many pieces per worker, so that none waits idle on
another's last piece."""

SECONDS: Final = ("read", "check", "extract", "normalize", "wait", "store")
"""The stages an ingest's summary times: ``read`` (parsing the file), ``check`` (checking
rows, in the workers — CPU seconds summed over them), within it ``extract`` (identifiers
from narratives) and ``normalize`` (the list fields' values), ``wait`` (the main process
waiting for the workers) and ``store`` (the database)."""

INGESTERS: Final = ("administrator", "supervisor", "analyst", "investigator")

_IDENTIFIER_COLUMNS: Final = ("complaint_seq", "obs_type", "value", "raw", "origin", "valid")


@dataclass(frozen=True)
class IngestOptions:
    """How to read the file."""

    country: str | None = None
    mapping: Mapping | None = None
    date_format: str | None = None
    format: str | None = None
    """``csv``, ``jsonl`` or ``parquet``; by default from the file's extension."""
    name: str | None = None
    """The file's name as the user knows it (an upload's); by default the path's."""
    workers: int | None = None
    """Processes that check rows; by default the ``link_ingest_workers`` setting (one per core).
    With 1, rows are checked in this process."""


Progress = Callable[[int], None]
"""Called with the bytes of the file read so far."""

_Row = readers.RawRow | readers.BadRow
_Checked = tuple[list[tuple[int, ComplaintRecord | str]], dict[str, float]]
"""Rows as checked: ``(line, complaint or the reason it is rejected)``, in file order, and
the seconds the worker spent by stage."""


@dataclass
class _Run:
    """Counts of one run."""

    record: ComplaintIngest
    batches: int = 0
    """Batches stored by this run."""
    ingested: int = 0
    unchanged: int = 0
    rejected_total: int = 0

    def __post_init__(self) -> None:
        self.rejected: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.seconds: dict[str, float] = dict.fromkeys(SECONDS, 0.0)
        """Where the time went, by stage (:data:`SECONDS`)."""

    def spent(self, seconds: dict[str, float]) -> None:
        """Add time spent by stage."""
        for stage, value in seconds.items():
            self.seconds[stage] += value

    def reject(self, line: int, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append({"line": line, "reason": reason})

    def warn(self, line: int, reason: str) -> None:
        if len(self.warnings) < MAX_REPORTED:
            self.warnings.append({"line": line, "reason": reason})


def ingest_file(
    ctx: NodeContext,
    actor_name: str | None,
    path: Path,
    options: IngestOptions,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Ingest the complaints of ``path``; return the run's summary (see the module).

    With more than one worker (:func:`worker_count`) the workers are started with ``spawn``:
    a script that calls this must guard its own work with ``if __name__ == "__main__":``, as
    :mod:`multiprocessing` requires, or ask for ``IngestOptions(workers=1)``.
    """
    name = options.name or path.name
    fmt = readers.check_format(options.format or readers.format_for(name))
    country = check_country(options.country) if options.country else None
    mapping = (options.mapping or Mapping.default()).with_date_format(options.date_format)
    workers = worker_count(ctx, options)
    digest = _sha256(path)
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        actor.require(*INGESTERS)
        record, resume_after = _start(session, actor, name, digest, fmt, country)
        ingest_id = record.id
    run = _Run(record)
    if resume_after:  # go on counting from where the interrupted run stopped
        run.ingested, run.unchanged = record.ingested, record.unchanged
        run.rejected_total = record.rejected
        run.rejected = list((record.details or {}).get("rejected", []))
        run.warnings = list((record.details or {}).get("warnings", []))
    try:
        _read_and_store(
            ctx, path, fmt, mapping, country, run, ingest_id, resume_after, progress, workers
        )
    except LinkInputError:
        if not resume_after and not run.batches:
            _forget(ctx, ingest_id)  # refused as a whole: no trace of a run that stored nothing
        raise
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        stored = session.get_one(ComplaintIngest, ingest_id)
        stored.status = "complete"
        stored.updated_at = utcnow()
        summary = _summary(stored, run, resume_after)
        audit.record(
            session,
            actor.username,
            "link.ingest",
            "complaint-file",
            str(ingest_id),
            details={
                "file": name,
                "sha256": digest,
                "format": fmt,
                "ingested": run.ingested,
                "unchanged": run.unchanged,
                "rejected": run.rejected_total,
                "resumed_after_line": resume_after or None,
            },
        )
    return summary


def worker_count(ctx: NodeContext, options: IngestOptions) -> int:
    """The processes that check an ingest's rows: ``options.workers``, else the node's
    ``link_ingest_workers`` setting, else one per core."""
    chosen = options.workers or ctx.settings.link_ingest_workers or os.cpu_count() or 1
    return max(chosen, 1)


def _read_and_store(
    ctx: NodeContext,
    path: Path,
    fmt: str,
    mapping: Mapping,
    country: str | None,
    run: _Run,
    ingest_id: Any,
    resume_after: int,
    progress: Progress | None,
    workers: int,
) -> None:
    """Read the file, check its rows, and store them a batch per transaction, in file order.

    With one worker each batch is checked and stored before the next is read. With more, the
    file's first batch is kept back: a second one starts the pool, and from then on batches
    are read and handed to the workers up to :data:`LOOKAHEAD` ahead of the one the main
    process stores (the first is checked here, while the workers start). A file that cannot
    be read further (``LinkInputError``) keeps the batches read before, as with one worker.
    """
    row_options = RowOptions(country=country)
    pending: deque[tuple[list[_Row], list[Future[_Checked]] | None]] = deque()
    ahead = LOOKAHEAD if workers > 1 else 0
    pool: ProcessPoolExecutor | None = None

    def settle_oldest() -> None:
        batch, futures = pending.popleft()
        checked: list[tuple[int, ComplaintRecord | str]] = []
        started = time.perf_counter()
        if futures is None:
            checked = [
                (row.line, check_row(row.values, mapping, row_options))
                for row in _to_check(batch, resume_after)
            ]
            run.spent(take_seconds())
        else:
            for future in futures:
                results, seconds = future.result()
                checked.extend(results)
                run.spent(seconds)
            run.seconds["wait"] += time.perf_counter() - started
        started = time.perf_counter()
        _settle(ctx, ingest_id, run, batch, iter(checked), resume_after)
        collect_young()  # the batch's session leaves cycles the paused collector would keep
        run.seconds["store"] += time.perf_counter() - started

    with path.open("rb") as stream, paused_collection():
        batches = _batches(readers.read_rows(fmt, stream), stream, progress)
        header_checked = False
        try:
            while True:
                started = time.perf_counter()
                try:
                    batch = next(batches, None)
                except LinkInputError:
                    while pending:  # what was read before the damage is kept
                        settle_oldest()
                    raise
                finally:
                    run.seconds["read"] += time.perf_counter() - started
                if batch is None:
                    break
                if not header_checked:
                    _check_columns(batch, mapping, country)
                    header_checked = True
                rows = _to_check(batch, resume_after)
                if pool is None and pending and ahead and rows:
                    pool = ProcessPoolExecutor(
                        max_workers=workers,
                        mp_context=multiprocessing.get_context("spawn"),  # holds connections
                        initializer=start_worker,
                        initargs=(mapping, row_options),
                    )
                pending.append((batch, _submit(pool, rows, workers) if pool else None))
                while len(pending) > ahead:
                    settle_oldest()
            while pending:
                settle_oldest()
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)


def _to_check(batch: list[_Row], resume_after: int) -> list[readers.RawRow]:
    """The rows of a batch to check: readable, and after the line a resumed run goes on from."""
    return [r for r in batch if isinstance(r, readers.RawRow) and r.line > resume_after]


def _submit(
    pool: ProcessPoolExecutor, rows: list[readers.RawRow], workers: int
) -> list[Future[_Checked]]:
    """Hand ``rows`` to the workers in pieces, as plain ``(line, values)``."""
    size = max(-(-len(rows) // (workers * CHUNKS_PER_WORKER)), 1)
    return [
        pool.submit(check_rows, [(row.line, row.values) for row in rows[start : start + size]])
        for start in range(0, len(rows), size)
    ]


def _settle(
    ctx: NodeContext,
    ingest_id: Any,
    run: _Run,
    batch: list[_Row],
    checked: Iterator[tuple[int, ComplaintRecord | str]],
    resume_after: int,
) -> None:
    """Count the batch's rejections and warnings in line order, then store its complaints
    with the line reached. ``checked`` gives the results of :func:`_to_check`'s rows, in order.
    """
    good: list[tuple[int, ComplaintRecord]] = []
    last_line = resume_after
    for row in batch:
        last_line = row.line
        if row.line <= resume_after:
            continue
        if isinstance(row, readers.BadRow):
            run.reject(row.line, row.reason)
            continue
        line, result = next(checked)
        if line != row.line:
            raise RuntimeError(f"row of line {line} checked in place of line {row.line}")
        if isinstance(result, str):
            run.reject(row.line, result)
            continue
        for warning in result.warnings:
            run.warn(row.line, warning)
        good.append((row.line, result))
    if last_line > resume_after or good:
        _store_batch(ctx, ingest_id, good, run, last_line)
        run.batches += 1


def _forget(ctx: NodeContext, ingest_id: Any) -> None:
    with ctx.transaction() as session:
        record = session.get(ComplaintIngest, ingest_id)
        if record is not None:
            session.delete(record)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except FileNotFoundError:
        raise LinkInputError(f"no such file: {path}", file=str(path)) from None
    except OSError as exc:
        raise LinkInputError(f"cannot read {path.name}: {exc.strerror}", file=path.name) from None
    return digest.hexdigest()


def _start(
    session: Session, actor: Actor, name: str, digest: str, fmt: str, country: str | None
) -> tuple[ComplaintIngest, int]:
    """The unfinished ingest of this file to resume, or a new one; and the line to go on after."""
    unfinished = session.scalars(
        select(ComplaintIngest)
        .where(ComplaintIngest.sha256 == digest, ComplaintIngest.status == "running")
        .order_by(ComplaintIngest.created_at.desc())
    ).first()
    if unfinished is not None and unfinished.format == fmt and unfinished.country == country:
        return unfinished, unfinished.line
    record = ComplaintIngest(
        source=name[:500],
        sha256=digest,
        format=fmt,
        country=country,
        status="running",
        line=0,
        requested_by=actor.username,
        details={"rejected": [], "warnings": []},
    )
    session.add(record)
    session.flush()
    return record, 0


def _batches(
    rows: Iterator[readers.RawRow | readers.BadRow], stream: IO[bytes], progress: Progress | None
) -> Iterator[list[readers.RawRow | readers.BadRow]]:
    batch: list[readers.RawRow | readers.BadRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
            if progress is not None:
                with suppress(OSError, ValueError):
                    progress(stream.tell())
    if batch:
        yield batch
    if progress is not None:
        with suppress(OSError, ValueError):
            progress(stream.tell())


def _check_columns(
    batch: list[readers.RawRow | readers.BadRow], mapping: Mapping, country: str | None
) -> None:
    """Refuse a file none of whose rows can be good: the required fields have no column."""
    first = next((r for r in batch if isinstance(r, readers.RawRow)), None)
    if first is None:
        return
    given = {mapping.columns.get(str(c).strip()) for c in first.values}
    if "complaint_id" not in given:
        raise LinkInputError(
            "the file has no complaint_id column (give a mapping with --mapping)",
            columns=[str(c)[:60] for c in list(first.values)[:20]],
        )
    if "received_on" not in given:
        raise LinkInputError("the file has no received_on column (give a mapping with --mapping)")
    if "country" not in given and country is None:
        raise LinkInputError("the file has no country column: give --country")


def _store_batch(
    ctx: NodeContext,
    ingest_id: Any,
    checked: list[tuple[int, ComplaintRecord]],
    run: _Run,
    last_line: int,
) -> None:
    """Store one batch and the ingest's new position in one transaction."""
    with ctx.transaction() as session:
        record = session.get_one(ComplaintIngest, ingest_id, with_for_update=True)
        fresh = _fresh(session, checked, run)
        if fresh:
            now = utcnow()
            rows = [
                {
                    "complaint_id": c.complaint_id,
                    "country": c.country,
                    "received_on": c.received_on,
                    "victim_region": c.victim_region,
                    "victim_age": c.victim_age,
                    "loss_amount": c.loss_amount,
                    "currency": c.currency,
                    "category": c.category,
                    "narrative": c.narrative,
                    "victim_id": c.victim_id,
                    "content_sha256": c.content_sha256,
                    "ingest_id": ingest_id,
                    "source_line": line,
                    "created_at": now,
                }
                for line, c in fresh
            ]
            insert_many(session, Complaint, rows)
            seqs: dict[str, int] = {}
            fresh_ids = [c.complaint_id for _line, c in fresh]
            for start in range(0, len(fresh_ids), 500):
                found = session.execute(
                    select(Complaint.complaint_id, Complaint.seq).where(
                        Complaint.complaint_id.in_(fresh_ids[start : start + 500])
                    )
                )
                seqs.update((cid, seq) for cid, seq in found)
            identifiers = [
                (seqs[c.complaint_id], i.type, i.value, i.raw, i.origin, i.valid)
                for _line, c in fresh
                for i in c.identifiers
            ]
            insert_many(session, ComplaintIdentifier, identifiers, columns=_IDENTIFIER_COLUMNS)
            run.ingested += len(fresh)
        record.line = last_line
        record.ingested, record.unchanged = run.ingested, run.unchanged
        record.rejected = run.rejected_total
        record.details = {"rejected": run.rejected[:KEPT], "warnings": run.warnings[:KEPT]}
        record.updated_at = utcnow()


def _fresh(
    session: Session, checked: list[tuple[int, ComplaintRecord]], run: _Run
) -> list[tuple[int, ComplaintRecord]]:
    """The complaints of the batch not held yet; the others counted unchanged or rejected."""
    ids = sorted({c.complaint_id for _line, c in checked})
    held: dict[str, tuple[str, int, str]] = {}
    for start in range(0, len(ids), 500):
        for complaint_id, digest, line, source in session.execute(
            select(
                Complaint.complaint_id,
                Complaint.content_sha256,
                Complaint.source_line,
                ComplaintIngest.source,
            )
            .join(ComplaintIngest, ComplaintIngest.id == Complaint.ingest_id)
            .where(Complaint.complaint_id.in_(ids[start : start + 500]))
        ):
            held[complaint_id] = (digest, line, source)
    fresh: list[tuple[int, ComplaintRecord]] = []
    for line, complaint in checked:
        known = held.get(complaint.complaint_id)
        if known is None:
            fresh.append((line, complaint))
            held[complaint.complaint_id] = (complaint.content_sha256, line, "this file")
        elif known[0] == complaint.content_sha256:
            run.unchanged += 1
        else:
            run.reject(
                line,
                f"complaint {complaint.complaint_id!r} is already held with other content "
                f"(line {known[1]} of {known[2]}): not overwritten",
            )
    return fresh


def _summary(record: ComplaintIngest, run: _Run, resumed_after: int) -> dict[str, Any]:
    return {
        "ingest": str(record.id),
        "file": record.source,
        "sha256": record.sha256,
        "format": record.format,
        "ingested": run.ingested,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "rejected_total": run.rejected_total,
        "warnings": run.warnings,
        "resumed_after_line": resumed_after or None,
        "seconds": {stage: round(run.seconds[stage], 3) for stage in SECONDS},
    }
