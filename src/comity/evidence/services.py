"""Evidence services: list and show items, their custody log, verification of the store.

report = verify_custody(ctx, actor_name, case_ref=None)   # every item the actor may see
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.cases.models import Case
from comity.cases.services import can_see, get_case
from comity.context import NodeContext
from comity.core.aead import DecryptionFailed
from comity.core.errors import NotFound, PermissionDenied
from comity.core.ids import parse_id
from comity.core.sealing import unwrap_key
from comity.evidence.ingest import BLOB_KEY_INFO, item_summary, store_for
from comity.evidence.ledger import ItemReport, event_view, events, verify_chains
from comity.evidence.models import EvidenceItem
from comity.identity import audit
from comity.identity.models import AuditEvent
from comity.identity.services import Actor


def get_item(session: Session, actor: Actor, item_ref: str, *, purpose: str) -> EvidenceItem:
    """Return an item by id or exhibit number, checking access and auditing the read."""
    item = session.scalars(select(EvidenceItem).where(EvidenceItem.exhibit == item_ref)).first()
    if item is None:
        item = session.get(EvidenceItem, parse_id(item_ref, "evidence id"))
    if item is None:
        raise NotFound(f"no evidence item {item_ref!r}", item=item_ref)
    case = session.get_one(Case, item.case_id)
    if not can_see(actor, case):
        raise PermissionDenied(
            f"user {actor.username!r} may not see {item.exhibit}", item=str(item.id)
        )
    audit.record(
        session,
        actor.username,
        "evidence.read",
        "evidence",
        str(item.id),
        case_id=item.case_id,
        details={"purpose": purpose},
    )
    return item


def list_items(session: Session, actor: Actor, case_ref: str) -> list[EvidenceItem]:
    """Return the items of a case, in exhibit order."""
    case = get_case(session, actor, case_ref, purpose="list evidence")
    return list(
        session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.case_id == case.id)
            .order_by(EvidenceItem.created_at)
        )
    )


def custody_log(session: Session, actor: Actor, item_ref: str) -> dict[str, Any]:
    """Return an item and its custody events, oldest first."""
    item = get_item(session, actor, item_ref, purpose="custody log")
    return {"item": item_summary(item), "events": [event_view(e) for e in events(session, item.id)]}


def blob_key(ctx: NodeContext, item: EvidenceItem) -> bytes:
    """Unwrap the key of an item's blob with the node key that wrapped it."""
    blob = item.blob
    keys = ctx.keys
    if blob.key_fingerprint != keys.encryption_fingerprint:
        keys = ctx.retired_keys().get(blob.key_fingerprint, keys)
    return unwrap_key(blob.wrapped_key, keys.encryption, BLOB_KEY_INFO)


def read_content(ctx: NodeContext, item: EvidenceItem) -> Iterator[bytes]:
    """Yield the decrypted bytes of an item."""
    return store_for(ctx).read(item.blob_address, blob_key(ctx, item))


def content_problem(
    ctx: NodeContext, item: EvidenceItem, progress: Callable[[int], None] | None = None
) -> str | None:
    """Check that an item's stored bytes still decrypt to its SHA-256; return a problem or None."""
    store = store_for(ctx)
    if not store.path(item.blob_address).is_file():
        return "its stored bytes are missing from the evidence store"
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in read_content(ctx, item):
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
    except DecryptionFailed as exc:
        return f"its stored bytes were altered ({exc.message})"
    if digest.hexdigest() != item.sha256 or size != item.size:
        return f"its stored bytes have SHA-256 {digest.hexdigest()}, the record says {item.sha256}"
    return None


ARRIVALS = ("evidence.add", "evidence.receive")


def _vanished_items(session: Session, cases: set[uuid.UUID], present: set[str]) -> list[ItemReport]:
    """Items the audit log says arrived in ``cases`` but whose record and ledger are gone.

    The database refuses to delete custody events; only someone who removed that protection
    can make an item vanish whole, and the hash-chained audit log still names it.
    """
    reports: list[ItemReport] = []
    for entry in session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(ARRIVALS)).order_by(AuditEvent.seq)
    ):
        if entry.case_id in cases and entry.object_id and entry.object_id not in present:
            exhibit = str(entry.details.get("exhibit") or entry.object_id)
            reports.append(
                ItemReport(
                    entry.object_id,
                    exhibit,
                    0,
                    ok=False,
                    problems=[
                        f"the item is missing: audit entry {entry.seq} records its "
                        f"{entry.action.split('.')[1]}, but no record or ledger remains"
                    ],
                )
            )
    return reports


def verify_custody(
    ctx: NodeContext,
    actor: Actor,
    session: Session,
    case_ref: str | None,
    *,
    content: bool = True,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Verify every item's chain, signed head and (with ``content``) stored bytes."""
    if case_ref is not None:
        case = get_case(session, actor, case_ref, purpose="verify custody")
        visible = {case.id}
        items = list(session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case.id)))
    else:
        visible = {c.id for c in session.scalars(select(Case)) if can_see(actor, c)}
        items = [i for i in session.scalars(select(EvidenceItem)) if i.case_id in visible]
        audit.record(
            session,
            actor.username,
            "custody.verify",
            "evidence",
            None,
            details={"items": len(items)},
        )
    items.sort(key=lambda i: (i.created_at, i.exhibit))
    reports = verify_chains(session, items)
    if content:
        by_id = {str(i.id): i for i in items}
        for report in reports:
            problem = content_problem(ctx, by_id[report.item_id], progress)
            if problem:
                report.problems.append(problem)
                report.ok = False
    reports.extend(_vanished_items(session, visible, {str(i.id) for i in items}))
    broken = [r for r in reports if not r.ok]
    return {
        "ok": not broken,
        "items": len(reports),
        "events": sum(r.events for r in reports),
        "first_problem": f"{broken[0].exhibit}: {broken[0].problems[0]}" if broken else None,
        "reports": [r.as_dict() for r in reports],
    }
