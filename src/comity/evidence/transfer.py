"""Receiving evidence packages, signed receipts, and opening sealed packages.

On the recipient::

    result = import_package(ctx, "examiner", Path("from-cbi.zip"))   # or a sealed file
    result["receipt_path"]    # the signed receipt to send back to the sender

On the sender::

    record_receipt(ctx, "inspector", Path("from-cbi.zip.receipt.json"))

**Import** reads the package once: the verifier (:mod:`comity.evidence.verify`) checks the
structure, tags, ledgers and signature against the *sender's* signing keys from its peer record
(revoked keys refused; a package addressed to another node refused) and, only if all of that
holds, streams each payload file through hashing and encryption into a staging folder of the
blob store. Then one transaction — while the staged blobs move into the store — records the
items under the sender's item ids, the sender's events as custody events with the same bodies
and hashes (so the chain continues), the sender's signed heads as ledger checkpoints, a
``received`` event signed by this node, a :class:`PackageRecord` (``in``) and the signed
receipt. Any failure leaves the database and store as they were; a refused package leaves only
an ``package.import_refused`` entry in the audit log.

**Receipt**: a JSON document naming the package, its tag-manifest hash and signature hash,
sender, recipient (with the receiving node's key fingerprint), who received it and when, and
every item with its hash and the hash of its ``received`` event; ``signature`` holds a JWS of
the document by the receiving node. The sender checks it against the recipient's key, matches
it to the outgoing package and appends a ``transferred`` event to each item.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.cases.models import Case
from comity.cases.services import (
    CASE_WRITE_ROLES,
    create_case,
    get_case,
    require_case_write,
)
from comity.context import NodeContext
from comity.core import aead
from comity.core.aead import DecryptionFailed
from comity.core.errors import AlreadyExists, CheckFailed, InvalidInput, NotFound
from comity.core.files import fsync_dir, write_atomic
from comity.core.keys import format_fingerprint, load_ed25519_public
from comity.core.sealing import is_sealed, open_sealed
from comity.core.signing import SignatureInvalid, jws_parts, sign_document, verify_document
from comity.core.timeutil import isoformat, parse_time, utcnow
from comity.evidence.archive import PackageSource, TarSource, open_package
from comity.evidence.blobstore import Staging
from comity.evidence.errors import ImportRefused, PackageInvalid, ReceiptInvalid
from comity.evidence.ingest import item_summary, record_blob, recover_store, store_for
from comity.evidence.ledger import append_event, node_signing_keys
from comity.evidence.models import (
    CUSTODY_ACTIONS,
    CustodyEvent,
    EvidenceItem,
    LedgerCheckpoint,
    LedgerHead,
    PackageRecord,
)
from comity.evidence.package import PACKAGE_SEAL_INFO, ChunkReader, ProgressFactory, no_progress
from comity.evidence.streaming import StreamResult, hash_and_encrypt
from comity.evidence.verify import PACKAGE_FILE, Report, verify_source
from comity.federation.models import Peer
from comity.federation.services import get_peer, trusted_signing_keys
from comity.identity import audit
from comity.identity.models import Agency
from comity.identity.services import Actor, local_agency, resolve_actor

RECEIPT_TYPE = "comity-package-receipt"
RECEIPT_VERSION = 1
MAX_RECEIPT_BYTES = 4 << 20


def default_receipt_path(package: Path) -> Path:
    """Where a receipt goes by default: beside the package, ``<name>.receipt.json``."""
    return package.parent / f"{package.name}.receipt.json"


# -- opening sealed packages -----------------------------------------------------------------


def _decrypt_to(ctx: NodeContext, sealed: Path, target: Path) -> None:
    """Decrypt a sealed package into ``target`` (a plain tar) with this node's keys."""
    candidates = [ctx.keys, *ctx.retired_keys().values()]
    last: DecryptionFailed | None = None
    for keys in candidates:
        try:
            with sealed.open("rb") as source, target.open("wb") as out:
                for chunk in open_sealed(source, keys.encryption, PACKAGE_SEAL_INFO):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            return
        except DecryptionFailed as exc:
            last = exc
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            if "unwrap" not in exc.message:
                break
    raise DecryptionFailed(
        f"{sealed.name}: cannot open the sealed package: {last.message if last else ''}",
        path=str(sealed),
    )


def _peek_package(source: PackageSource) -> dict[str, Any]:
    """Read package.json before verification (only to learn who claims to send it)."""
    if PACKAGE_FILE not in source.entries:
        raise PackageInvalid(f"{PACKAGE_FILE} is missing", path=PACKAGE_FILE)
    try:
        package = json.loads(source.read(PACKAGE_FILE, 64 << 20))
        str(package["sender"]["code"])
        str(package["recipient"]["code"])
        str(package["package_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PackageInvalid(f"{PACKAGE_FILE}: malformed ({exc})", path=PACKAGE_FILE) from exc
    if not isinstance(package, dict):
        raise PackageInvalid(f"{PACKAGE_FILE}: not a JSON object", path=PACKAGE_FILE)
    return package


def _peer_keys(peer: Peer) -> tuple[dict[str, Ed25519PublicKey], set[str]]:
    trusted = {fp: load_ed25519_public(k) for fp, k in trusted_signing_keys(peer.agency).items()}
    revoked = {
        k.fingerprint for k in peer.agency.keys if k.kind == "signing" and k.status == "revoked"
    }
    return trusted, revoked


def _signer_of(source: PackageSource) -> str | None:
    from comity.evidence.verify import SIGNATURE_FILE

    if SIGNATURE_FILE not in source.entries:
        return None
    try:
        header, _ = jws_parts(source.read(SIGNATURE_FILE, 65536).decode().strip())
    except (SignatureInvalid, UnicodeDecodeError):
        return None
    return str(header.get("kid"))


def _check_addressing(
    session: Session, package: dict[str, Any], signer: str | None
) -> tuple[Peer, dict[str, Ed25519PublicKey]]:
    own = local_agency(session)
    sender_code = str(package["sender"]["code"])
    recipient = package["recipient"]
    if recipient.get("code") != own.code:
        raise ImportRefused(
            f"the package is addressed to {recipient.get('code')}, not to this node ({own.code})",
            expected=own.code,
            actual=recipient.get("code"),
        )
    if recipient.get("signing_fingerprint") not in node_signing_keys(session):
        raise ImportRefused(
            "the package is addressed to a signing key that is not this node's "
            f"({recipient.get('signing_fingerprint')})",
            actual=recipient.get("signing_fingerprint"),
        )
    try:
        peer = get_peer(session, sender_code)
    except (NotFound, InvalidInput) as exc:
        raise ImportRefused(
            f"the package comes from {sender_code}, which is not a peer of this node",
            sender=sender_code,
        ) from exc
    if peer.status != "active":
        raise ImportRefused(f"peer {sender_code} is {peer.status}", sender=sender_code)
    trusted, revoked = _peer_keys(peer)
    if signer in revoked:
        raise ImportRefused(
            f"the package is signed with a revoked key of {sender_code} "
            f"({format_fingerprint(signer or '')}); refused",
            fingerprint=signer,
        )
    if not trusted:
        raise ImportRefused(f"peer {sender_code} has no signing key on record", sender=sender_code)
    return peer, trusted


def _refused(ctx: NodeContext, actor_name: str | None, path: Path, exc: Exception) -> None:
    message = getattr(exc, "message", str(exc))
    with contextlib.suppress(Exception), ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        audit.record(
            session,
            actor.username,
            "package.import_refused",
            "package",
            path.name[:100],
            details={"reason": message[:1000]},
        )


# -- import ----------------------------------------------------------------------------------


def import_package(
    ctx: NodeContext,
    actor_name: str | None,
    path: Path,
    *,
    case_ref: str | None = None,
    receipt_out: Path | None = None,
    progress: ProgressFactory | None = None,
) -> dict[str, Any]:
    """Verify and import a package (plain or sealed); write and return the signed receipt."""
    receipt_path = receipt_out or default_receipt_path(path)
    if receipt_path.exists():
        raise InvalidInput(
            f"{receipt_path} exists; refusing to overwrite it", path=str(receipt_path)
        )
    if not receipt_path.parent.is_dir():
        raise InvalidInput(f"folder {receipt_path.parent} does not exist")
    if not path.exists():
        raise InvalidInput(f"no such package: {path}", path=str(path))
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        actor.require(*CASE_WRITE_ROLES)
        if case_ref is not None:
            require_case_write(actor, get_case(session, actor, case_ref, purpose="import evidence"))
    recover_store(ctx)
    store = store_for(ctx)
    try:
        with store.stage() as staging:
            source_path = path
            sealed = False
            if path.is_file():
                with path.open("rb") as probe:
                    sealed = is_sealed(probe.read(16))
            if sealed:
                source_path = staging.file("package.tar")
                _decrypt_to(ctx, path, source_path)
            with open_package(source_path, ctx.settings.max_package_expansion) as source:
                if sealed and not isinstance(source, TarSource):
                    raise PackageInvalid("the sealed package does not hold a tar archive")
                return _import_source(
                    ctx,
                    actor_name,
                    path,
                    source,
                    staging,
                    case_ref=case_ref,
                    receipt_path=receipt_path,
                    sealed=sealed,
                    progress=progress,
                )
    except CheckFailed as exc:
        _refused(ctx, actor_name, path, exc)
        raise


def _import_source(
    ctx: NodeContext,
    actor_name: str | None,
    path: Path,
    source: PackageSource,
    staging: Staging,
    *,
    case_ref: str | None,
    receipt_path: Path,
    sealed: bool,
    progress: ProgressFactory | None,
) -> dict[str, Any]:
    peek = _peek_package(source)
    signer = _signer_of(source)
    with ctx.transaction() as session:
        _peer, trusted = _check_addressing(session, peek, signer)
        existing = session.get(PackageRecord, _uuid(peek["package_id"]))
        if existing is not None:
            raise AlreadyExists(
                f"package {peek['package_id']} was already "
                f"{'imported' if existing.direction == 'in' else 'written'} by this node",
                package_id=str(peek["package_id"]),
            )
    staged: dict[str, tuple[Path, bytes, StreamResult]] = {}

    def hasher(name: str, chunks: Iterator[bytes], algorithms: tuple[str, ...]) -> dict[str, str]:
        key = aead.new_key()
        target = staging.file(f"{len(staged)}.blob")
        result = hash_and_encrypt(ChunkReader(chunks), target, key, algorithms)  # type: ignore[arg-type]
        staged[name] = (target, key, result)
        return result.digests

    total = sum(e.size for n, e in source.entries.items() if n.startswith("data/"))
    with (progress or no_progress)(total) as advance:
        report = verify_source(
            source,
            trusted,
            progress=advance,
            hasher=hasher,
            stop_before_payload_on_problems=True,
            all_hashes=True,
        )
    report.raise_for_problems()
    if not report.authenticated or report.package is None:
        raise ImportRefused("the package signer could not be authenticated")
    package = report.package
    for item in package["items"]:
        for event in report.ledgers[item["id"]]:
            if event.data.get("action") not in CUSTODY_ACTIONS:
                raise ImportRefused(
                    f"{item['ledger']}: unknown custody action {event.data.get('action')!r}",
                    path=item["ledger"],
                )
    store = store_for(ctx)
    blobs: dict[str, Path] = {}
    for _name, (target, _key, result) in staged.items():
        blobs.setdefault(store.address(result.digests["sha256"]), target)
    written = False
    try:
        with store.publishing(staging, blobs), ctx.transaction() as session:
            actor = resolve_actor(session, actor_name)
            receipt = _record_import(
                session, ctx, actor, package, report, staged, case_ref=case_ref, sealed=sealed
            )
            session.flush()
            text = json.dumps(receipt, indent=2, ensure_ascii=False) + "\n"
            write_atomic(receipt_path, text.encode())
            written = True
    except BaseException:
        if written:
            receipt_path.unlink(missing_ok=True)
        raise
    return {
        "package_id": package["package_id"],
        "sender": package["sender"],
        "case": receipt["case"]["reference"],
        "items": receipt["items"],
        "manifest_sha256": report.tagmanifest_sha256,
        "signer_fingerprint": report.signer_fingerprint,
        "receipt_path": str(receipt_path),
        "sealed": sealed,
    }


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise PackageInvalid(f"malformed id {value!r} in the package") from exc


def _mirror_case(session: Session, actor: Actor, package: dict[str, Any]) -> Case:
    case = package.get("case") or {}
    sender = package["sender"]
    note = (
        f"Received from {sender.get('name')} ({sender.get('code')}, {sender.get('country')}), "
        f"their case {case.get('reference')}, in package {package['package_id']}."
    )
    summary = "\n\n".join(s for s in (str(case.get("summary") or ""), note) if s)
    return create_case(
        session,
        actor,
        title=str(case.get("title") or f"Evidence from {sender.get('code')}"),
        jurisdictions=list(case.get("jurisdictions") or [sender.get("country")]),
        summary=summary,
        offences=[f"{o['jurisdiction']}:{o['reference']}" for o in case.get("offences") or []],
        authorities=[f"{a['kind']}:{a['reference']}" for a in case.get("legal_authority") or []],
        agencies=[*(case.get("agencies") or []), str(sender.get("code"))],
    )


def _record_import(
    session: Session,
    ctx: NodeContext,
    actor: Actor,
    package: dict[str, Any],
    report: Report,
    staged: dict[str, tuple[Path, bytes, StreamResult]],
    *,
    case_ref: str | None,
    sealed: bool,
) -> dict[str, Any]:
    keys = ctx.keys
    if case_ref is not None:
        case = get_case(session, actor, case_ref, purpose="import evidence")
        require_case_write(actor, case)
    else:
        case = _mirror_case(session, actor, package)
    own = local_agency(session)
    sender = package["sender"]
    package_id = str(package["package_id"])
    store = store_for(ctx)
    received_at = utcnow()
    receipt_items: list[dict[str, Any]] = []
    record_items: list[dict[str, Any]] = []
    count = (
        session.scalar(
            select(func.count()).select_from(EvidenceItem).where(EvidenceItem.case_id == case.id)
        )
        or 0
    )
    for item_doc in package["items"]:
        item_id = _uuid(item_doc["id"])
        if session.get(EvidenceItem, item_id) is not None:
            raise ImportRefused(
                f"item {item_doc['exhibit']} ({item_id}) is already held by this node; "
                "returning evidence to a former holder is not supported yet",
                item=str(item_id),
            )
        _target, key, result = staged[item_doc["payload"]]
        address = record_blob(session, ctx, store, result.digests["sha256"], result.size, key)
        count += 1
        exhibit = f"{case.reference}/E{count}"
        hashes = item_doc["hashes"]
        item = EvidenceItem(
            id=item_id,
            case_id=case.id,
            exhibit=exhibit,
            root_exhibit=str(item_doc.get("root_exhibit") or item_doc["exhibit"]),
            name=str(item_doc.get("name") or Path(item_doc["payload"]).name),
            path=str(item_doc.get("path") or item_doc["payload"]),
            size=result.size,
            sha256=result.digests["sha256"],
            md5=hashes.get("md5"),
            sha1=hashes.get("sha1"),
            blob_address=address,
            acquisition=item_doc.get("acquisition") or {},
            origin_agency=str(item_doc.get("origin_agency") or sender["code"]),
        )
        session.add(item)
        session.flush()
        ledger = report.ledgers[item_doc["id"]]
        for event in ledger:
            data = event.data
            session.add(
                CustodyEvent(
                    id=_uuid(data.get("event")),
                    item_id=item.id,
                    item_seq=int(data["seq"]),
                    action=str(data["action"]),
                    at=parse_time(str(data["at"])),
                    body=event.body,
                    prev_hash=event.prev,
                    hash=event.hash,
                )
            )
        session.flush()
        for checkpoint in [*item_doc["checkpoints"], item_doc["head"]]:
            header, _ = jws_parts(str(checkpoint["signature"]))
            session.add(
                LedgerCheckpoint(
                    item_id=item.id,
                    count=int(checkpoint["count"]),
                    signature=str(checkpoint["signature"]),
                    signer_fingerprint=str(header.get("kid")),
                )
            )
        head = item_doc["head"]
        session.add(
            LedgerHead(
                item_id=item.id,
                count=int(head["count"]),
                last_hash=str(head["last_hash"]),
                signature=str(head["signature"]),
            )
        )
        session.flush()
        received = append_event(
            session,
            ctx,
            actor,
            item,
            "received",
            purpose=f"receipt of evidence from {sender['code']}",
            details={
                "package_id": package_id,
                "sender": {k: sender.get(k) for k in ("code", "name", "country")},
                "sender_exhibit": item_doc["exhibit"],
                "manifest_sha256": report.tagmanifest_sha256,
                "signer_fingerprint": report.signer_fingerprint,
                "sealed": sealed,
                "verified": True,
            },
            at=received_at,
        )
        audit.record(
            session,
            actor.username,
            "evidence.receive",
            "evidence",
            str(item.id),
            case_id=case.id,
            details={"exhibit": exhibit, "sha256": item.sha256, "package_id": package_id},
        )
        receipt_items.append(
            {
                "id": str(item.id),
                "exhibit": item_doc["exhibit"],
                "local_exhibit": exhibit,
                "payload": item_doc["payload"],
                "size": item.size,
                "sha256": item.sha256,
                "events": int(head["count"]),
                "received_event": received.hash,
            }
        )
        record_items.append(
            {
                **item_summary(item),
                "sender_exhibit": item_doc["exhibit"],
                "payload": item_doc["payload"],
            }
        )
    receipt_doc = {
        "type": RECEIPT_TYPE,
        "version": RECEIPT_VERSION,
        "receipt_id": str(uuid.uuid4()),
        "package_id": package_id,
        "manifest_sha256": report.tagmanifest_sha256,
        "package_signature_sha256": hashlib.sha256((report.signature or "").encode()).hexdigest(),
        "sender": sender,
        "recipient": {
            "code": own.code,
            "name": own.name,
            "country": own.country,
            "signing_fingerprint": keys.signing_fingerprint,
        },
        "received_at": isoformat(received_at),
        "received_by": {"username": actor.username, "name": actor.user.display_name},
        "case": {"reference": case.reference},
        "items": receipt_items,
        "verification": {
            "result": report.status(),
            "signer_fingerprint": report.signer_fingerprint,
        },
    }
    receipt = {
        **receipt_doc,
        "signature": sign_document(keys.signing, receipt_doc, keys.signing_fingerprint),
    }
    session.add(
        PackageRecord(
            id=_uuid(package_id),
            case_id=case.id,
            direction="in",
            peer_code=str(sender["code"]),
            manifest_sha256=str(report.tagmanifest_sha256),
            items=record_items,
            receipt=json.dumps(receipt, ensure_ascii=False),
            receipt_recorded_at=received_at,
        )
    )
    audit.record(
        session,
        actor.username,
        "package.import",
        "package",
        package_id,
        case_id=case.id,
        details={
            "sender": sender["code"],
            "items": [i["local_exhibit"] for i in receipt_items],
            "manifest_sha256": report.tagmanifest_sha256,
        },
    )
    return receipt


# -- receipts on the sender ------------------------------------------------------------------


def read_receipt(path: Path) -> tuple[dict[str, Any], str, str]:
    """Read a receipt file; return its document, its signature and its raw text."""
    try:
        if path.stat().st_size > MAX_RECEIPT_BYTES:
            raise ReceiptInvalid(f"{path.name} is too large for a receipt")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidInput(f"no such file: {path}", path=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ReceiptInvalid(f"{path.name}: not a readable receipt ({exc})") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReceiptInvalid(f"{path.name}: not a JSON receipt ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != RECEIPT_TYPE:
        raise ReceiptInvalid(f"{path.name}: not a Comity package receipt")
    signature = data.get("signature")
    if not isinstance(signature, str):
        raise ReceiptInvalid(f"{path.name}: the receipt is not signed")
    document = {k: v for k, v in data.items() if k != "signature"}
    return document, signature, text


def record_receipt(ctx: NodeContext, actor_name: str | None, path: Path) -> dict[str, Any]:
    """Verify a receipt from the recipient and append ``transferred`` to each item's ledger."""
    document, signature, text = read_receipt(path)
    try:
        header, _ = jws_parts(signature)
        package_id = uuid.UUID(str(document.get("package_id")))
    except (SignatureInvalid, ValueError) as exc:
        raise ReceiptInvalid(f"{path.name}: malformed receipt ({exc})") from exc
    kid = str(header.get("kid"))
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        record = session.get(PackageRecord, package_id)
        if record is None or record.direction != "out":
            raise ReceiptInvalid(
                f"the receipt is for package {package_id}, which this node did not send",
                package_id=str(package_id),
            )
        case = get_case(session, actor, str(record.case_id), purpose="record receipt")
        actor.require(*CASE_WRITE_ROLES)
        peer = get_peer(session, record.peer_code)
        trusted, revoked = _peer_keys(peer)
        if kid in revoked:
            raise ReceiptInvalid(f"the receipt is signed with a revoked key of {record.peer_code}")
        key = trusted.get(kid)
        if key is None:
            raise ReceiptInvalid(
                f"the receipt is signed by key {kid}, which is not a key of {record.peer_code}",
                actual=kid,
            )
        try:
            signed = verify_document(signature, key)
        except SignatureInvalid as exc:
            raise ReceiptInvalid(f"{path.name}: the receipt's signature does not verify") from exc
        if signed != document:
            raise ReceiptInvalid(f"{path.name}: the receipt was altered after it was signed")
        _match_receipt(session, document, record, own_code=local_agency(session).code)
        if record.receipt is not None:
            same = _receipt_id(record.receipt) == document.get("receipt_id")
            raise AlreadyExists(
                f"{'this' if same else 'a'} receipt for package {package_id} was already "
                f"recorded on {isoformat(record.receipt_recorded_at or utcnow())}",
                package_id=str(package_id),
            )
        now = utcnow()
        record.receipt = text
        record.receipt_recorded_at = now
        receipt_sha = hashlib.sha256(text.encode()).hexdigest()
        by_id = {i["id"]: i for i in document["items"]}
        transferred = []
        for entry in record.items:
            item = session.get_one(EvidenceItem, uuid.UUID(entry["id"]))
            delivered = by_id[entry["id"]]
            event = append_event(
                session,
                ctx,
                actor,
                item,
                "transferred",
                purpose=f"delivery to {record.peer_code} confirmed by its signed receipt",
                details={
                    "package_id": str(package_id),
                    "recipient": {
                        k: document["recipient"].get(k)
                        for k in ("code", "name", "country", "signing_fingerprint")
                    },
                    "received_at": document.get("received_at"),
                    "received_by": document.get("received_by"),
                    "receipt_id": document.get("receipt_id"),
                    "receipt_sha256": receipt_sha,
                    "recipient_exhibit": delivered.get("local_exhibit"),
                    "recipient_event": delivered.get("received_event"),
                },
            )
            transferred.append({"exhibit": item.exhibit, "event": event.hash})
        audit.record(
            session,
            actor.username,
            "package.receipt",
            "package",
            str(package_id),
            case_id=case.id,
            details={"recipient": record.peer_code, "receipt_sha256": receipt_sha},
        )
    return {
        "package_id": str(package_id),
        "recipient": document["recipient"],
        "received_at": document.get("received_at"),
        "received_by": document.get("received_by"),
        "items": transferred,
    }


def _receipt_id(text: str) -> Any:
    with contextlib.suppress(ValueError, AttributeError):
        return json.loads(text).get("receipt_id")
    return None


def _match_receipt(
    session: Session, document: dict[str, Any], record: PackageRecord, own_code: str
) -> None:
    recipient = document.get("recipient") or {}
    if recipient.get("code") != record.peer_code:
        raise ReceiptInvalid(
            f"the receipt names {recipient.get('code')} as recipient, the package went to "
            f"{record.peer_code}"
        )
    if document.get("manifest_sha256") != record.manifest_sha256:
        raise ReceiptInvalid(
            "the receipt acknowledges another tag manifest than the package this node sent",
            expected=record.manifest_sha256,
            actual=document.get("manifest_sha256"),
        )
    if (document.get("sender") or {}).get("code") != own_code:
        raise ReceiptInvalid("the receipt names another sender than this node")
    sent = {(i["id"], i["sha256"]) for i in record.items}
    try:
        received = {(i["id"], i["sha256"]) for i in document["items"]}
    except (KeyError, TypeError) as exc:
        raise ReceiptInvalid("the receipt's item list is malformed") from exc
    if sent != received:
        raise ReceiptInvalid(
            "the receipt acknowledges other items than the package held",
            expected=sorted(i for i, _ in sent),
            actual=sorted(i for i, _ in received),
        )


# -- unseal ----------------------------------------------------------------------------------


def unseal_package(
    ctx: NodeContext,
    actor_name: str | None,
    path: Path,
    out: Path,
    progress: ProgressFactory | None = None,
) -> dict[str, Any]:
    """Decrypt a sealed package to a plain bag at ``out`` (a folder, or ``.tar``), verified."""
    if out.exists() or out.is_symlink():
        raise InvalidInput(f"{out} exists; refusing to overwrite it", path=str(out))
    if not out.parent.is_dir():
        raise InvalidInput(f"folder {out.parent} does not exist")
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}", path=str(path))
    with path.open("rb") as probe:
        if not is_sealed(probe.read(16)):
            raise InvalidInput(f"{path.name} is not a sealed package", path=str(path))
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        actor.require(*CASE_WRITE_ROLES)
    tag = uuid.uuid4().hex[:12]
    plain = out.parent / f".{out.name}.{tag}.tar.partial"
    folder = out.parent / f".{out.name}.{tag}.partial"
    try:
        _decrypt_to(ctx, path, plain)
        with open_package(plain, ctx.settings.max_package_expansion) as source:
            if not isinstance(source, TarSource):
                raise PackageInvalid("the sealed package does not hold a tar archive")
            peek = _peek_package(source)
            trusted: dict[str, Ed25519PublicKey] | None = None
            with ctx.transaction() as session:
                agency = session.scalars(
                    select(Agency).where(Agency.code == str(peek["sender"]["code"]))
                ).first()
                if agency is not None and not agency.is_local:
                    trusted = {
                        fp: load_ed25519_public(k) for fp, k in trusted_signing_keys(agency).items()
                    }
            total = sum(e.size for n, e in source.entries.items() if n.startswith("data/"))
            with (progress or no_progress)(total) as advance:
                report = verify_source(source, trusted, progress=advance)
            report.raise_for_problems()
            if out.suffix.lower() != ".tar":
                folder.mkdir(mode=0o700)
                for name in sorted(source.entries):
                    target = folder / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with target.open("xb") as handle:
                        for chunk in source.chunks(name):
                            handle.write(chunk)
                folder.chmod(0o755)
        if out.suffix.lower() == ".tar":
            plain.rename(out)
        else:
            folder.rename(out)
        fsync_dir(out.parent)
    except BaseException:
        plain.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    plain.unlink(missing_ok=True)
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        audit.record(
            session,
            actor.username,
            "package.unseal",
            "package",
            report.package_id,
            details={"sender": (report.sender or {}).get("code"), "path": out.name},
        )
    return {**report.as_dict(), "path": str(out), "sealed_file": str(path)}
