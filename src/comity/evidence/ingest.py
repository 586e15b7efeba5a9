"""Streaming, atomic evidence ingest.

    items = ingest(ctx, actor, case_ref, [Path("phone.img")], IngestOptions(examiner="R. Iyer"))

Three stages: (1) check the case and the caller's rights in a short transaction; (2) stream
every file — hashed and encrypted in one pass into a staging folder, with no transaction open;
(3) one transaction records blobs, items and ``acquired`` events while the staged blobs move
into the store. An interruption before (3) commits leaves nothing behind that the store shows:
staged files and un-recorded objects are removed by :meth:`BlobStore.recover` on the next run.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.cases.models import Case
from comity.cases.services import get_case, require_case_write
from comity.context import NodeContext
from comity.core import aead
from comity.core.sealing import wrap_key
from comity.evidence.blobstore import BlobStore
from comity.evidence.errors import EvidenceInputError, HashMismatch
from comity.evidence.ledger import append_event
from comity.evidence.models import Blob, EvidenceItem
from comity.evidence.streaming import StreamResult, hash_and_encrypt
from comity.identity import audit
from comity.identity.services import Actor, resolve_actor

BLOB_KEY_INFO = b"comity blob key v1"
DEVICE_FIELDS = ("type", "make", "model", "colour", "serial", "imei", "mac", "cloud_id")
DEVICE_TYPES = (
    "computer",
    "storage-media",
    "dvr",
    "mobile",
    "flash-drive",
    "cd-dvd",
    "server",
    "cloud",
    "other",
)


@dataclass
class IngestOptions:
    """Acquisition metadata and hashing choices for an ingest."""

    examiner: str | None = None
    tool: str | None = None
    tool_version: str | None = None
    device: dict[str, str] = field(default_factory=dict)
    seized_at: str | None = None
    timezone: str | None = None
    place: str | None = None
    authority: str | None = None
    purpose: str | None = None
    extra_hashes: tuple[str, ...] = ()
    expected_sha256: dict[str, str] = field(default_factory=dict)

    def acquisition(self) -> dict[str, Any]:
        """The acquisition record kept with each item."""
        return {
            "examiner": self.examiner,
            "tool": self.tool,
            "tool_version": self.tool_version,
            "device": {k: v for k, v in self.device.items() if v},
            "seized_at": self.seized_at,
            "timezone": self.timezone,
            "place": self.place,
            "authority": self.authority,
        }


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest and its path relative to what the user named."""

    path: Path
    relative: str
    size: int


def store_for(ctx: NodeContext) -> BlobStore:
    """The node's blob store."""
    return BlobStore(ctx.settings.evidence_dir, ctx.address_key)


def collect_sources(paths: list[Path]) -> tuple[list[SourceFile], list[str]]:
    """Expand files and folders into regular files; return them and warnings (links skipped)."""
    sources: list[SourceFile] = []
    warnings: list[str] = []
    for given in paths:
        try:
            info = given.lstat()
        except OSError as exc:
            raise EvidenceInputError(
                f"cannot read {given}: {exc.strerror}", path=str(given)
            ) from exc
        if stat.S_ISLNK(info.st_mode):
            raise EvidenceInputError(
                f"{given} is a symbolic link; name its target", path=str(given)
            )
        if stat.S_ISREG(info.st_mode):
            sources.append(SourceFile(given, given.name, info.st_size))
        elif stat.S_ISDIR(info.st_mode):
            sources.extend(_walk(given, warnings))
        else:
            raise EvidenceInputError(f"{given} is not a regular file or folder", path=str(given))
    if not sources:
        raise EvidenceInputError("no files to ingest")
    return sources, warnings


def _walk(root: Path, warnings: list[str]) -> Iterator[SourceFile]:
    for folder, dirs, files in os.walk(root, onerror=_raise_walk_error):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            info = path.lstat()
            relative = f"{root.name}/{path.relative_to(root).as_posix()}"
            if stat.S_ISREG(info.st_mode):
                yield SourceFile(path, relative, info.st_size)
            else:
                warnings.append(f"skipped {relative}: not a regular file")
        for name in list(dirs):
            if (Path(folder) / name).is_symlink():
                warnings.append(
                    f"skipped {root.name}/{(Path(folder) / name).relative_to(root)}: link"
                )
                dirs.remove(name)


def _raise_walk_error(error: OSError) -> None:
    raise EvidenceInputError(f"cannot read {error.filename}: {error.strerror}")


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
    """Remove what interrupted ingests left in the store."""
    store = store_for(ctx)

    def recorded(addresses: list[str]) -> set[str]:
        if not addresses:
            return set()
        with ctx.transaction() as session:
            return set(session.scalars(select(Blob.address).where(Blob.address.in_(addresses))))

    return store.recover(recorded)


def ingest(
    ctx: NodeContext,
    actor_name: str | None,
    case_ref: str,
    paths: list[Path],
    options: IngestOptions,
    progress: Callable[[int], None] | None = None,
    on_file: Callable[[SourceFile], None] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Ingest files and folders into a case atomically; return item summaries and warnings."""
    recover_store(ctx)
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        case = get_case(session, actor, case_ref, purpose="add evidence")
        require_case_write(actor, case)
        case_id = case.id
    sources, warnings = collect_sources(paths)
    unknown = (
        set(options.expected_sha256)
        - {s.relative for s in sources}
        - {str(s.path) for s in sources}
    )
    if unknown:
        raise EvidenceInputError(
            f"expected hashes name files not being ingested: {sorted(unknown)}"
        )
    algorithms = ("sha256", *[a for a in options.extra_hashes if a != "sha256"])
    store = store_for(ctx)
    with store.stage() as staging:
        staged: list[tuple[SourceFile, StreamResult, bytes, Path]] = []
        for index, source in enumerate(sources):
            if on_file is not None:
                on_file(source)
            key = aead.new_key()
            target = staging.file(f"{index}.blob")
            try:
                with source.path.open("rb") as handle:
                    result = hash_and_encrypt(handle, target, key, algorithms, progress)
            except OSError as exc:
                raise EvidenceInputError(
                    f"cannot read {source.relative}: {exc.strerror or exc}", path=source.relative
                ) from exc
            expected = options.expected_sha256.get(source.relative) or options.expected_sha256.get(
                str(source.path)
            )
            if expected and expected.lower() != result.digests["sha256"]:
                raise HashMismatch(
                    f"{source.relative}: SHA-256 is {result.digests['sha256']}, "
                    f"expected {expected.lower()}; nothing was ingested",
                    path=source.relative,
                    expected=expected.lower(),
                    actual=result.digests["sha256"],
                )
            staged.append((source, result, key, target))
        blobs = {store.address(r.digests["sha256"]): t for _s, r, _k, t in staged}
        with store.publishing(staging, blobs), ctx.transaction() as session:
            actor = resolve_actor(session, actor_name)
            case = session.get_one(Case, case_id)
            summaries = [
                _record(session, ctx, actor, case, store, source, result, key, options)
                for source, result, key, _t in staged
            ]
    return summaries, warnings


def _record(
    session: Session,
    ctx: NodeContext,
    actor: Actor,
    case: Case,
    store: BlobStore,
    source: SourceFile,
    result: StreamResult,
    key: bytes,
    options: IngestOptions,
) -> dict[str, Any]:
    address = record_blob(session, ctx, store, result.digests["sha256"], result.size, key)
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
