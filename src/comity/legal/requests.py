"""Requests for assistance abroad: create, read, list and fill in — every read and change audited.

    request = create_request(session, actor, "CBI-2026-0001", kind="mla-request", to="US",
                             needs=["content"], changes={"nexus": "..."})
    request = get_request(session, actor, "REQ-2026-0001")          # audited read
    update_request(session, actor, request.id, {"identifiers": [...]})

A request starts from its case: the case's summary is its facts and the case's offences its
offences unless given; a case with no facts cannot start one. The lifecycle (states, deadlines,
figures) is :mod:`comity.legal.lifecycle`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from comity.cases.models import Case
from comity.cases.services import can_see, get_case
from comity.core.errors import PermissionDenied
from comity.core.timeutil import isoformat, utcnow
from comity.identity import audit
from comity.identity.services import Actor, local_agency
from comity.legal.errors import LegalInputError, UnknownRequest
from comity.legal.knowledge import KnowledgeBase
from comity.legal.models import LegalRequest, RequestEvent
from comity.legal.particulars import check_choice, merge, parse_offence
from comity.legal.schema import HOLDERS, NEEDS, REQUEST_KINDS, URGENCIES

LEGAL_OFFICE_ROLES = ("legal_officer", "supervisor", "administrator")
"""Roles that act for the central authority: approve, transmit, renew, file incoming requests,
see every incoming request and the figures."""
REQUEST_WRITE_ROLES = ("investigator", *LEGAL_OFFICE_ROLES)
_NUMBERING_LOCK = 0x636F6D05  # "com" + 5: request numbers (a 32-bit advisory lock key)


def _case_offences(case: Case) -> list[str]:
    out = []
    for offence in case.offences or []:
        try:
            out.append(parse_offence(f"{offence['jurisdiction']}:{offence['reference']}"))
        except LegalInputError:
            continue  # a case offence without a section number: the checklist will say so
    return out


def _lock_numbering(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :key)"),
            {"key": _NUMBERING_LOCK},
        )


def next_request_id(session: Session) -> tuple[str, int, int]:
    """The next ``REQ-YYYY-NNNN`` (numbering serialized until commit)."""
    _lock_numbering(session)
    year = utcnow().year
    number = (
        session.scalar(select(func.max(LegalRequest.number)).where(LegalRequest.year == year)) or 0
    ) + 1
    return f"REQ-{year}-{number:04d}", year, number


def create_request(
    session: Session,
    actor: Actor,
    kb: KnowledgeBase,
    case_ref: str,
    *,
    kind: str,
    to: str,
    needs: list[str] | None = None,
    holder: str = "provider",
    urgency: str = "normal",
    changes: dict[str, Any] | None = None,
) -> LegalRequest:
    """Start a request in ``draft`` for a case (audited). Validates everything first."""
    actor.require(*REQUEST_WRITE_ROLES)
    kind = check_choice(kind, REQUEST_KINDS, "kind")
    to_country = kb.country_code(to)
    wanted = [check_choice(n, NEEDS, "need") for n in needs or []]
    holder = check_choice(holder, HOLDERS, "holder")
    urgency = check_choice(urgency, URGENCIES, "urgency")
    case = get_case(session, actor, case_ref, purpose="legal request")
    if case.status == "closed":
        raise LegalInputError(f"case {case.reference} is closed", case=case.reference)
    own = local_agency(session)
    if to_country == own.country:
        raise LegalInputError(
            f"the requested country {to_country} is this node's own country: a request for "
            "assistance goes abroad",
            country=to_country,
        )
    particulars = merge(
        {
            "authority": own.name,
            "facts": case.summary.strip(),
            "offences": _case_offences(case),
        },
        changes or {},
    )
    if not str(particulars.get("facts") or "").strip():
        raise LegalInputError(
            f"case {case.reference} has no facts: give --facts, or add a summary to the case",
            case=case.reference,
        )
    request_id, year, number = next_request_id(session)
    now = utcnow()
    request = LegalRequest(
        id=request_id,
        year=year,
        number=number,
        case_id=case.id,
        kind=kind,
        from_country=own.country,
        to_country=to_country,
        needs=sorted(set(wanted), key=NEEDS.index),
        holder=holder,
        urgency=urgency,
        state="draft",
        particulars=particulars,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    add_event(request, "create", "draft", at=now, now=now, by=actor.username, from_state=None)
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.request.create",
        "legal_request",
        request_id,
        case_id=case.id,
        details={"kind": kind, "to": to_country, "needs": request.needs},
    )
    return request


_UNSET: Any = object()


def add_event(
    request: LegalRequest,
    action: str,
    to: str,
    *,
    at: datetime,
    now: datetime,
    by: str,
    note: str = "",
    from_state: str | None = _UNSET,
) -> None:
    """Append an event to ``request``'s history: ``action`` (``create``, ``state``, ``renew``,
    ``update``, ``export``, ``import``) to state ``to``, as of ``at``, recorded ``now`` by
    ``by``; it moves from the request's present state unless ``from_state`` is given."""
    request.events.append(
        RequestEvent(
            request_id=request.id,
            seq=max((e.seq for e in request.events), default=0) + 1,
            action=action,
            from_state=request.state if from_state is _UNSET else from_state,
            to_state=to,
            at=at,
            recorded_at=now,
            actor=by,
            note=note,
        )
    )


def load_request(session: Session, request_id: str, *, for_update: bool = False) -> LegalRequest:
    """The request with that id (``REQ-2026-0001``, case-blind), unaudited: for services;
    ``for_update`` locks its row until commit (PostgreSQL) before it is changed."""
    key = request_id.strip().upper()
    sound = 0 < len(key) <= 40 and key.isprintable()
    request = session.get(LegalRequest, key, with_for_update=for_update) if sound else None
    if request is None:
        raise UnknownRequest(f"no request {request_id[:40]!r}", request=request_id[:40])
    return request


def require_access(session: Session, actor: Actor, request: LegalRequest) -> None:
    """Raise unless ``actor`` may see ``request`` (a member of its case, or a see-all role)."""
    if request.case_id is None:
        actor.require(*LEGAL_OFFICE_ROLES)
        return
    case = session.get(Case, request.case_id)
    if case is None or not can_see(actor, case):
        raise PermissionDenied(
            f"user {actor.username!r} may not see request {request.id}", request=request.id
        )


def get_request(
    session: Session, actor: Actor, request_id: str, *, purpose: str = "view"
) -> LegalRequest:
    """A request the actor may see; the read is audited (a request holds case data)."""
    request = load_request(session, request_id)
    require_access(session, actor, request)
    audit.record(
        session,
        actor.username,
        "legal.request.read",
        "legal_request",
        request.id,
        case_id=request.case_id,
        details={"purpose": purpose},
    )
    return request


def attach_case(
    session: Session, actor: Actor, request_id: str, case_ref: str, note: str = ""
) -> LegalRequest:
    """File an incoming request under one of this node's cases (audited): the case's members
    then see it, and its work (evidence, operations) happens in the case."""
    actor.require(*LEGAL_OFFICE_ROLES)
    request = get_request(session, actor, request_id, purpose="attach to a case")
    if request.direction != "incoming":
        raise LegalInputError(
            f"request {request.id} is this node's own: it belongs to the case it was made for",
            request=request.id,
        )
    case = get_case(session, actor, case_ref, purpose="attach a request")
    if request.case_id == case.id:
        raise LegalInputError(
            f"request {request.id} is already filed under {case.reference}", request=request.id
        )
    previous = session.get(Case, request.case_id) if request.case_id else None
    request.case_id = case.id
    now = utcnow()
    request.updated_at = now
    moved = f" (from {previous.reference})" if previous else ""
    add_event(
        request,
        "update",
        request.state,
        at=now,
        now=now,
        by=actor.username,
        note=f"filed under case {case.reference}{moved}" + (f": {note}" if note else ""),
    )
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.request.attach",
        "legal_request",
        request.id,
        case_id=case.id,
        details={"case": case.reference, "previous": previous.reference if previous else None},
    )
    return request


def update_request(
    session: Session, actor: Actor, request_id: str, changes: dict[str, Any], note: str = ""
) -> LegalRequest:
    """Fill in a request's particulars while it is a draft or in review (audited)."""
    actor.require(*REQUEST_WRITE_ROLES)
    request = get_request(session, actor, request_id, purpose="update")
    if request.state not in ("draft", "review"):
        from comity.legal.errors import RequestConflict

        raise RequestConflict(
            f"request {request.id} is {request.state}: its particulars can change only in draft "
            "or review",
            request=request.id,
            state=request.state,
        )
    before = request.particulars or {}
    request.particulars = merge(before, changes)
    now = utcnow()
    request.updated_at = now
    add_event(
        request, "update", request.state, at=now, now=now, by=actor.username, note=note.strip()
    )
    session.flush()
    changed = sorted(k for k, v in request.particulars.items() if before.get(k) != v)
    audit.record(
        session,
        actor.username,
        "legal.request.update",
        "legal_request",
        request.id,
        case_id=request.case_id,
        details={"fields": changed},
    )
    return request


def list_requests(
    session: Session,
    actor: Actor,
    *,
    case_ref: str | None = None,
    state: str | None = None,
    to: str | None = None,
) -> list[LegalRequest]:
    """The requests ``actor`` may see, newest first (the listing is audited)."""
    query = select(LegalRequest).order_by(LegalRequest.year.desc(), LegalRequest.number.desc())
    if case_ref:
        case = get_case(session, actor, case_ref, purpose="list requests")
        query = query.where(LegalRequest.case_id == case.id)
    if state:
        query = query.where(LegalRequest.state == state)
    if to:
        query = query.where(LegalRequest.to_country == to.strip().upper())
    out = visible(session, actor, list(session.scalars(query)))
    audit.record(
        session,
        actor.username,
        "legal.request.list",
        "legal_request",
        None,
        details={"count": len(out)},
    )
    return out


def visible(session: Session, actor: Actor, requests: list[LegalRequest]) -> list[LegalRequest]:
    """The ``requests`` ``actor`` may see: those of cases they may see; incoming requests (no
    case) for legal officers, supervisors and administrators."""
    cases: dict[Any, Case | None] = {}
    out = []
    for request in requests:
        if request.case_id is None:
            if actor.user.has_role(*LEGAL_OFFICE_ROLES):
                out.append(request)
            continue
        if request.case_id not in cases:
            cases[request.case_id] = session.get(Case, request.case_id)
        case = cases[request.case_id]
        if case is not None and can_see(actor, case):
            out.append(request)
    return out


def request_summary(session: Session, request: LegalRequest) -> dict[str, Any]:
    """A JSON-ready description of a request (without its history)."""
    case = session.get(Case, request.case_id) if request.case_id else None
    return {
        "id": request.id,
        "case": case.reference if case else None,
        "kind": request.kind,
        "from": request.from_country,
        "to": request.to_country,
        "needs": list(request.needs or []),
        "holder": request.holder,
        "urgency": request.urgency,
        "state": request.state,
        "direction": request.direction,
        "peer_agency": request.peer_agency or None,
        "remote_id": request.remote_id or None,
        "particulars": dict(request.particulars or {}),
        "created_by": request.created_by,
        "created_at": isoformat(request.created_at),
        "updated_at": isoformat(request.updated_at),
        "transmitted_at": isoformat(request.transmitted_at) if request.transmitted_at else None,
        "answered_at": isoformat(request.answered_at) if request.answered_at else None,
        "renewals": request.renewals,
    }


def history(request: LegalRequest) -> list[dict[str, Any]]:
    """The request's events, oldest first: who, when it happened, when recorded, and why."""
    return [
        {
            "seq": e.seq,
            "action": e.action,
            "from": e.from_state,
            "to": e.to_state,
            "at": isoformat(e.at),
            "recorded_at": isoformat(e.recorded_at),
            "by": e.actor,
            "note": e.note,
        }
        for e in request.events
    ]
