"""Evidence packages: a BagIt bag (RFC 8493) of evidence, custody ledgers and a signature.

    result = export_package(ctx, "inspector", "CBI-2026-0001", [], "FBI", Path("to-fbi.zip"))

``PATH`` decides the form: a folder, or one ``.zip`` (entries stored, not compressed) or
``.tar`` (uncompressed) file holding the bag in a top-level folder named after the file, so
verification runs at disk and hash speed. With ``encrypt`` the bag is written as a tar stream
sealed for the recipient's X25519 key (:mod:`comity.core.sealing`, HPKE info
:data:`PACKAGE_SEAL_INFO`); the recipient opens it with ``comity evidence unseal``.

Layout of the bag::

    bagit.txt                      BagIt-Version 1.0, UTF-8
    bag-info.txt                   Source-Organization, Contact-Name, External-Identifier
                                   (package id), Bagging-Date, Payload-Oxum, Bag-Size,
                                   Comity-Sender, Comity-Recipient, Comity-Case...
    manifest-sha256.txt            every payload file
    tagmanifest-sha256.txt         every tag file except the signature
    data/<exhibit>/<path>          the evidence bytes; <exhibit> is the exhibit number with
                                   unsafe characters replaced (CBI-2026-0001_E1), <path> the
                                   item's original relative path, cleaned
    comity/package.json            type "comity-evidence-package", version 1, package_id,
                                   created, sender and recipient {code, name, country,
                                   signing_fingerprint}, case {id, reference, title, summary,
                                   jurisdictions, offences, legal_authority, agencies},
                                   signers {fingerprint: {public_key, agency}}, items [{id,
                                   exhibit, root_exhibit, name, path, payload, size, hashes,
                                   acquisition, origin_agency, ledger, head {count, last_hash,
                                   signature}, checkpoints [{count, signature}]}]
    comity/ledger/<item-id>.jsonl  the item's custody events, one canonical JSON body a line,
                                   ending with this export's ``exported`` event
    comity/case-uco.jsonld         the CASE/UCO description (comity.evidence.caseuco)
    comity-signature.jws           JWS (EdDSA) by the sender over {type
                                   "comity-package-signature", version, package_id, created,
                                   sender, recipient, tagmanifest_sha256, payload_oxum}; the only
                                   file the tag manifest leaves out

The export appends an ``exported`` event to each item's ledger (so the package's ledger ends
with it) and records a :class:`PackageRecord` (direction ``out``) in one transaction; the
package appears at ``PATH`` only if that transaction commits. The evidence bytes are read from
the encrypted store and checked against each item's SHA-256 as they are written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import struct
import tarfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from comity import __version__
from comity.cases.models import Case
from comity.cases.services import get_case, require_case_write
from comity.context import NodeContext
from comity.core import aead
from comity.core.canonical import canonical_json
from comity.core.errors import InvalidInput
from comity.core.files import fsync_dir
from comity.core.ids import new_id
from comity.core.keys import NodeKeys, load_x25519_public
from comity.core.sealing import SEAL_MAGIC, wrap_key
from comity.core.signing import sign_document
from comity.core.timeutil import isoformat, utcnow
from comity.evidence.caseuco import build_graph
from comity.evidence.errors import HashMismatch
from comity.evidence.ingest import store_for
from comity.evidence.ledger import append_event, events
from comity.evidence.models import (
    EvidenceItem,
    LedgerCheckpoint,
    LedgerHead,
    PackageRecord,
)
from comity.evidence.services import blob_key, get_item
from comity.evidence.verify import (
    BAG_INFO_FILE,
    BAGIT_FILE,
    CASEUCO_FILE,
    LEDGER_DIR,
    PACKAGE_FILE,
    PACKAGE_TYPE,
    PACKAGE_VERSION,
    SIGNATURE_FILE,
    SIGNATURE_TYPE,
    encode_manifest_path,
)
from comity.federation.models import Peer
from comity.federation.services import get_peer, peer_encryption_key
from comity.identity import audit
from comity.identity.models import Agency, PublicKeyRecord
from comity.identity.services import Actor, active_key, local_agency, resolve_actor

PACKAGE_SEAL_INFO = b"comity evidence package v1"
ProgressFactory = Callable[[int], AbstractContextManager[Callable[[int], None]]]
"""Given a total of bytes, a context manager yielding an ``advance(n)`` callback."""
BAGIT_TEXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
FORMATS = ("directory", "zip", "tar", "sealed")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\%]")


@contextlib.contextmanager
def no_progress(_total: int) -> Iterator[Callable[[int], None]]:
    """A progress factory that shows nothing."""
    yield lambda _n: None


def safe_exhibit(exhibit: str) -> str:
    """A folder name for an exhibit number: ``CBI-2026-0001/E1`` -> ``CBI-2026-0001_E1``."""
    return _UNSAFE.sub("_", exhibit).strip("._") or "item"


def safe_relative(path: str) -> str:
    """Clean an item's relative path for use inside the bag.

    No traversal, no control characters, and no ``%`` (which BagIt manifests would have to
    percent-encode, and not every BagIt tool decodes): such characters become ``_``. The
    original path stays in package.json.
    """
    parts = []
    for part in path.replace("\\", "/").split("/"):
        part = _CONTROL.sub("_", part)
        if part in ("", ".", ".."):
            continue
        parts.append(part)
    return "/".join(parts) or "content"


def package_format(out: Path, encrypt: bool) -> str:
    """The form a package at ``out`` takes: directory, zip, tar or sealed."""
    if encrypt:
        if out.suffix.lower() == ".zip":
            raise InvalidInput("a sealed package is one file; do not name it .zip")
        return "sealed"
    suffix = out.suffix.lower()
    return {".zip": "zip", ".tar": "tar"}.get(suffix, "directory")


# -- writers ---------------------------------------------------------------------------------


class ChunkReader:
    """A minimal file object (``read`` only) over an iterator of chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes (all that remain when ``size`` is negative)."""
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class SealingWriter:
    """A write-only stream that seals what it is given for a recipient (HPKE + AES-GCM)."""

    def __init__(self, raw: BinaryIO, recipient: X25519PublicKey, info: bytes) -> None:
        key = aead.new_key()
        wrapped = wrap_key(key, recipient, info)
        self._raw = raw
        self._encryptor = aead.StreamEncryptor(key)
        raw.write(SEAL_MAGIC + struct.pack(">I", len(wrapped)) + wrapped)
        raw.write(self._encryptor.header)
        self._buffer = bytearray()
        self._size = self._encryptor.chunk_size

    def write(self, data: bytes) -> int:
        """Buffer ``data`` and seal every full chunk but the last."""
        self._buffer += data
        while len(self._buffer) > self._size:
            self._raw.write(self._encryptor.seal(bytes(self._buffer[: self._size]), last=False))
            del self._buffer[: self._size]
        return len(data)

    def finish(self) -> None:
        """Seal the final chunk."""
        self._raw.write(self._encryptor.seal(bytes(self._buffer), last=True))
        self._buffer.clear()


class _Writer:
    """Writes a bag to a temporary place; :meth:`finish` moves it to its final path."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.tmp = out.parent / f".{out.name}.{uuid.uuid4().hex[:12]}.partial"
        self.placed = False
        self.mtime = time.time()

    def add_bytes(self, name: str, data: bytes) -> None:
        raise NotImplementedError

    def add_stream(self, name: str, size: int, chunks: Iterator[bytes]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Close and move the package into place."""
        self.close()
        if self.out.exists() or self.out.is_symlink():
            raise InvalidInput(f"{self.out} appeared meanwhile; refusing to overwrite it")
        self.tmp.rename(self.out)
        self.placed = True
        fsync_dir(self.out.parent)

    def abort(self) -> None:
        """Remove whatever was written."""
        with contextlib.suppress(Exception):
            self.close()
        for path in (self.tmp, self.out if self.placed else None):
            if path is None:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


class _DirectoryWriter(_Writer):
    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.tmp.mkdir(mode=0o700)

    def _target(self, name: str) -> Path:
        target = self.tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def add_bytes(self, name: str, data: bytes) -> None:
        with self._target(name).open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def add_stream(self, name: str, size: int, chunks: Iterator[bytes]) -> None:
        with self._target(name).open("xb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())

    def close(self) -> None:
        return

    def finish(self) -> None:
        self.tmp.chmod(0o755)
        super().finish()


class _ZipWriter(_Writer):
    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.prefix = f"{out.stem}/"
        self.zip = zipfile.ZipFile(self.tmp, "x", zipfile.ZIP_STORED, allowZip64=True)
        self.closed = False

    def _info(self, name: str, size: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(self.prefix + name, time.gmtime(self.mtime)[:6])
        info.compress_type = zipfile.ZIP_STORED
        info.create_system = 3
        info.external_attr = 0o100644 << 16
        info.file_size = size
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        self.zip.writestr(self._info(name, len(data)), data)

    def add_stream(self, name: str, size: int, chunks: Iterator[bytes]) -> None:
        with self.zip.open(self._info(name, size), "w", force_zip64=size >= 1 << 31) as handle:
            for chunk in chunks:
                handle.write(chunk)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.zip.close()
            with self.tmp.open("rb+") as handle:
                os.fsync(handle.fileno())


class _TarWriter(_Writer):
    def __init__(self, out: Path, recipient: X25519PublicKey | None = None) -> None:
        super().__init__(out)
        self.prefix = f"{out.stem}/" if recipient is None else f"{out.name.split('.')[0]}/"
        self.raw = self.tmp.open("xb")
        self.sealer: SealingWriter | None = None
        if recipient is not None:
            self.sealer = SealingWriter(self.raw, recipient, PACKAGE_SEAL_INFO)
            self.tar = tarfile.open(  # noqa: SIM115 - closed by close()
                None, "w|", cast(BinaryIO, self.sealer), format=tarfile.PAX_FORMAT
            )
        else:
            self.tar = tarfile.open(  # noqa: SIM115 - closed by close()
                fileobj=self.raw, mode="w", format=tarfile.PAX_FORMAT
            )
        self.closed = False

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(self.prefix + name)
        info.size = size
        info.mode = 0o644
        info.mtime = int(self.mtime)
        info.type = tarfile.REGTYPE
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        self.tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def add_stream(self, name: str, size: int, chunks: Iterator[bytes]) -> None:
        self.tar.addfile(self._info(name, size), ChunkReader(chunks))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.tar.close()
            if self.sealer is not None:
                self.sealer.finish()
            self.raw.flush()
            os.fsync(self.raw.fileno())
            self.raw.close()


def _writer(fmt: str, out: Path, recipient: X25519PublicKey | None) -> _Writer:
    if fmt == "directory":
        return _DirectoryWriter(out)
    if fmt == "zip":
        return _ZipWriter(out)
    return _TarWriter(out, recipient if fmt == "sealed" else None)


# -- the export ------------------------------------------------------------------------------


@dataclass
class _Planned:
    item_id: uuid.UUID
    exhibit: str
    payload: str
    size: int
    sha256: str
    address: str
    key: bytes


def party(agency: Agency, signing_fingerprint: str) -> dict[str, Any]:
    """The description of a sender or recipient in a package."""
    return {
        "code": agency.code,
        "name": agency.name,
        "country": agency.country,
        "signing_fingerprint": signing_fingerprint,
    }


def case_document(case: Case) -> dict[str, Any]:
    """The case section of package.json."""
    return {
        "id": str(case.id),
        "reference": case.reference,
        "title": case.title,
        "summary": case.summary,
        "jurisdictions": list(case.jurisdictions),
        "offences": list(case.offences),
        "legal_authority": list(case.legal_authority),
        "agencies": list(case.agencies),
    }


def _select_items(
    session: Session, actor: Actor, case: Case, item_refs: list[str]
) -> list[EvidenceItem]:
    if not item_refs:
        items = list(
            session.scalars(
                select(EvidenceItem)
                .where(EvidenceItem.case_id == case.id)
                .order_by(EvidenceItem.created_at, EvidenceItem.exhibit)
            )
        )
        if not items:
            raise InvalidInput(f"case {case.reference} holds no evidence to export")
        return items
    chosen: list[EvidenceItem] = []
    for ref in item_refs:
        item = get_item(session, actor, ref, purpose="export")
        if item.case_id != case.id:
            raise InvalidInput(
                f"{item.exhibit} belongs to another case than {case.reference}", item=ref
            )
        if item not in chosen:
            chosen.append(item)
    return chosen


def _payload_paths(items: list[EvidenceItem]) -> dict[uuid.UUID, str]:
    paths: dict[uuid.UUID, str] = {}
    used: set[str] = set()
    for item in items:
        base = f"data/{safe_exhibit(item.exhibit)}"
        candidate = f"{base}/{safe_relative(item.path)}"
        n = 2
        while candidate.casefold() in used:
            candidate = f"{base}-{n}/{safe_relative(item.path)}"
            n += 1
        used.add(candidate.casefold())
        paths[item.id] = candidate
    return paths


def _checked_chunks(
    planned: _Planned, chunks: Iterator[bytes], progress: Callable[[int], None] | None
) -> Iterator[bytes]:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if progress is not None:
            progress(len(chunk))
        yield chunk
    if size != planned.size or digest.hexdigest() != planned.sha256:
        raise HashMismatch(
            f"{planned.exhibit}: the stored bytes have SHA-256 {digest.hexdigest()}, the record "
            f"says {planned.sha256}; nothing was exported",
            path=planned.payload,
            expected=planned.sha256,
            actual=digest.hexdigest(),
        )


def _signers(session: Session, keys: NodeKeys, own: Agency, fps: set[str]) -> dict[str, Any]:
    signers: dict[str, Any] = {
        keys.signing_fingerprint: {
            "public_key": keys.signing_public,
            "agency": {"code": own.code, "name": own.name, "country": own.country},
        }
    }
    for fp in sorted(fps - set(signers)):
        record = session.scalars(
            select(PublicKeyRecord).where(
                PublicKeyRecord.fingerprint == fp, PublicKeyRecord.kind == "signing"
            )
        ).first()
        if record is None:
            raise InvalidInput(f"the public key {fp} of a ledger checkpoint is not on record")
        agency = record.agency
        signers[fp] = {
            "public_key": record.public_key,
            "agency": {"code": agency.code, "name": agency.name, "country": agency.country},
        }
    return signers


def manifest_text(entries: dict[str, str]) -> bytes:
    """A BagIt manifest: ``<hex>  <path>`` lines, sorted by path."""
    return "".join(
        f"{digest}  {encode_manifest_path(path)}\n" for path, digest in sorted(entries.items())
    ).encode("utf-8")


def bag_info_text(fields: list[tuple[str, str]]) -> bytes:
    """``bag-info.txt`` from labels and values (values flattened to one line)."""
    return "".join(f"{k}: {' '.join(str(v).split())}\n" for k, v in fields).encode("utf-8")


def sign_package(
    keys: NodeKeys, package: dict[str, Any], tagmanifest: bytes, payload_oxum: str
) -> str:
    """The package signature (JWS) over the document naming the package and its tag manifest."""
    document = {
        "type": SIGNATURE_TYPE,
        "version": PACKAGE_VERSION,
        "package_id": package["package_id"],
        "created": package["created"],
        "sender": package["sender"],
        "recipient": package["recipient"],
        "tagmanifest_sha256": hashlib.sha256(tagmanifest).hexdigest(),
        "payload_oxum": payload_oxum,
    }
    return sign_document(keys.signing, document, keys.signing_fingerprint)


def write_tags(
    writer: Any,
    keys: NodeKeys,
    package: dict[str, Any],
    ledger_lines: dict[str, list[str]],
    payload_manifest: dict[str, str],
    bag_info: list[tuple[str, str]],
) -> str:
    """Write the tag files, manifests and signature of a bag; return the tag manifest's hash.

    ``writer`` has ``add_bytes(name, data)``.
    """
    ledgers = {
        item_id: [json.loads(line) for line in lines] for item_id, lines in ledger_lines.items()
    }
    tags: dict[str, bytes] = {
        BAGIT_FILE: BAGIT_TEXT,
        PACKAGE_FILE: (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode(),
        CASEUCO_FILE: (
            json.dumps(build_graph(package, ledgers), indent=2, ensure_ascii=False) + "\n"
        ).encode(),
    }
    for item_id, lines in ledger_lines.items():
        tags[f"{LEDGER_DIR}{item_id}.jsonl"] = "".join(f"{line}\n" for line in lines).encode()
    total = sum(i["size"] for i in package["items"])
    oxum = f"{total}.{len(payload_manifest)}"
    tags[BAG_INFO_FILE] = bag_info_text([*bag_info, ("Payload-Oxum", oxum)])
    tags["manifest-sha256.txt"] = manifest_text(payload_manifest)
    tagmanifest = manifest_text({n: hashlib.sha256(d).hexdigest() for n, d in tags.items()})
    for name in sorted(tags):
        writer.add_bytes(name, tags[name])
    writer.add_bytes("tagmanifest-sha256.txt", tagmanifest)
    writer.add_bytes(
        SIGNATURE_FILE, (sign_package(keys, package, tagmanifest, oxum) + "\n").encode()
    )
    return hashlib.sha256(tagmanifest).hexdigest()


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{size} B"
        value /= 1000
    return f"{size} B"


def export_package(
    ctx: NodeContext,
    actor_name: str | None,
    case_ref: str,
    item_refs: list[str],
    peer_code: str,
    out: Path,
    *,
    encrypt: bool = False,
    purpose: str | None = None,
    authority: str | None = None,
    progress: ProgressFactory | None = None,
) -> dict[str, Any]:
    """Write an evidence package of ``case_ref`` (all items, or ``item_refs``) for a peer.

    Returns a summary: package id, path, format, recipient, items, manifest hash.
    """
    fmt = package_format(out, encrypt)
    if out.exists() or out.is_symlink():
        raise InvalidInput(f"{out} exists; refusing to overwrite it", path=str(out))
    if not out.parent.is_dir():
        raise InvalidInput(f"folder {out.parent} does not exist", path=str(out))
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        case = get_case(session, actor, case_ref, purpose="export evidence")
        require_case_write(actor, case)
        peer: Peer = get_peer(session, peer_code)
        if peer.status != "active":
            raise InvalidInput(f"peer {peer.agency.code} is {peer.status}", peer=peer.agency.code)
        recipient = party(peer.agency, active_key(peer.agency, "signing").fingerprint)
        seal_key = load_x25519_public(peer_encryption_key(peer)) if encrypt else None
        items = _select_items(session, actor, case, item_refs)
        paths = _payload_paths(items)
        planned = [
            _Planned(
                i.id, i.exhibit, paths[i.id], i.size, i.sha256, i.blob_address, blob_key(ctx, i)
            )
            for i in items
        ]
        case_id = case.id
    package_id = str(new_id())
    store = store_for(ctx)
    writer = _writer(fmt, out, seal_key)
    try:
        with (progress or no_progress)(sum(p.size for p in planned)) as advance:
            for plan in planned:
                writer.add_stream(
                    plan.payload,
                    plan.size,
                    _checked_chunks(plan, store.read(plan.address, plan.key), advance),
                )
        with ctx.transaction() as session:
            actor = resolve_actor(session, actor_name)
            case = session.get_one(Case, case_id)
            own = local_agency(session)
            summary = _record_export(
                session,
                ctx,
                actor,
                case,
                own,
                recipient,
                planned,
                package_id,
                fmt,
                purpose=purpose or f"transfer to {recipient['code']}",
                authority=authority,
                writer=writer,
            )
            writer.finish()
    except BaseException:
        writer.abort()
        raise
    return {**summary, "path": str(out)}


def _record_export(
    session: Session,
    ctx: NodeContext,
    actor: Actor,
    case: Case,
    own: Agency,
    recipient: dict[str, Any],
    planned: list[_Planned],
    package_id: str,
    fmt: str,
    *,
    purpose: str,
    authority: str | None,
    writer: _Writer,
) -> dict[str, Any]:
    keys = ctx.keys
    created = isoformat(utcnow())
    recipient_short = {k: recipient[k] for k in ("code", "name", "country")}
    items_doc: list[dict[str, Any]] = []
    ledger_lines: dict[str, list[str]] = {}
    checkpoint_signers: set[str] = set()
    for plan in planned:
        item = session.get_one(EvidenceItem, plan.item_id)
        append_event(
            session,
            ctx,
            actor,
            item,
            "exported",
            purpose=purpose,
            authority=authority,
            details={
                "package_id": package_id,
                "recipient": recipient_short,
                "format": fmt,
                "payload": plan.payload,
            },
        )
        head = session.get_one(LedgerHead, item.id)
        rows = events(session, item.id)
        checkpoints = list(
            session.scalars(
                select(LedgerCheckpoint)
                .where(LedgerCheckpoint.item_id == item.id)
                .order_by(LedgerCheckpoint.count)
            )
        )
        checkpoint_signers |= {c.signer_fingerprint for c in checkpoints}
        ledger_lines[str(item.id)] = [e.body for e in rows]
        hashes = {"sha256": item.sha256}
        if item.md5:
            hashes["md5"] = item.md5
        if item.sha1:
            hashes["sha1"] = item.sha1
        items_doc.append(
            {
                "id": str(item.id),
                "exhibit": item.exhibit,
                "root_exhibit": item.root_exhibit,
                "name": item.name,
                "path": item.path,
                "payload": plan.payload,
                "size": item.size,
                "hashes": hashes,
                "acquisition": item.acquisition,
                "origin_agency": item.origin_agency,
                "ledger": f"{LEDGER_DIR}{item.id}.jsonl",
                "head": {
                    "count": head.count,
                    "last_hash": head.last_hash,
                    "signature": head.signature,
                },
                "checkpoints": [{"count": c.count, "signature": c.signature} for c in checkpoints],
            }
        )
    sender = party(own, keys.signing_fingerprint)
    package: dict[str, Any] = {
        "type": PACKAGE_TYPE,
        "version": PACKAGE_VERSION,
        "package_id": package_id,
        "created": created,
        "generator": f"Comity {__version__}",
        "sender": sender,
        "recipient": recipient,
        "case": case_document(case),
        "signers": _signers(session, keys, own, checkpoint_signers),
        "items": items_doc,
    }
    canonical_json(package)  # refuses values JSON cannot carry faithfully
    total = sum(p.size for p in planned)
    bag_info = [
        ("Source-Organization", own.name),
        ("Contact-Name", actor.user.display_name),
        ("External-Identifier", package_id),
        ("External-Description", f"Evidence of case {case.reference} for {recipient['name']}"),
        ("Internal-Sender-Identifier", case.reference),
        ("Bagging-Date", created[:10]),
        ("Bag-Software-Agent", f"Comity {__version__}"),
        ("Bag-Size", _human_size(total)),
        ("Comity-Package-Id", package_id),
        ("Comity-Sender", f"{own.code} ({own.country}) {keys.signing_fingerprint}"),
        (
            "Comity-Recipient",
            f"{recipient['code']} ({recipient['country']}) {recipient['signing_fingerprint']}",
        ),
    ]
    manifest_sha256 = write_tags(
        writer,
        keys,
        package,
        ledger_lines,
        {p.payload: p.sha256 for p in planned},
        bag_info,
    )
    record_items = [
        {
            "id": str(p.item_id),
            "exhibit": p.exhibit,
            "sha256": p.sha256,
            "size": p.size,
            "payload": p.payload,
        }
        for p in planned
    ]
    session.add(
        PackageRecord(
            id=uuid.UUID(package_id),
            case_id=case.id,
            direction="out",
            peer_code=recipient["code"],
            manifest_sha256=manifest_sha256,
            items=record_items,
        )
    )
    session.flush()
    audit.record(
        session,
        actor.username,
        "package.export",
        "package",
        package_id,
        case_id=case.id,
        details={
            "recipient": recipient["code"],
            "format": fmt,
            "items": [p.exhibit for p in planned],
            "manifest_sha256": manifest_sha256,
        },
    )
    return {
        "package_id": package_id,
        "format": fmt,
        "case": case.reference,
        "sender": sender,
        "recipient": recipient,
        "manifest_sha256": manifest_sha256,
        "signer_fingerprint": keys.signing_fingerprint,
        "items": record_items,
        "bytes": total,
    }
