"""Requests between nodes as signed files, until federation carries them.

    export_request(session, actor, ctx, kb, "REQ-2026-0001", to="FBI", out=Path("req.json"))
    # on the FBI's node:
    received = import_request_file(session, actor, ctx, Path("req.json"))   # verified, recorded
    export_status(session, actor, ctx, received.id, out=Path("status.json"))
    # back on the CBI's node: the FBI's moves applied to REQ-2026-0001
    import_request_file(session, actor, ctx, Path("status.json"))

A request file (``kind: legal-request``) carries the request, its particulars and the rendered
document (PDF or DOCX, with its SHA-256), signed with the sender's node key
(:mod:`comity.federation.messages`). The receiving node verifies it against the sender's peer
key, checks the document against its hash and that the request is addressed to its country,
and records it as an incoming request in ``transmitted``. A status file (``kind:
legal-request-status``) carries the requested agency's moves back; the requesting node applies
each move the lifecycle allows, as the peer, and refuses one it does not.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.context import NodeContext
from comity.core.errors import AlreadyExists, ComityError
from comity.core.files import write_atomic
from comity.core.timeutil import isoformat, parse_time, utcnow
from comity.federation.messages import open_sealed, seal
from comity.federation.services import get_peer
from comity.identity import audit
from comity.identity.services import Actor, local_agency
from comity.legal.draft_service import render_request
from comity.legal.errors import LegalInputError, RequestConflict, RequestFileInvalid
from comity.legal.knowledge import KnowledgeBase
from comity.legal.lifecycle import TRANSMIT_ROLES, next_states
from comity.legal.models import (
    AFTER_TRANSMISSION,
    ANSWERED,
    OPEN_STATES,
    OUTCOMES,
    STATES,
    LegalRequest,
)
from comity.legal.particulars import FIELDS, merge
from comity.legal.requests import add_event, get_request, next_request_id, request_summary
from comity.legal.schema import HOLDERS, NEEDS, REQUEST_KINDS, URGENCIES

REQUEST_KIND: Final = "legal-request"
STATUS_KIND: Final = "legal-request-status"
MAX_FILE_BYTES: Final = 64 * 1024 * 1024
MEDIA_TYPES: Final = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
CLOCK_SLACK: Final = timedelta(minutes=1)


def export_request(
    session: Session,
    actor: Actor,
    ctx: NodeContext,
    kb: KnowledgeBase,
    request_id: str,
    *,
    to: str,
    out: Path | None,
    fmt: str = "pdf",
    allow_incomplete: bool = False,
) -> dict[str, Any]:
    """Seal a request, with its rendered document, for the peer ``to``; write it to ``out``
    (if given). The result's ``message`` is the signed text."""
    actor.require(*TRANSMIT_ROLES)
    if fmt not in MEDIA_TYPES:
        raise LegalInputError(f"format must be pdf or docx, not {fmt!r}", format=fmt)
    if out is not None and not out.parent.is_dir():
        raise LegalInputError(f"no folder {out.parent}", path=str(out))
    request = get_request(session, actor, request_id, purpose="export")
    if request.direction != "outgoing":
        raise RequestConflict(
            f"request {request.id} came from {request.peer_agency}: export its status instead",
            request=request.id,
        )
    sendable = request.state in OPEN_STATES and (
        "transmitted" in next_states(request.kind, request.state)
        or STATES.index(request.state) >= STATES.index("transmitted")
    )
    if not sendable:
        raise RequestConflict(
            f"request {request.id} is {request.state}: it can be sent once it is ready to be "
            f"transmitted ({request.kind} needs its review and approvals first)",
            request=request.id,
            state=request.state,
        )
    peer = get_peer(session, to)
    if peer.agency.country != request.to_country:
        raise LegalInputError(
            f"{peer.agency.code} is in {peer.agency.country}; request {request.id} is addressed "
            f"to {request.to_country}",
            peer=peer.agency.code,
        )
    data, _checklist = render_request(
        session,
        kb,
        request,
        fmt,
        allow_incomplete=allow_incomplete,
        hint="a request that goes abroad must be complete (or exported with --allow-incomplete)",
    )
    own = local_agency(session)
    now = utcnow()
    summary = request_summary(session, request)
    document: dict[str, Any] = {
        "kind": REQUEST_KIND,
        "from": own.code,
        "to": peer.agency.code,
        "exported_at": isoformat(now),
        "exported_by": actor.username,
        "request": {
            k: summary[k]
            for k in (
                "id",
                "case",
                "kind",
                "from",
                "to",
                "needs",
                "holder",
                "urgency",
                "particulars",
                "created_at",
            )
        },
        "document": {
            "name": f"{request.id}.{fmt}",
            "media_type": MEDIA_TYPES[fmt],
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "base64": base64.b64encode(data).decode("ascii"),
        },
    }
    text = seal(ctx.keys, document)
    if out is not None:
        write_atomic(out, text.encode("utf-8"), 0o600)
    request.peer_agency = peer.agency.code
    where = f"as {out.name}" if out is not None else "over the API"
    add_event(
        request,
        "export",
        request.state,
        at=now,
        now=now,
        by=actor.username,
        note=f"exported for {peer.agency.code} {where}",
    )
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.request.export",
        "legal_request",
        request.id,
        case_id=request.case_id,
        details={
            "to": peer.agency.code,
            "file": out.name if out is not None else None,
            "document_sha256": document["document"]["sha256"],
        },
    )
    return {
        "request": request.id,
        "to": peer.agency.code,
        "file": str(out) if out is not None else None,
        "document": {k: v for k, v in document["document"].items() if k != "base64"},
        "message": text,
    }


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LegalInputError(
                f"{path.name}: {size} bytes, more than a request file may have", path=str(path)
            )
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise LegalInputError(f"cannot read {path}: {exc.strerror}", path=str(path)) from None
    except UnicodeDecodeError:
        raise LegalInputError(f"{path.name}: not a Comity request file", path=str(path)) from None


def _kind_of(text: str) -> str:
    import orjson

    try:
        kind = orjson.loads(text)["document"]["kind"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise LegalInputError("not a Comity request file") from None
    if kind not in (REQUEST_KIND, STATUS_KIND):
        raise LegalInputError(f"not a Comity request file (kind {str(kind)[:40]!r})")
    return str(kind)


def import_request_file(
    session: Session, actor: Actor, ctx: NodeContext, path: Path
) -> dict[str, Any]:
    """Verify and record a request file or a status file from a peer (see the module)."""
    actor.require(*TRANSMIT_ROLES)
    return import_message(session, actor, ctx, _read(path))


def import_message(session: Session, actor: Actor, ctx: NodeContext, text: str) -> dict[str, Any]:
    """Verify and record a request message or a status message from a peer (its text)."""
    actor.require(*TRANSMIT_ROLES)
    kind = _kind_of(text)
    document, peer = open_sealed(
        session,
        text,
        kind,
        malformed=LegalInputError,
        invalid=RequestFileInvalid,
        what="request file",
    )
    if kind == REQUEST_KIND:
        return _receive(session, actor, ctx, document, peer.agency.code)
    return _apply_status(session, actor, document, peer.agency.code)


def _field(document: dict[str, Any], key: str, choices: tuple[str, ...] | None = None) -> Any:
    value = document.get(key)
    if choices is not None and value not in choices:
        raise RequestFileInvalid(
            f"the request file's {key} {str(value)[:40]!r} is not valid", field=key
        )
    return value


def _receive(
    session: Session, actor: Actor, ctx: NodeContext, document: dict[str, Any], sender: str
) -> dict[str, Any]:
    body = document.get("request")
    attached = document.get("document")
    if not isinstance(body, dict) or not isinstance(attached, dict):
        raise RequestFileInvalid("the request file has no request or no document")
    own = local_agency(session)
    kind = _field(body, "kind", REQUEST_KINDS)
    if body.get("to") != own.country:
        raise RequestFileInvalid(
            f"the request is addressed to {str(body.get('to'))[:8]}, not to {own.country}",
            expected=own.country,
            actual=str(body.get("to"))[:8],
        )
    needs = body.get("needs") or []
    if not isinstance(needs, list) or any(n not in NEEDS for n in needs):
        raise RequestFileInvalid("the request file's needs are not valid", field="needs")
    particulars = body.get("particulars") or {}
    if not isinstance(particulars, dict) or set(particulars) - set(FIELDS):
        raise RequestFileInvalid(
            "the request file's particulars are not valid", field="particulars"
        )
    try:
        data = base64.b64decode(str(attached.get("base64", "")), validate=True)
    except ValueError:
        raise RequestFileInvalid("the attached document is not base64") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != attached.get("sha256"):
        raise RequestFileInvalid(
            "the attached document does not match its SHA-256",
            expected=attached.get("sha256"),
            actual=digest,
        )
    fmt = next((f for f, t in MEDIA_TYPES.items() if t == attached.get("media_type")), None)
    if fmt is None:
        raise RequestFileInvalid("the attached document is neither PDF nor DOCX")
    remote = str(body.get("id", ""))[:24]
    duplicate = session.scalars(
        select(LegalRequest).where(
            LegalRequest.peer_agency == sender,
            LegalRequest.remote_id == remote,
            LegalRequest.direction == "incoming",
        )
    ).first()
    if duplicate is not None:
        raise AlreadyExists(
            f"{sender}'s request {remote} is already recorded as {duplicate.id}",
            request=duplicate.id,
        )
    request_id, year, number = next_request_id(session)
    now = utcnow()
    stored = ctx.settings.home / "legal" / "received" / f"{request_id}.{fmt}"
    request = LegalRequest(
        id=request_id,
        year=year,
        number=number,
        case_id=None,
        kind=kind,
        from_country=str(_field(body, "from"))[:2],
        to_country=own.country,
        needs=needs,
        holder=_field(body, "holder", HOLDERS),
        urgency=_field(body, "urgency", URGENCIES),
        state="transmitted",
        particulars=merge({}, {k: v for k, v in particulars.items() if v is not None}),
        direction="incoming",
        peer_agency=sender,
        remote_id=remote,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
        transmitted_at=now,
        document={
            "name": str(attached.get("name", ""))[:200],
            "media_type": attached["media_type"],
            "sha256": digest,
            "bytes": len(data),
            "path": str(stored.relative_to(ctx.settings.home)),
        },
    )
    session.add(request)
    add_event(
        request,
        "import",
        "transmitted",
        at=now,
        now=now,
        by=actor.username,
        note=f"received from {sender} as its request {remote}",
    )
    session.flush()
    write_atomic(stored, data, 0o600)
    audit.record(
        session,
        actor.username,
        "legal.request.import",
        "legal_request",
        request_id,
        details={"from": sender, "remote_id": remote, "kind": kind, "document_sha256": digest},
    )
    return {
        "action": "received",
        "request": request_id,
        "from": sender,
        "remote_id": remote,
        "kind": kind,
        "state": request.state,
        "document": str(stored),
    }


def export_status(
    session: Session, actor: Actor, ctx: NodeContext, request_id: str, *, out: Path | None
) -> dict[str, Any]:
    """Seal the moves of an incoming request for its sender; write them to ``out`` (if given).
    The result's ``message`` is the signed text."""
    actor.require(*TRANSMIT_ROLES)
    if out is not None and not out.parent.is_dir():
        raise LegalInputError(f"no folder {out.parent}", path=str(out))
    request = get_request(session, actor, request_id, purpose="export status")
    if request.direction != "incoming":
        raise RequestConflict(
            f"request {request.id} is this node's own: export the request itself",
            request=request.id,
        )
    moves = [
        {"to": e.to_state, "at": isoformat(e.at), "note": e.note, "by": e.actor}
        for e in request.events
        if e.action == "state"
    ]
    document = {
        "kind": STATUS_KIND,
        "from": local_agency(session).code,
        "to": request.peer_agency,
        "request": request.remote_id,
        "state": request.state,
        "moves": moves,
        "exported_at": isoformat(utcnow()),
    }
    text = seal(ctx.keys, document)
    if out is not None:
        write_atomic(out, text.encode("utf-8"), 0o600)
    audit.record(
        session,
        actor.username,
        "legal.request.status_export",
        "legal_request",
        request.id,
        details={"to": request.peer_agency, "state": request.state},
    )
    return {
        "request": request.id,
        "remote_id": request.remote_id,
        "to": request.peer_agency,
        "state": request.state,
        "moves": len(moves),
        "file": str(out) if out is not None else None,
        "message": text,
    }


def _apply_status(
    session: Session, actor: Actor, document: dict[str, Any], sender: str
) -> dict[str, Any]:
    remote = str(document.get("request", ""))[:24]
    request = session.get(LegalRequest, remote)
    if request is None or request.direction != "outgoing" or request.peer_agency != sender:
        raise RequestFileInvalid(
            f"{sender} reports on {remote!r}, which is not a request this node sent to {sender}",
            request=remote,
        )
    moves = document.get("moves")
    if not isinstance(moves, list):
        raise RequestFileInvalid("the status file has no moves")
    now = utcnow()
    sent = [e.at for e in request.events if e.action == "export"]
    earliest = max(sent) - CLOCK_SLACK if sent else None
    applied = []
    for move in moves:
        if not isinstance(move, dict) or move.get("to") not in STATES:
            raise RequestFileInvalid("the status file has a move to an unknown state")
        to = str(move["to"])
        seen = [e.to_state for e in request.events if e.actor == f"peer:{sender}"]
        if to in seen or to == request.state:
            continue
        try:
            at = parse_time(str(move.get("at")))
        except (ComityError, ValueError):
            raise RequestFileInvalid("the status file has a move with a malformed time") from None
        if at > now + CLOCK_SLACK or (earliest is not None and at < earliest):
            raise RequestFileInvalid(
                f"the move to {to} is dated {isoformat(at)}: in the future, or before the "
                "request was sent",
                to=to,
            )
        allowed = next_states(request.kind, request.state)
        later = (*AFTER_TRANSMISSION[1:], *OUTCOMES[:-1])
        if to not in allowed and "transmitted" in allowed and to in later:
            # the requested agency has it: it was transmitted, whether or not recorded here
            add_event(
                request,
                "state",
                "transmitted",
                at=min(sent[-1], at) if sent else at,
                now=now,
                by=f"peer:{sender}",
                note=f"implied by {sender}'s report that it is {to}",
            )
            request.state, request.transmitted_at = "transmitted", request.events[-1].at
            applied.append("transmitted")
            allowed = next_states(request.kind, request.state)
        if to not in allowed:
            raise RequestFileInvalid(
                f"{sender} reports {request.id} as {to}, but here it is {request.state}, from "
                f"which it cannot move to {to}",
                current=request.state,
                to=to,
            )
        note = str(move.get("note") or "")[:2000]
        add_event(
            request,
            "state",
            to,
            at=at,
            now=now,
            by=f"peer:{sender}",
            note=f"reported by {sender}" + (f": {note}" if note else ""),
        )
        request.state, request.updated_at = to, now
        if to in ANSWERED:
            request.answered_at = at
        applied.append(to)
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.request.status_import",
        "legal_request",
        request.id,
        case_id=request.case_id,
        details={"from": sender, "applied": applied},
    )
    return {
        "action": "status",
        "request": request.id,
        "from": sender,
        "applied": applied,
        "state": request.state,
    }
