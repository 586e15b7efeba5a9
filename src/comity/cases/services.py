"""Case services: create, list, show, members — every read and change audited.

case = create_case(session, actor, title="Fake call centre", jurisdictions=["IN", "US"])
case = get_case(session, actor, str(case.id))      # audited as a read of case data
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from comity.cases.models import CASE_STATUSES, Case, CaseMember
from comity.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from comity.core.ids import parse_id
from comity.core.timeutil import isoformat, utcnow
from comity.identity import audit
from comity.identity.services import Actor, get_user, normalize_code, normalize_country

SEE_ALL_ROLES = ("administrator", "supervisor")
_NUMBERING_LOCK = 0x636F6D01  # "com" + 1: case references (a 32-bit advisory lock key)
CASE_WRITE_ROLES = ("administrator", "investigator", "forensic_examiner", "supervisor")


def _refuse_control_characters(text: str, what: str) -> None:
    if any(unicodedata.category(c) == "Cc" for c in text.strip()):
        raise InvalidInput(f"{what} {text!r} contains control characters", value=text)


def parse_offence(text: str) -> dict[str, str]:
    """Parse an offence given as ``JURISDICTION:STATUTE section`` (``IN:BNS 318``)."""
    _refuse_control_characters(text, "offence")
    match = re.fullmatch(r"\s*([A-Za-z]{2})\s*:\s*(.+?)\s*", text)
    if not match:
        raise InvalidInput(
            f"offence {text!r} must look like 'IN:BNS 318(4)' or 'US:18 U.S.C. 1343'", value=text
        )
    return {"jurisdiction": normalize_country(match.group(1)), "reference": match.group(2)}


def parse_authority(text: str) -> dict[str, str]:
    """Parse legal authority given as ``KIND:REFERENCE`` (``warrant:SW-2026-114``)."""
    _refuse_control_characters(text, "legal authority")
    kind, sep, reference = text.partition(":")
    if not sep or not kind.strip() or not reference.strip():
        raise InvalidInput(
            f"legal authority {text!r} must look like 'warrant:REFERENCE' or 'order:REFERENCE'",
            value=text,
        )
    return {"kind": kind.strip().lower(), "reference": reference.strip()}


def create_case(
    session: Session,
    actor: Actor,
    *,
    title: str,
    jurisdictions: list[str],
    summary: str = "",
    offences: list[str] | None = None,
    authorities: list[str] | None = None,
    agencies: list[str] | None = None,
) -> Case:
    """Open a case; its creator becomes its lead member."""
    actor.require("administrator", "investigator", "supervisor", "forensic_examiner")
    if not title.strip():
        raise InvalidInput("a case needs a title")
    if not jurisdictions:
        raise InvalidInput("a case needs at least one --jurisdiction")
    codes = sorted({normalize_country(j) for j in jurisdictions})
    own = actor.agency.code
    year = utcnow().year
    _lock_numbering(session)
    count = session.scalar(select(func.count()).select_from(Case)) or 0
    case = Case(
        reference=f"{own}-{year}-{count + 1:04d}",
        title=title.strip(),
        summary=summary,
        jurisdictions=codes,
        offences=[parse_offence(o) for o in offences or []],
        legal_authority=[parse_authority(a) for a in authorities or []],
        agencies=sorted({own, *(normalize_code(a) for a in agencies or [])}),
        created_by=actor.username,
    )
    session.add(case)
    session.flush()
    session.add(CaseMember(case_id=case.id, user_id=actor.user.id, role="lead"))
    session.flush()
    session.refresh(case)
    audit.record(
        session,
        actor.username,
        "case.create",
        "case",
        str(case.id),
        case_id=case.id,
        details={"reference": case.reference, "title": case.title},
    )
    return case


def _lock_numbering(session: Session) -> None:
    """Serialize case numbering until commit: two concurrent creations must not count alike.

    SQLite transactions already begin with a write lock; PostgreSQL takes an advisory lock
    keyed by the schema, so nodes sharing a database (in separate schemas) do not wait on
    each other.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :key)"),
            {"key": _NUMBERING_LOCK},
        )


def _load(session: Session, case_ref: str) -> Case:
    query = select(Case).where(Case.reference == case_ref)
    case = session.scalars(query).first()
    if case is None:
        try:
            case_id = uuid.UUID(case_ref)
        except ValueError:
            raise NotFound(f"no case {case_ref!r}", case=case_ref) from None
        case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_ref!r}", case=case_ref)
    return case


def can_see(actor: Actor, case: Case) -> bool:
    """Tell whether ``actor`` may read ``case``."""
    if actor.user.has_role(*SEE_ALL_ROLES):
        return True
    return any(m.user_id == actor.user.id for m in case.members)


def get_case(session: Session, actor: Actor, case_ref: str, *, purpose: str = "view") -> Case:
    """Return a case by id or reference, checking access and auditing the read."""
    case = _load(session, case_ref)
    if not can_see(actor, case):
        raise PermissionDenied(
            f"user {actor.username!r} is not a member of case {case.reference}",
            case=case.reference,
        )
    audit.record(
        session,
        actor.username,
        "case.read",
        "case",
        str(case.id),
        case_id=case.id,
        details={"purpose": purpose},
    )
    return case


def require_case_write(actor: Actor, case: Case) -> None:
    """Raise unless ``actor`` may change ``case`` (add evidence, members...)."""
    actor.require(*CASE_WRITE_ROLES)
    if not can_see(actor, case):
        raise PermissionDenied(
            f"user {actor.username!r} is not a member of case {case.reference}",
            case=case.reference,
        )
    if case.status == "closed":
        raise InvalidInput(f"case {case.reference} is closed", case=case.reference)


def list_cases(session: Session, actor: Actor) -> list[Case]:
    """Return the cases ``actor`` may see, newest first (the listing is audited)."""
    cases = [
        c
        for c in session.scalars(select(Case).order_by(Case.created_at.desc()))
        if can_see(actor, c)
    ]
    audit.record(session, actor.username, "case.list", "case", None, details={"count": len(cases)})
    return cases


def add_member(session: Session, actor: Actor, case_ref: str, username: str, role: str) -> Case:
    """Add a user to a case."""
    case = get_case(session, actor, case_ref, purpose="add member")
    require_case_write(actor, case)
    user = get_user(session, username)
    if any(m.user_id == user.id for m in case.members):
        raise AlreadyExists(f"{username} is already a member of {case.reference}")
    session.add(CaseMember(case_id=case.id, user_id=user.id, role=role))
    session.flush()
    session.refresh(case)
    audit.record(
        session,
        actor.username,
        "case.member_add",
        "case",
        str(case.id),
        case_id=case.id,
        details={"username": username, "role": role},
    )
    return case


def set_status(session: Session, actor: Actor, case_ref: str, status: str) -> Case:
    """Change a case's status (open, suspended, closed)."""
    if status not in CASE_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(CASE_STATUSES)}")
    case = get_case(session, actor, case_ref, purpose="status change")
    actor.require(*CASE_WRITE_ROLES)
    old, case.status, case.updated_at = case.status, status, utcnow()
    audit.record(
        session,
        actor.username,
        "case.status",
        "case",
        str(case.id),
        case_id=case.id,
        details={"from": old, "to": status},
    )
    return case


def case_summary(case: Case) -> dict[str, Any]:
    """A JSON-ready description of a case."""
    return {
        "id": str(case.id),
        "reference": case.reference,
        "title": case.title,
        "summary": case.summary,
        "status": case.status,
        "jurisdictions": case.jurisdictions,
        "offences": case.offences,
        "legal_authority": case.legal_authority,
        "agencies": case.agencies,
        "members": [{"username": m.user.username, "role": m.role} for m in case.members],
        "created_by": case.created_by,
        "created_at": isoformat(case.created_at),
    }


__all__ = ["parse_id"]
