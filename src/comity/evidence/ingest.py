"""Streaming, atomic evidence ingest.

    options = IngestOptions(examiner="R. Iyer")
    items, warnings = ingest(ctx, actor, case_ref, [Path("phone.img")], options)

Two phases. The streaming phase (:class:`comity.evidence.intake.Intake`, no database) hashes
and encrypts every file in one pass into a locked staging folder. The recording phase
(:func:`record_ingest`) removes what interrupted ingests left, checks the case and the caller's
rights in a short transaction (auditing the read of the case), waits for the stream and raises
what stopped it (an unreadable file, an expected hash that does not match), then records blobs,
items, ``acquired`` events and audit entries in one transaction while the staged blobs move
into the store. :func:`ingest` runs the two one after the other; ``comity evidence add`` starts
the stream in a background thread before it loads the database layer, so the two overlap. An
interruption or refusal before the last transaction commits leaves nothing behind that the
store shows: the staging folder is removed when the ingest ends, and what a killed process left
is removed by :meth:`BlobStore.recover` on the next run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.cases.models import Case
from comity.cases.services import get_case, require_case_write
from comity.context import NodeContext
from comity.core.sealing import wrap_key
from comity.evidence.blobstore import BlobStore
from comity.evidence.intake import (
    DEVICE_FIELDS,
    DEVICE_TYPES,
    IngestOptions,
    Intake,
    SourceFile,
    StagedFile,
    collect_sources,
)
from comity.evidence.ledger import append_event
from comity.evidence.models import Blob, EvidenceItem
from comity.evidence.streaming import ProgressCallback
from comity.identity import audit
from comity.identity.services import Actor, resolve_actor

__all__ = [
    "BLOB_KEY_INFO",
    "DEVICE_FIELDS",
    "DEVICE_TYPES",
    "IngestOptions",
    "SourceFile",
    "check_case",
    "collect_sources",
    "ingest",
    "item_summary",
    "record_blob",
    "record_ingest",
    "recover_store",
    "store_for",
]

BLOB_KEY_INFO = b"comity blob key v1"


def store_for(ctx: NodeContext) -> BlobStore:
    """The node's blob store."""
    return BlobStore(ctx.settings.evidence_dir, ctx.address_key)


def record_blob(
    session: Session, ctx: NodeContext, store: BlobStore, sha256: str, size: int, key: bytes
) -> str:
    """Record the blob of content ``sha256`` (its key wrapped to this node) unless known."""
    address = store.address(sha256)
    if session.get(Blob, address) is None:
        keys = ctx.keys
        session.add(
            Blob(
                address=address,
                size=size,
                wrapped_key=wrap_key(key, keys.encryption.public_key(), BLOB_KEY_INFO),
                key_fingerprint=keys.encryption_fingerprint,
            )
        )
        session.flush()
    return address


def recover_store(ctx: NodeContext) -> list[str]:
    """Remove what interrupted ingests left in the store (never a live ingest's staging)."""
    store = store_for(ctx)

    def recorded(addresses: list[str]) -> set[str]:
        if not addresses:
            return set()
        with ctx.transaction() as session:
            return set(session.scalars(select(Blob.address).where(Blob.address.in_(addresses))))

    return store.recover(recorded)


def check_case(ctx: NodeContext, actor_name: str | None, case_ref: str) -> uuid.UUID:
    """Check that the case exists and the actor may add evidence to it; audit the read.

    Commits on its own (the ``case.read`` audit entry stays even if the ingest fails later).
    """
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        case = get_case(session, actor, case_ref, purpose="add evidence")
        require_case_write(actor, case)
        return case.id


def ingest(
    ctx: NodeContext,
    actor_name: str | None,
    case_ref: str,
    paths: list[Path],
    options: IngestOptions,
    progress: ProgressCallback | None = None,
    on_file: Callable[[SourceFile], None] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Ingest files and folders into a case atomically; return item summaries and warnings."""
    sources, warnings = collect_sources(paths)
    with Intake(ctx.settings, sources, warnings, options, progress, on_file) as intake:
        return record_ingest(ctx, actor_name, case_ref, intake)


def record_ingest(
    ctx: NodeContext, actor_name: str | None, case_ref: str, intake: Intake
) -> tuple[list[dict[str, Any]], list[str]]:
    """The recording phase of an ingest whose stream ``intake`` runs (or will run when asked).

    In order: recover the store, check the case and rights, wait for the stream (raising its
    error, e.g. a hash mismatch), then one transaction re-checks the rights and records every
    staged file while its blob is published. Returns item summaries and warnings.
    """
    recover_store(ctx)
    case_id = check_case(ctx, actor_name, case_ref)
    store = store_for(ctx)
    _ = ctx.keys  # read the node's keys while the stream runs, not after
    staged = intake.staged()
    blobs = {store.address(f.sha256): f.path for f in staged}
    with store.publishing(intake.staging, blobs), ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        case = session.get_one(Case, case_id)
        require_case_write(actor, case)  # still: the stream may have taken long
        summaries = [_record(session, ctx, actor, case, store, f, intake.options) for f in staged]
    return summaries, intake.warnings


def _record(
    session: Session,
    ctx: NodeContext,
    actor: Actor,
    case: Case,
    store: BlobStore,
    staged: StagedFile,
    options: IngestOptions,
) -> dict[str, Any]:
    source, result = staged.source, staged.result
    address = record_blob(session, ctx, store, staged.sha256, result.size, staged.key)
    number = (
        session.scalar(
            select(func.count()).select_from(EvidenceItem).where(EvidenceItem.case_id == case.id)
        )
        or 0
    ) + 1
    exhibit = f"{case.reference}/E{number}"
    item = EvidenceItem(
        case_id=case.id,
        exhibit=exhibit,
        root_exhibit=exhibit,
        name=source.path.name,
        path=source.relative,
        size=result.size,
        sha256=result.digests["sha256"],
        md5=result.digests.get("md5"),
        sha1=result.digests.get("sha1"),
        blob_address=address,
        acquisition=options.acquisition(),
        origin_agency=actor.agency.code,
    )
    session.add(item)
    session.flush()
    append_event(
        session,
        ctx,
        actor,
        item,
        "acquired",
        place=options.place,
        purpose=options.purpose or "acquisition",
        authority=options.authority,
        details={
            "source": source.relative,
            "size": result.size,
            "hashes": result.digests,
            "tool": options.tool,
            "tool_version": options.tool_version,
            "examiner": options.examiner,
            "device": options.acquisition()["device"],
            "seized_at": options.seized_at,
            "seizure_timezone": options.timezone,
        },
    )
    audit.record(
        session,
        actor.username,
        "evidence.add",
        "evidence",
        str(item.id),
        case_id=case.id,
        details={"exhibit": exhibit, "sha256": item.sha256, "size": item.size},
    )
    return item_summary(item)


def item_summary(item: EvidenceItem) -> dict[str, Any]:
    """A JSON-ready description of an item: id, exhibit, size, hashes, acquisition."""
    hashes = {"sha256": item.sha256}
    if item.md5:
        hashes["md5"] = item.md5
    if item.sha1:
        hashes["sha1"] = item.sha1
    return {
        "id": str(item.id),
        "exhibit": item.exhibit,
        "root_exhibit": item.root_exhibit,
        "name": item.name,
        "path": item.path,
        "size": item.size,
        "hashes": hashes,
        "acquisition": item.acquisition,
        "origin_agency": item.origin_agency,
    }
