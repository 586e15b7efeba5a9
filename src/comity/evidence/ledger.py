"""The custody ledger: every action on an item is an event, hash-chained and signed.

Each item has its own chain. An event's body is canonical JSON naming who, which agency, when
(UTC and local), where, what, why, under which authority, the item's SHA-256 and the previous
event's hash; ``hash = SHA-256(prev || "\\n" || body)``. After each append the node signs the
item's *head* (event count and last hash), so dropping events from the end is detectable, and
verification needs one signature per item instead of one per event.

    event = append_event(session, ctx, actor, item, "accessed", purpose="review")
    report = verify_items(session, ctx, items)     # ItemReport per item
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.context import NodeContext
from comity.core.canonical import canonical_json
from comity.core.errors import InvalidInput
from comity.core.hashchain import GENESIS, link_hash
from comity.core.keys import load_ed25519_public
from comity.core.signing import SignatureInvalid, jws_parts, sign_document, verify_document
from comity.core.timeutil import isoformat, local_isoformat, utcnow
from comity.evidence.models import CUSTODY_ACTIONS, CustodyEvent, EvidenceItem, LedgerHead
from comity.identity.models import Agency
from comity.identity.services import Actor, node_info

HEAD_TYPE = "comity-ledger-head"


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
        timezone=timezone or node_info(session).timezone,
        actor=actor,
        node_fingerprint=keys.signing_fingerprint,
        prev_hash=prev,
        place=place,
        purpose=purpose,
        authority=authority,
        details=details,
    )
    return store_event(session, ctx, item, seq, action, moment, body, prev, event_id, head)


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


def check_chain(rows: Iterable[tuple[int, str, str, str]]) -> tuple[int, str, str | None]:
    """Recompute a chain of ``(seq, body, prev_hash, hash)`` rows.

    Returns the number of good events, the last good hash and a description of the first
    broken link (``None`` when the chain is intact).
    """
    prev = GENESIS
    count = 0
    for seq, body, prev_hash, digest in rows:
        if seq != count + 1:
            return count, prev, f"event {count + 1} is missing (found event {seq} in its place)"
        if prev_hash != prev:
            return count, prev, f"event {seq} does not point to event {seq - 1}"
        if link_hash(prev, body.encode()) != digest:
            return count, prev, f"event {seq} was altered (its hash does not match its content)"
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


def _rows_by_item(
    session: Session, item_ids: list[uuid.UUID]
) -> Iterator[tuple[uuid.UUID, list[tuple[int, str, str, str]]]]:
    query = (
        select(
            CustodyEvent.item_id,
            CustodyEvent.item_seq,
            CustodyEvent.body,
            CustodyEvent.prev_hash,
            CustodyEvent.hash,
        )
        .where(CustodyEvent.item_id.in_(item_ids))
        .order_by(CustodyEvent.item_id, CustodyEvent.item_seq)
        .execution_options(yield_per=10_000)
    )
    current: uuid.UUID | None = None
    rows: list[tuple[int, str, str, str]] = []
    for item_id, seq, body, prev_hash, digest in session.execute(query):
        if item_id != current:
            if current is not None:
                yield current, rows
            current, rows = item_id, []
        rows.append((seq, body, prev_hash, digest))
    if current is not None:
        yield current, rows


def verify_chains(session: Session, items: list[EvidenceItem]) -> list[ItemReport]:
    """Verify the ledger chain and signed head of every item (not the stored bytes)."""
    trusted = node_signing_keys(session)
    heads = {
        h.item_id: h
        for h in session.scalars(
            select(LedgerHead).where(LedgerHead.item_id.in_([i.id for i in items]))
        )
    }
    by_id = {item.id: item for item in items}
    reports: dict[uuid.UUID, ItemReport] = {}
    seen: set[uuid.UUID] = set()
    batch = 500
    ids = list(by_id)
    for start in range(0, len(ids), batch):
        for item_id, rows in _rows_by_item(session, ids[start : start + batch]):
            seen.add(item_id)
            reports[item_id] = _report(by_id[item_id], rows, heads.get(item_id), trusted)
    for item_id in ids:
        if item_id not in seen:
            reports[item_id] = _report(by_id[item_id], [], heads.get(item_id), trusted)
    return [reports[i] for i in ids]


def _report(
    item: EvidenceItem,
    rows: list[tuple[int, str, str, str]],
    head: LedgerHead | None,
    trusted: dict[str, str],
) -> ItemReport:
    count, last, problem = check_chain(rows)
    report = ItemReport(str(item.id), item.exhibit, len(rows), ok=True)
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
