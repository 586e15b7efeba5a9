"""The append-only, hash-chained audit log: every change and every read of case data.

record(session, actor, "case.read", "case", str(case.id), case_id=case.id)
report = verify_audit(session)   # AuditReport(ok=True, count=...)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from comity.core.canonical import canonical_json
from comity.core.hashchain import GENESIS, link_hash
from comity.core.timeutil import isoformat, utcnow
from comity.identity.models import AuditEvent, ChainHead

AUDIT_CHAIN = "audit"


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None = None,
    *,
    case_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an entry to the audit log in the caller's transaction."""
    head = _lock_head(session)
    at = utcnow()
    body_doc = {
        "seq": head.count,
        "at": isoformat(at),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "case_id": str(case_id) if case_id else None,
        "details": details or {},
    }
    body = canonical_json(body_doc)
    digest = link_hash(head.last_hash, body)
    event = AuditEvent(
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        details=details or {},
        body=body.decode(),
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(event)
    session.execute(update(ChainHead).where(ChainHead.name == AUDIT_CHAIN).values(last_hash=digest))
    session.flush()
    return event


def _lock_head(session: Session) -> ChainHead:
    """Take the audit chain's head, incrementing its count: this serializes writers."""
    result = session.execute(
        update(ChainHead)
        .where(ChainHead.name == AUDIT_CHAIN)
        .values(count=ChainHead.count + 1)
        .returning(ChainHead.count, ChainHead.last_hash)
    ).one_or_none()
    if result is None:
        session.add(ChainHead(name=AUDIT_CHAIN, count=1, last_hash=GENESIS))
        session.flush()
        return ChainHead(name=AUDIT_CHAIN, count=1, last_hash=GENESIS)
    return ChainHead(name=AUDIT_CHAIN, count=result.count, last_hash=result.last_hash)


def entries(
    session: Session,
    *,
    case_id: uuid.UUID | None = None,
    actor: str | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Return audit entries, oldest first, optionally for one case or one actor."""
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


@dataclass
class AuditReport:
    """The outcome of checking the audit chain."""

    ok: bool
    count: int
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"ok": self.ok, "count": self.count, "problems": self.problems}


def verify_audit(session: Session) -> AuditReport:
    """Recompute the audit chain and compare it with its head; name the first broken entry."""
    prev = GENESIS
    count = 0
    for seq, body, prev_hash, digest in session.execute(
        select(AuditEvent.seq, AuditEvent.body, AuditEvent.prev_hash, AuditEvent.hash).order_by(
            AuditEvent.seq
        )
    ):
        if prev_hash != prev or link_hash(prev, body.encode()) != digest:
            return AuditReport(False, count, [f"audit entry {seq} does not follow its predecessor"])
        prev = digest
        count += 1
    head = session.get(ChainHead, AUDIT_CHAIN)
    if head is None:
        return AuditReport(count == 0, count, [] if count == 0 else ["audit head is missing"])
    if head.count != count or head.last_hash != prev:
        return AuditReport(
            False, count, [f"audit head says {head.count} entries, the log holds {count}"]
        )
    return AuditReport(True, count)


def export_lines(session: Session) -> Iterator[str]:
    """Yield the audit log as JSON Lines, each entry with its chain hashes."""
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
        yield json.dumps(
            {"entry": json.loads(event.body), "prev_hash": event.prev_hash, "hash": event.hash},
            ensure_ascii=False,
        )
